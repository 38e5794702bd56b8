"""The one error a consumer needs to handle when a message cannot be decoded."""

from __future__ import annotations


class ContractError(ValueError):
    """A message does not satisfy any known event contract.

    ``reason`` is a short, human-readable explanation, suitable as the ``dlq-reason`` header.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
