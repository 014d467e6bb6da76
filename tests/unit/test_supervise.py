"""A background loop that dies is logged, counted and started again, and stops when asked."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import REGISTRY

from bot.supervise import supervised


async def test_a_loop_that_dies_is_started_again_until_stop(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise UnicodeEncodeError("utf-8", "\ud83d", 0, 1, "surrogates not allowed")
        await stop.wait()

    before = REGISTRY.get_sample_value("fireside_background_restarts_total", {"task": "ingest"}) or 0.0
    with caplog.at_level(logging.ERROR):
        task = asyncio.ensure_future(supervised("ingest", flaky, stop, first_pause=0.01))
        for _ in range(300):
            if len(runs) == 3:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)
    assert len(runs) == 3 and "'ingest' died" in caplog.text
    assert (REGISTRY.get_sample_value("fireside_background_restarts_total", {"task": "ingest"}) or 0) - before == 2
