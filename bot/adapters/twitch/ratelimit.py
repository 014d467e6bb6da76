"""Outbound chat rate limiting for Twitch: per channel (20 messages per 30 s, or 100 as moderator or
broadcaster) and per bot account, with a safety margin, so the bot never gets itself silenced. A reply
that would have to wait past its deadline is dropped instead."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW = 30.0


@dataclass
class SlidingWindow:
    limit: int
    window: float = WINDOW
    sent: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """Seconds until one more message fits."""
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.window - now

    def take(self, now: float) -> None:
        self.sent.append(now)


@dataclass
class ChatLimits:
    normal: int = 20
    elevated: int = 100
    account: int = 100  # all channels together
    margin: float = 0.9  # stay this far under Twitch's numbers


class ChatRateLimiter:
    def __init__(self, limits: ChatLimits | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.limits = limits or ChatLimits()
        self.clock = clock
        self.sleep = sleep
        self._channels: dict[str, SlidingWindow] = {}
        self._account = SlidingWindow(int(self.limits.account * self.limits.margin))
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.dropped = 0

    def _window(self, channel: str, elevated: bool) -> SlidingWindow:
        limit = int((self.limits.elevated if elevated else self.limits.normal) * self.limits.margin)
        window = self._channels.get(channel)
        if window is None:
            window = self._channels[channel] = SlidingWindow(limit)
        window.limit = limit  # the bot may have been modded (or unmodded) since
        return window

    async def acquire(self, channel: str, elevated: bool, deadline: float, min_gap: float = 0.0) -> bool:
        """Wait for a send slot; False (and nothing taken) when the slot would come after `deadline`."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:  # first come, first served within a channel
            while True:
                now = self.clock()
                gap = self._last.get(channel, -1e9) + min_gap - now
                wait = max(self._window(channel, elevated).wait(now), self._account.wait(now), gap, 0.0)
                if wait <= 0:
                    self._window(channel, elevated).take(now)
                    self._account.take(now)
                    self._last[channel] = now
                    return True
                if now + wait > deadline:
                    self.dropped += 1
                    return False
                await self.sleep(wait)
