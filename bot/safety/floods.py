"""Floods: rate limits on chat turns per user, per channel and per server, and a cap on the turns waiting in one
channel. A turn over a limit costs no model call. A user over their own limit is refused in silence; a channel
or server over its limit hears one short in-character "busy" line, then the bot keeps quiet there for a while.
Every refusal is counted. The buckets are this process's own (one bot process per shard or platform). The
console, the operator's own terminal, is not limited."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.events import ChatEvent, ReplySink
from bot.metrics import FLOOD_REFUSALS
from bot.safety.sanitize import clean_text

Handler = Callable[[ChatEvent, ReplySink], Awaitable[Any]]
BUSY = "One at a time, friends! Give me a moment to catch up."
QUIET_FOR = 60.0  # seconds a channel hears no second "busy"
KEEP = 50_000  # buckets held at most; idle full ones are dropped past this


@dataclass(frozen=True)
class FloodLimits:
    user_burst: int = 3
    user_per_minute: float = 6.0
    channel_burst: int = 10
    channel_per_minute: float = 30.0
    server_burst: int = 20
    server_per_minute: float = 60.0
    channel_queue: int = 8  # turns waiting or running in one channel at once


class TokenBuckets:
    """One token bucket per key: `burst` at once, refilled at `per_minute`."""

    def __init__(self, burst: int, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def take(self, key: str) -> bool:
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > KEEP:
            self._prune(now)
        return True

    def _prune(self, now: float) -> None:
        refill = (self.burst / self.rate) if self.rate else float("inf")
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}


class FloodGuard:
    def __init__(self, limits: FloodLimits = FloodLimits(), clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.users = TokenBuckets(limits.user_burst, limits.user_per_minute, clock)
        self.channels = TokenBuckets(limits.channel_burst, limits.channel_per_minute, clock)
        self.servers = TokenBuckets(limits.server_burst, limits.server_per_minute, clock)
        self._waiting: dict[str, int] = {}
        self._told: dict[str, float] = {}

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        if event.platform == "console":
            return await handler(event, sink)  # the operator's own terminal, and the scripts they feed it
        if not clean_text(event.text, 100).strip():
            FLOOD_REFUSALS.labels("empty").inc()  # nothing to answer: no model call
            return None
        if not self.users.take(event.author_key):
            FLOOD_REFUSALS.labels("user").inc()
            return None
        channel = event.channel_key
        server = f"{event.platform}:{event.space}" if event.space else None
        over = ("queue" if self._waiting.get(channel, 0) >= self.limits.channel_queue else
                "channel" if not self.channels.take(channel) else
                "server" if server is not None and not self.servers.take(server) else None)
        if over is not None:
            FLOOD_REFUSALS.labels(over).inc()
            await self._busy(event, sink)
            return None
        self._waiting[channel] = self._waiting.get(channel, 0) + 1
        try:
            return await handler(event, sink)
        finally:
            self._waiting[channel] -= 1
            if not self._waiting[channel]:
                del self._waiting[channel]

    async def _busy(self, event: ChatEvent, sink: ReplySink) -> None:
        now = self.clock()
        told = self._told.get(event.channel_key)
        if told is not None and now - told < QUIET_FOR:
            return
        if len(self._told) > KEEP:
            self._told = {k: t for k, t in self._told.items() if now - t < QUIET_FOR}
        self._told[event.channel_key] = now
        await sink.start("Fireside")
        await sink.write(BUSY)
        await sink.finish()
