"""Where an optimistic transaction (WATCH, reads, MULTI/EXEC) runs: on one server, the client itself; on a Redis
Cluster, a plain client to the node that holds the key's slot. redis-py 8.1's cluster transactions send every
command through a new thread running its own event loop (redis/asyncio/cluster.py:3111-3137, TransactionStrategy
.execute_command), which re-initializes the client there when a connection error has flagged it, and can then
hang the whole process on a lock held by the main loop."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis


class WatchClients:
    def __init__(self, client: aioredis.Redis, url: str | None = None, max_connections: int = 8) -> None:
        self._r = client
        self._url = url  # a cluster node's URL, whose host and port are swapped for each node's
        self._max = max_connections
        self._nodes: dict[str, aioredis.Redis] = {}

    def for_key(self, key: str) -> aioredis.Redis:
        cluster = self._r
        if not isinstance(cluster, aioredis.RedisCluster) or self._url is None:
            return self._r
        node = cluster.get_node_from_key(key)  # from the slot map learned at start (and after each MOVED)
        client = self._nodes.get(node.name)
        if client is None:
            parts = urlsplit(self._url)
            auth = parts.netloc.rpartition("@")[0]
            netloc = f"{auth}@{node.host}:{node.port}" if auth else f"{node.host}:{node.port}"
            pool = aioredis.BlockingConnectionPool.from_url(
                urlunsplit(parts._replace(netloc=netloc)), decode_responses=True, max_connections=self._max,
                timeout=10, socket_connect_timeout=5, socket_timeout=10)
            client = self._nodes[node.name] = aioredis.Redis(connection_pool=pool)
        return client

    async def aclose(self) -> None:
        for client in self._nodes.values():
            await client.aclose()
            await client.connection_pool.disconnect()
        self._nodes.clear()
