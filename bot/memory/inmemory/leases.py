"""LeaseStore in process memory: the twin of the Redis leases (two apps on one World share them)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from bot.memory.inmemory.world import World


class InMemoryLeaseStore:
    def __init__(self, world: World, clock: Callable[[], float] = time.time) -> None:
        self.w = world
        self.clock = clock

    async def heartbeat(self, pool: str, member: str, ttl: float) -> list[str]:
        self.w.check()
        now = self.clock()
        members = self.w.replicas.setdefault(pool, {})
        members[member] = now + ttl
        for gone in [m for m, until in members.items() if until <= now]:
            del members[gone]
        return sorted(members)

    async def leave(self, pool: str, member: str) -> None:
        self.w.check()
        self.w.replicas.get(pool, {}).pop(member, None)

    async def acquire(self, names: Collection[str], owner: str, ttl: float) -> set[str]:
        self.w.check()
        now, held = self.clock(), set()
        for name in names:
            holder = self._holder(name, now)
            if holder in (None, owner):
                self.w.leases[name] = (owner, now + ttl)
                held.add(name)
        return held

    async def release(self, names: Collection[str], owner: str) -> None:
        self.w.check()
        for name in names:
            if self._holder(name, self.clock()) == owner:
                del self.w.leases[name]

    async def holders(self, names: Collection[str]) -> dict[str, str | None]:
        self.w.check()
        now = self.clock()
        return {name: self._holder(name, now) for name in names}

    def _holder(self, name: str, now: float) -> str | None:
        owner, until = self.w.leases.get(name, ("", 0.0))
        return owner if owner and until > now else None
