"""A reply sink that times the reply as the viewer sees it (from the message reaching the bot to its first
visible text, and to its end) and counts how it ended, around whatever sink the platform gave."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.events import RatingTarget, ReplySink
from bot.metrics import REPLIES_OUT, REPLY_FIRST_TEXT, REPLY_SECONDS


class TimedSink:
    def __init__(self, inner: ReplySink, platform: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.platform = platform
        self.clock = clock
        self.began = clock()
        self._shown = False
        self._ended = False

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        await self.inner.start(speaker, cadence)

    async def write(self, delta: str) -> None:
        if delta.strip() and not self._shown:
            self._shown = True
            REPLY_FIRST_TEXT.labels(self.platform).observe(self.clock() - self.began)
        await self.inner.write(delta)

    async def finish(self) -> None:
        await self.inner.finish()
        self._end("sent" if self._shown else "empty")

    async def fail(self, message: str) -> None:
        await self.inner.fail(message)
        self._end("failed")

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        await self.inner.offer_choices(labels, scene)

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        return await self.inner.offer_ratings(for_account, picks)

    async def attach(self, filename: str, content: str) -> bool:
        return await self.inner.attach(filename, content)

    async def confirm(self, question: str, command_hint: str) -> bool:
        return await self.inner.confirm(question, command_hint)

    def _end(self, outcome: str) -> None:
        if self._ended:
            return
        self._ended = True
        REPLIES_OUT.labels(self.platform, outcome).inc()
        if outcome != "empty":
            REPLY_SECONDS.labels(self.platform).observe(self.clock() - self.began)
