"""Which bot replica serves each chat channel (Twitch), so that every channel has exactly one at a time: each
replica holds short leases in Redis and renews them; the live replicas share the channels out evenly; one that
dies stops renewing, and the others take its channels once its leases run out."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable

from bot.memory.base import MemoryUnavailable
from bot.memory.leases import LeaseStore
from bot.metrics import CHANNEL_LEASE_CHANGES, CHANNELS_OWNED

log = logging.getLogger(__name__)

Change = Callable[[str], Awaitable[None]]  # channel id -> start (or stop) serving it
GAINS_AT_ONCE = 8  # channels subscribed to at once (three requests each)
UNCLAIMED_TICKS = 3  # a free channel its planned replica leaves alone this long is taken by any replica
VALID_SHARE = 0.8  # a replica trusts its leases for this share of their life after the renewal that began it


async def ignore_channel(_channel: str) -> None:
    """The default reaction to gaining or losing a channel: none."""
    return None


def replica_name(configured: str | None) -> str:
    """The configured name (or the host's name and the process id), and a random part: two live processes
    never share a name, even a pod force-deleted but still running beside its replacement. Each would
    otherwise renew the other's leases as its own."""
    return f"{configured or f'{socket.gethostname()}-{os.getpid()}'}~{secrets.token_hex(3)}"


def plan(channels: list[str], replicas: list[str]) -> dict[str, str]:
    """Every replica works this out alike from the same lists: each channel goes to the replica that ranks it
    highest (rendezvous hashing, so a replica joining or leaving moves few channels), but none gets more than
    its fair share."""
    if not replicas:
        return {}
    cap = math.ceil(len(channels) / len(replicas))
    load = dict.fromkeys(replicas, 0)
    out: dict[str, str] = {}
    for channel in sorted(channels, key=_rank_key):
        for replica in sorted(replicas, key=functools.partial(_score, channel), reverse=True):
            if load[replica] < cap:
                out[channel] = replica
                load[replica] += 1
                break
    return out


def _score(channel: str, replica: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{channel}\0{replica}".encode(), digest_size=8).digest(), "big")


def _rank_key(channel: str) -> int:
    return _score(channel, "")


class ChannelLeases:
    def __init__(self, store: LeaseStore, platform: str, replica: str, ttl: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.platform = platform
        self.replica = replica
        self.ttl = ttl
        self.every = ttl / 3  # two renewals may fail before a lease runs out
        self.clock = clock
        self.channels: list[str] = []
        self.on_gain: Change = ignore_channel
        self.on_lose: Change = ignore_channel
        self._owned: set[str] = set()
        self._valid_until = 0.0
        self._free_ticks: dict[str, int] = {}

    def owns(self, channel: str) -> bool:
        """Whether this replica serves `channel` now. False once its leases may have run out unrenewed (Redis
        away): another replica may have taken the channel by then."""
        return channel in self._owned and self.clock() < self._valid_until

    @property
    def owned(self) -> frozenset[str]:
        return frozenset(self._owned)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:
                    # A bug or a surprise from a library must not end the renewals for good: the replica would
                    # stay up, and ready, while serving no channel.
                    log.exception("the %s channel lease tick failed; trying again", self.platform)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.every)
        finally:
            await self.let_go()

    async def tick(self) -> None:
        started = self.clock()
        try:
            await self._tick(started)
        except MemoryUnavailable as exc:
            if self._owned and self.clock() >= self._valid_until:
                log.warning("%s channel leases could not be renewed (%s): this replica stops serving %s, which "
                            "another may take now", self.platform, exc, ", ".join(sorted(self._owned)))
                await self._drop(sorted(self._owned), "expired")
            else:
                log.warning("could not renew the %s channel leases: %s", self.platform, exc)

    async def _tick(self, started: float) -> None:
        live = await self.store.heartbeat(self.platform, self.replica, self.ttl)
        planned = plan(self.channels, live)
        # Hand-off: a channel the plan gives to another live replica is let go; it takes it on its next tick.
        handed = [c for c in self._owned if planned.get(c, self.replica) != self.replica]
        if handed:
            # Stop answering there before the lease is free: the replica taking over may subscribe at once.
            lose = self._forsake(handed, "handed_off")
            await self.store.release([self._name(c) for c in handed], self.replica)
            await lose
        others = [c for c in self.channels if c not in self._owned]
        holders = await self.store.holders([self._name(c) for c in others]) if others else {}
        wanted = set(self._owned)
        for channel in others:
            if holders[self._name(channel)] is not None:
                self._free_ticks.pop(channel, None)
                continue
            self._free_ticks[channel] = self._free_ticks.get(channel, 0) + 1
            if planned.get(channel) == self.replica or self._free_ticks[channel] >= UNCLAIMED_TICKS:
                wanted.add(channel)
        held = {self._channel(n) for n in await self.store.acquire([self._name(c) for c in wanted], self.replica,
                                                                   self.ttl)}
        lost = sorted(self._owned - held)  # it ran out (this replica was too slow) and another has it now
        lose = self._forsake(lost, "lost")  # out of _owned before the renewed window makes it look valid
        self._valid_until = started + self.ttl * VALID_SHARE
        await lose
        gained = sorted(held - self._owned)
        # Concurrently, a few at a time: a first tick with a hundred channels must end well within the lease.
        limit = asyncio.Semaphore(GAINS_AT_ONCE)

        async def gain(channel: str) -> None:
            async with limit:
                await self._gain(channel)

        await asyncio.gather(*(gain(c) for c in gained))

    async def let_go(self) -> None:
        """A graceful stop: the channels are free at once, not when their leases run out."""
        owned = sorted(self._owned)
        await self._drop(owned, "released")
        with contextlib.suppress(MemoryUnavailable):
            await self.store.release([self._name(c) for c in owned], self.replica)
            await self.store.leave(self.platform, self.replica)

    async def _gain(self, channel: str) -> None:
        self._free_ticks.pop(channel, None)
        try:
            await self.on_gain(channel)
        except Exception:
            # Not serving it after all (the platform refused a subscription): undo what was done, and free it
            # for another replica.
            log.exception("could not start serving %s channel %s; leaving it to another replica", self.platform,
                          channel)
            with contextlib.suppress(Exception):
                await self.on_lose(channel)
            with contextlib.suppress(MemoryUnavailable):
                await self.store.release([self._name(channel)], self.replica)
            return
        self._owned.add(channel)
        CHANNEL_LEASE_CHANGES.labels(self.platform, "gained").inc()
        CHANNELS_OWNED.labels(self.platform).set(len(self._owned))
        log.info("this replica (%s) now serves %s channel %s", self.replica, self.platform, channel)

    async def _drop(self, channels: list[str], why: str) -> None:
        await self._forsake(channels, why)

    def _forsake(self, channels: list[str], why: str) -> Awaitable[None]:
        """Stop serving `channels` now (owns() turns False before this returns); the platform's side (dropping
        subscriptions, which takes requests) is what the returned awaitable does."""
        for channel in channels:
            self._owned.discard(channel)
            CHANNEL_LEASE_CHANGES.labels(self.platform, why).inc()
            log.info("this replica (%s) no longer serves %s channel %s (%s)", self.replica, self.platform, channel,
                     why.replace("_", " "))
        CHANNELS_OWNED.labels(self.platform).set(len(self._owned))
        return self._unsubscribe(channels)

    async def _unsubscribe(self, channels: list[str]) -> None:
        for channel in channels:
            try:
                await self.on_lose(channel)
            except Exception:
                log.exception("could not stop listening to %s channel %s", self.platform, channel)

    def _name(self, channel: str) -> str:
        return f"{self.platform}:{channel}"

    def _channel(self, name: str) -> str:
        return name.removeprefix(f"{self.platform}:")
