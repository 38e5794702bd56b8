"""PagerDuty-style object ids: `P` followed by six upper-case letters and digits."""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_uppercase + string.digits


class IdGenerator:
    """Hands out ids never handed out before by this generator."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._issued: set[str] = set()

    def new_id(self) -> str:
        while True:
            candidate = "P" + "".join(self._random.choices(_ALPHABET, k=6))
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def issued(self) -> list[str]:
        """Every id handed out so far (for a state snapshot)."""
        return list(self._issued)

    @property
    def issued_count(self) -> int:
        return len(self._issued)

    def restore(self, issued: list[str]) -> None:
        """Never hand out `issued` ids again (after loading a state snapshot)."""
        self._issued.update(issued)
