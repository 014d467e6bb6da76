"""Open every Redis store on one connection pool: the only way the rest of the bot gets Redis stores."""

from __future__ import annotations

from typing import cast

import redis.asyncio as aioredis

from bot.memory.keys import Keys
from bot.memory.redis.audit import RedisAuditLog
from bot.memory.redis.catalogs import RedisCatalogStore, RedisRecommendationLog
from bot.memory.redis.errors import RedisBacked, RedisHealth
from bot.memory.redis.facts import RedisFactStore
from bot.memory.redis.flood_counts import RedisFloodCounts
from bot.memory.redis.identity import RedisIdentity
from bot.memory.redis.leases import RedisLeaseStore
from bot.memory.redis.stories import RedisStoryStore
from bot.memory.redis.tokens import RedisTokenStore
from bot.memory.redis.turns import RedisMemoryStore
from bot.memory.redis.watch_clients import WatchClients
from bot.memory.stores import Stores
from bot.memory.uid_cache import UidCache


def open_redis_stores(url: str, *, cluster: bool = False, max_connections: int = 64, history_max: int = 40,
                      history_ttl: float = 30 * 86400, profile_ttl: float = 365 * 86400) -> Stores:
    client = _cluster_client(url, max_connections) if cluster else _client(url, max_connections)
    keys, uids = Keys(), UidCache()
    watch = WatchClients(client, url if cluster else None)
    memory = RedisMemoryStore(client, keys, uids, history_max=history_max, history_ttl=history_ttl,
                              profile_ttl=profile_ttl)
    memory.closing.append(watch.aclose)
    stores = Stores(
        memory=memory,
        facts=RedisFactStore(client, keys, ttl=profile_ttl, watch=watch),
        identity=RedisIdentity(client, keys, uids),
        audit=RedisAuditLog(client, keys),
        tokens=RedisTokenStore(client, keys),
        stories=RedisStoryStore(client, keys, watch=watch),
        catalogs=RedisCatalogStore(client, keys),
        recommended=RedisRecommendationLog(client, keys, ttl=int(profile_ttl)),
        floods=RedisFloodCounts(client, keys),
        leases=RedisLeaseStore(client, keys),
    )
    # One breaker for the server (or cluster) behind them all; on a cluster, a bound on calls at once.
    health = RedisHealth(limit=max_connections if cluster else None)
    for store in vars(stores).values():
        if isinstance(store, RedisBacked):
            store.health = health  # type: ignore[attr-defined]
    return stores


def _client(url: str, max_connections: int) -> aioredis.Redis:
    # A blocking pool: a burst of concurrent turns waits for a free connection instead of failing with
    # "Too many connections" (redis-py's default pool raises past its size).
    pool = aioredis.BlockingConnectionPool.from_url(
        url, decode_responses=True, max_connections=max_connections, timeout=10, socket_connect_timeout=5,
        socket_timeout=10, health_check_interval=30)
    return aioredis.Redis(connection_pool=pool)


def _cluster_client(url: str, max_connections: int) -> aioredis.Redis:
    """A Redis Cluster client that learns every node from the one in `url`. The stores use only commands
    that both clients share (and keep each transaction and script in one slot); the contract suite runs
    them all on a real three-node cluster, which is what makes the cast below true."""
    client = aioredis.RedisCluster.from_url(
        url, decode_responses=True, max_connections=max_connections, socket_connect_timeout=5,
        socket_timeout=10, health_check_interval=30)
    return cast(aioredis.Redis, client)
