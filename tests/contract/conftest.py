"""The contract suite runs every case against each implementation of the stores: Redis (a real redis-server
the suite starts) and the in-memory twin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.memory.inmemory import World, in_memory_stores
from bot.memory.redis.backend import open_redis_stores
from bot.memory.stores import Stores


@pytest.fixture(params=["redis", "cluster", "memory"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param in ("redis", "cluster"):
        # A sync fixture only: an async one can't be requested from inside a running loop.
        cluster = request.param == "cluster"
        url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
        stores = open_redis_stores(url, cluster=cluster, history_max=8)
        await stores.ping()
        yield stores
        await stores.aclose()
    else:
        yield in_memory_stores(history_max=8, world=World())


@pytest.fixture
async def everything(stores: Stores, request: pytest.FixtureRequest) -> AsyncIterator[Everything]:
    yield Everything(stores, request)


class Everything:
    """All that a store implementation holds, as one text: a forgotten person must leave no trace in it."""

    def __init__(self, stores: Stores, request: pytest.FixtureRequest) -> None:
        self.stores = stores
        self.request = request

    async def text(self) -> str:
        world = getattr(self.stores.memory, "w", None)
        if isinstance(world, World):
            return world.dump()
        client: aioredis.Redis | aioredis.RedisCluster
        if self.request.node.callspec.params["stores"] == "cluster":
            client = aioredis.RedisCluster.from_url(self.request.getfixturevalue("redis_cluster_url"),
                                                    decode_responses=True)
        else:
            client = aioredis.Redis.from_url(self.request.getfixturevalue("redis_url"), decode_responses=True)
        parts: list[str] = []
        async for key in client.scan_iter(match="*"):
            if key.endswith(":gone"):
                # A tombstone names only what is gone (a random uid; an account, for 15 minutes) and expires:
                # it is how work still in flight is stopped from bringing anything back.
                assert await client.ttl(key) > 0, f"a tombstone that never expires: {key}"
                continue
            kind = await client.type(key)
            if kind == "string":
                parts += [key, str(await client.get(key))]
            elif kind == "list":
                parts += [key, *await client.lrange(key, 0, -1)]
            elif kind == "hash":
                parts += [key, *(f"{k}={v}" for k, v in (await client.hgetall(key)).items())]
            elif kind == "set":
                parts += [key, *await client.smembers(key)]
        await client.aclose()
        return "\n".join(parts)
