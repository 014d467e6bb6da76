"""Background loops that must outlive their own bugs: a loop that raises is logged, counted and started again
after a pause that doubles (to a minute), never left dead, and never taking the process down with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.metrics import BACKGROUND_RESTARTS

log = logging.getLogger(__name__)

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 60.0


async def supervised(name: str, loop: Callable[[], Coroutine[Any, Any, None]], stop: asyncio.Event,
                     first_pause: float = FIRST_PAUSE) -> None:
    """Run `loop()` until `stop` is set; each time it dies, log it and run it again. Cancellation passes."""
    pause = first_pause
    while True:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            BACKGROUND_RESTARTS.labels(name).inc()
            log.exception("the background task %r died; starting it again in %.0f s", name, pause)
        else:
            if stop.is_set():
                return
            log.error("the background task %r ended on its own; starting it again in %.0f s", name, pause)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        if stop.is_set():
            return
        pause = min(pause * 2, LONGEST_PAUSE)
