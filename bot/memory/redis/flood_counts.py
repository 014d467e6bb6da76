"""FloodCounts on Redis: one counter per limiter and minute (INCRBY is atomic, so processes never lose a count),
each key in its own slot and expiring on its own; one pipelined round trip a second, off the reply path."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import redis.asyncio as aioredis

from bot.memory.flood_counts import WINDOW_TTL
from bot.memory.keys import Keys
from bot.memory.redis.errors import RedisBacked


class RedisFloodCounts(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._r = client
        self.keys = keys

    async def exchange(self, spent: Mapping[str, int], window: int, drop: Collection[str] = ()) -> dict[str, int]:
        if not spent and not drop:
            return {}
        names = list(spent)
        async with self._r.pipeline(transaction=False) as pipe:
            for name in drop:
                pipe.delete(self.keys.flood_count(name, window), self.keys.flood_count(name, window - 1))
            for name in names:
                key = self.keys.flood_count(name, window)
                pipe.incrby(key, spent[name])
                pipe.expire(key, WINDOW_TTL)
            results = await pipe.execute()
        totals = results[len(drop):][::2]
        return {name: int(total) for name, total in zip(names, totals, strict=True)}
