"""The simulated PagerDuty accounts the rotation service's integration tests check API keys against."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pagerduty_sim.testing import RunningSimulator, run_simulator

ACME_KEY = "u+Plaintext-PD-Key-4f1c9e"  # acme, EU region, full access
ACME_READ_ONLY_KEY = "u+acme-read-only-key-77"
GLOBEX_KEY = "u+globex-full-access-key"  # globex, US region, full access


@contextmanager
def simulated_pagerduty() -> Iterator[RunningSimulator]:
    with run_simulator(
        [f"acme:{ACME_KEY}:eu", f"globex:{GLOBEX_KEY}:us"],
        read_only_keys=[f"acme:{ACME_READ_ONLY_KEY}"],
        owners=["acme:owner@acme.example.com", "globex:owner@globex.example.com"],
    ) as sim:
        yield sim
