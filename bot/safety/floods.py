"""Floods: rate limits on chat turns per user, per channel and per server, and a cap on the turns waiting in one
channel. A turn over a limit costs no model call. A user over their own limit is refused in silence; a channel
or server over its limit hears one short in-character "busy" line, then the bot keeps quiet there for a while.
Every refusal is counted. The console, the operator's own terminal, is not limited.

Each process decides at once from its own buckets, so a limit costs no round trip on the reply path. Once a
second, `sync` adds what this process let through to per-minute counters in Redis (atomic INCRBY) and reads
back the totals of every process together (Discord shards, Twitch replicas); a user, channel or server over
its per-minute allowance in total is closed in every process until that minute ends."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.events import ChatEvent, ReplySink
from bot.memory.base import MemoryUnavailable
from bot.memory.flood_counts import FloodCounts
from bot.metrics import FLOOD_REFUSALS, FLOOD_SYNCS
from bot.safety.sanitize import clean_text

log = logging.getLogger(__name__)
Handler = Callable[[ChatEvent, ReplySink], Awaitable[Any]]
BUSY = "One at a time, friends! Give me a moment to catch up."
QUIET_FOR = 60.0  # seconds a channel hears no second "busy"
KEEP = 50_000  # buckets held at most; idle full ones are dropped past this
SYNC_EVERY = 1.0  # seconds between exchanges of counts with the other processes


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

    def drop(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _prune(self, now: float) -> None:
        refill = (self.burst / self.rate) if self.rate else float("inf")
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}


class FloodGuard:
    def __init__(self, limits: FloodLimits = FloodLimits(), clock: Callable[[], float] = time.monotonic,
                 shared: FloodCounts | None = None, wall: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.clock = clock
        self.wall = wall  # minutes are counted on the wall clock, which every process shares
        self.shared = shared
        self.users = TokenBuckets(limits.user_burst, limits.user_per_minute, clock)
        self.channels = TokenBuckets(limits.channel_burst, limits.channel_per_minute, clock)
        self.servers = TokenBuckets(limits.server_burst, limits.server_per_minute, clock)
        self._waiting: dict[str, int] = {}
        self._told: dict[str, float] = {}
        self._spent: Counter[str] = Counter()  # digest -> turns let through since the last sync
        self._closed: dict[str, float] = {}  # digest -> until when every process together is over the limit
        self._drop: set[str] = set()  # a forgotten person's digests, erased at the next sync
        # Limiters this process let through this minute: each sync reads their totals, so turns taken in other
        # processes close them here too, even when this process let nothing new through.
        self._active: set[str] = set()
        self._window = 0

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        if event.platform == "console":
            return await handler(event, sink)  # the operator's own terminal, and the scripts they feed it
        if not clean_text(event.text, 100).strip():
            FLOOD_REFUSALS.labels("empty").inc()  # nothing to answer: no model call
            return None
        user = _digest("u", event.author_key)
        if self._is_closed(user) or not self.users.take(event.author_key):
            FLOOD_REFUSALS.labels("user").inc()
            return None
        channel = event.channel_key
        server = f"{event.platform}:{event.space}" if event.space else None
        in_channel, in_server = _digest("c", channel), _digest("s", server) if server else None
        over = ("queue" if self._waiting.get(channel, 0) >= self.limits.channel_queue else
                "channel" if self._is_closed(in_channel) or not self.channels.take(channel) else
                "server" if server and in_server and (
                    self._is_closed(in_server) or not self.servers.take(server)) else None)
        if over is not None:
            FLOOD_REFUSALS.labels(over).inc()
            await self._busy(event, sink)
            return None
        names = (user, in_channel, *((in_server,) if in_server else ()))
        self._spent.update(names)
        self._active.update(names)  # these three, not every name spent this second again
        self._waiting[channel] = self._waiting.get(channel, 0) + 1
        try:
            return await handler(event, sink)
        finally:
            self._waiting[channel] -= 1
            if not self._waiting[channel]:
                del self._waiting[channel]

    async def sync(self) -> None:
        """One exchange with the other processes (see the module's docstring). Redis away: each process keeps to
        its own limits, and what it let through meanwhile is not counted twice later."""
        now = self.wall()
        window = int(now // 60)
        if window != self._window:
            self._window, self._active = window, set(self._spent)
        if self.shared is None or not (self._active or self._drop):
            return
        spent, drop = {name: self._spent.get(name, 0) for name in self._active}, set(self._drop)
        self._spent.clear()
        try:
            totals = await self.shared.exchange(spent, window, drop)
        except MemoryUnavailable as exc:
            FLOOD_SYNCS.labels("failed").inc()
            log.debug("flood counts not shared this time: %s", exc)
            return
        FLOOD_SYNCS.labels("ok").inc()
        self._drop -= drop
        until = self.clock() + (window + 1) * 60 - now
        for name, total in totals.items():
            if total + 1 > self._allowance(name):  # the next turn anywhere would be over
                self._closed[name] = until

    async def run(self, stop: asyncio.Event, every: float = SYNC_EVERY) -> None:
        while not stop.is_set():
            await self.sync()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    def forget(self, account: str) -> None:
        """Forget's account listener: this person's buckets go, here and in Redis."""
        name = _digest("u", account)
        self.users.drop(account)
        self._closed.pop(name, None)
        self._spent.pop(name, None)
        self._active.discard(name)
        if self.shared is not None:
            self._drop.add(name)

    def _allowance(self, name: str) -> float:
        """Turns a limiter may take in one minute, all processes together: its burst and a minute's refill."""
        lim = self.limits
        return {"u": lim.user_burst + lim.user_per_minute, "c": lim.channel_burst + lim.channel_per_minute,
                "s": lim.server_burst + lim.server_per_minute}[name[0]]

    def _is_closed(self, name: str) -> bool:
        until = self._closed.get(name)
        if until is None:
            return False
        if until > self.clock():
            return True
        del self._closed[name]
        return False

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


def _digest(kind: str, key: str) -> str:
    """A limiter's shared name: its kind and a digest, so Redis never holds a user's or a channel's id."""
    return kind + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
