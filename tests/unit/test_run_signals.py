"""`fireside run` turns SIGTERM (a container stop) into a graceful stop instead of dying mid-reply."""

from __future__ import annotations

import asyncio
import os
import signal

from bot.run import _on_signals


async def test_sigterm_sets_the_stop_event_and_the_handlers_come_off() -> None:
    terminate = asyncio.Event()
    watching = _on_signals(terminate)
    try:
        assert signal.SIGTERM in watching
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(terminate.wait(), 5)
    finally:
        for sig in watching:
            asyncio.get_running_loop().remove_signal_handler(sig)
