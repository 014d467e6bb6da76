"""LeaseStore on Redis: one key per lease (SET NX PX takes it; a script renews or drops it only for its owner,
so a lease that expired and was taken by another replica is never renewed over it), and one sorted set per
pool of replicas, scored by when each one's heartbeat runs out (on Redis's clock)."""

from __future__ import annotations

from collections.abc import Collection

import redis.asyncio as aioredis
from redis.exceptions import RedisClusterException, RedisError

from bot.memory.keys import Keys
from bot.memory.redis import scripts
from bot.memory.redis.errors import RedisBacked


class RedisLeaseStore(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._r = client
        self.keys = keys
        self._beat = client.register_script(scripts.HEARTBEAT)
        self._take = client.register_script(scripts.TAKE_LEASE)
        self._drop = client.register_script(scripts.DROP_LEASE)

    async def heartbeat(self, pool: str, member: str, ttl: float) -> list[str]:
        alive = await self._beat(keys=[self.keys.replicas(pool)], args=[member, max(1, int(ttl * 1000))])
        return sorted(str(m) for m in alive)

    async def leave(self, pool: str, member: str) -> None:
        await self._r.zrem(self.keys.replicas(pool), member)

    async def acquire(self, names: Collection[str], owner: str, ttl: float) -> set[str]:
        ms = max(1, int(ttl * 1000))
        # One script call per lease (each in its own slot), not a pipeline: Script objects reload themselves
        # after a Redis restart, and leases change a few times an hour.
        held, failed = set(), 0
        for name in names:
            try:
                if await self._take(keys=[self.keys.lease(name)], args=[owner, ms]):
                    held.add(name)
            except (RedisError, RedisClusterException):
                # One node of a cluster away: the leases on the others are still renewed.
                failed += 1
                if failed == len(names):
                    raise
        return held

    async def release(self, names: Collection[str], owner: str) -> None:
        for name in names:
            await self._drop(keys=[self.keys.lease(name)], args=[owner])

    async def holders(self, names: Collection[str]) -> dict[str, str | None]:
        ordered = list(names)
        async with self._r.pipeline(transaction=False) as pipe:
            for name in ordered:
                pipe.get(self.keys.lease(name))
            found = await pipe.execute()
        return dict(zip(ordered, found, strict=True))
