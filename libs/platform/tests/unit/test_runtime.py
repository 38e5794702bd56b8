"""Services run their event loop on uvloop."""

import asyncio

from oncall_platform import runtime


def test_run_drives_the_coroutine_on_a_uvloop_loop() -> None:
    async def main() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    assert runtime.run(main()).startswith("uvloop")
