"""Injected faults: latency, a share of 500s, forced 429s, dropped connections, lost answers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    NONE = "none"
    SERVER_ERROR = "server_error"
    RATE_LIMIT = "rate_limit"
    DROP = "drop"
    LOSE_ANSWER = "lose_answer"  # the request is carried out, then the connection drops before the answer


@dataclass
class Faults:
    """Applied to PagerDuty paths only. `*_rate` are shares in [0, 1]; `*_next` count the next requests.

    Forced 429s come without `ratelimit-*` headers, like the header-less 429s seen from PagerDuty.
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_next: int = 0
    rate_limit_rate: float = 0.0
    rate_limit_next: int = 0
    drop_rate: float = 0.0
    drop_next: int = 0
    lose_answer_rate: float = 0.0
    lose_answer_next: int = 0
    path_prefix: str = ""
    method: str = ""  # only requests of this method (e.g. "POST"), when set
    _random: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Faults:
        known = {name for name in cls.__dataclass_fields__ if not name.startswith("_")}
        unknown = set(data) - known - {"seed"}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        faults = cls(**{key: value for key, value in data.items() if key in known})
        faults._random = random.Random(data.get("seed"))
        return faults

    def draw(self, path: str, method: str = "GET") -> FaultKind:
        """Decide the fault for one request (consuming a `*_next` count when one applies)."""
        if not path.startswith(self.path_prefix) or (self.method and method.upper() != self.method.upper()):
            return FaultKind.NONE
        for kind, next_name, rate in (
            (FaultKind.DROP, "drop_next", self.drop_rate),
            (FaultKind.SERVER_ERROR, "error_next", self.error_rate),
            (FaultKind.RATE_LIMIT, "rate_limit_next", self.rate_limit_rate),
            (FaultKind.LOSE_ANSWER, "lose_answer_next", self.lose_answer_rate),
        ):
            if getattr(self, next_name) > 0:
                setattr(self, next_name, getattr(self, next_name) - 1)
                return kind
            if rate > 0 and self._random.random() < rate:
                return kind
        return FaultKind.NONE
