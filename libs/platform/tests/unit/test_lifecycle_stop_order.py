"""`serve` stops a process's stages in one order: background work first, then the outbox relays (each
after one last round, so what the work in hand committed goes out), then clients."""

from __future__ import annotations

import asyncio
import os
import signal

from opentelemetry.sdk.trace import TracerProvider

from oncall_platform import lifecycle
from oncall_platform.settings import ProcessSettings


class Recorder:
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.started = asyncio.Event()


class FakeRelay:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._recorder.steps.append("relay: last round")

    async def close(self) -> None:
        self._recorder.steps.append("relay: closed")


def build_parts(recorder: Recorder) -> lifecycle.Build[ProcessSettings]:
    async def worker(stop: asyncio.Event) -> None:
        recorder.started.set()
        await stop.wait()
        await asyncio.sleep(0.05)  # the work in hand, finishing after the stop request
        recorder.steps.append("worker: finished its work")

    async def close_client() -> None:
        recorder.steps.append("client: closed")

    def build(settings: ProcessSettings, provider: TracerProvider) -> lifecycle.Parts:
        return lifecycle.Parts(
            relays=[FakeRelay(recorder)], background={"worker": worker}, close=[close_client]
        )

    return build


async def test_the_relay_makes_its_last_round_after_the_work_in_hand() -> None:
    recorder = Recorder()
    settings = ProcessSettings(environment="test", shutdown_grace_seconds=5)
    serving = asyncio.create_task(
        lifecycle.serve(settings, TracerProvider(), build_parts(recorder), ("127.0.0.1", 0))
    )
    await asyncio.wait_for(recorder.started.wait(), 10)
    os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler takes it
    await asyncio.wait_for(serving, 10)

    assert recorder.steps == [
        "worker: finished its work",
        "relay: last round",
        "relay: closed",
        "client: closed",
    ]
