"""At start, on Redis Cluster: every node the cluster lists must answer and the cluster must say it is ok; else
one clear message names the nodes that don't and the slots they hold (the bot would lose every user in them).
And the setting must match the server: a cluster node used as a plain server refuses most keys (MOVED)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode
from redis.exceptions import RedisClusterException, RedisError, ResponseError

from bot.errors import ConfigError
from bot.memory.base import MemoryUnavailable

PING_SECONDS = 3.0


async def check_cluster(client: aioredis.RedisCluster) -> None:
    try:
        await client.initialize()
    except (RedisClusterException, RedisError, OSError) as exc:
        if "cluster mode is not enabled" in str(exc).lower():
            raise ConfigError("FIRESIDE_REDIS__URL names a Redis server that is not a Redis Cluster: unset "
                              "FIRESIDE_REDIS__CLUSTER (or set it to false)") from None
        raise MemoryUnavailable(f"no node of the Redis Cluster answers ({exc})") from exc
    nodes = client.get_nodes()
    answers = await asyncio.gather(*(_answers(client, node) for node in nodes))
    down = [node for node, ok in zip(nodes, answers, strict=True) if not ok]
    if down:
        held = _slots_by_node(client)
        names = ", ".join(f"{n.name} ({n.server_type or 'node'}, {held.get(n.name, 0)} of 16384 slots)" for n in down)
        raise MemoryUnavailable(f"Redis Cluster node{'s' if len(down) > 1 else ''} not answering: {names}. Every "
                                "user and channel kept in those slots would be out of reach; start the node, or "
                                "fail it over to a replica, then start Fireside again")
    info = await client.cluster_info(target_nodes=nodes[0])
    state = info.get("cluster_state") if isinstance(info, dict) else None
    if state != "ok":
        raise MemoryUnavailable(f"the Redis Cluster says cluster_state:{state} (see CLUSTER INFO): some slots "
                                "have no working node")


async def _answers(client: aioredis.RedisCluster, node: ClusterNode) -> bool:
    try:
        async with asyncio.timeout(PING_SECONDS):
            return bool(await client.ping(target_nodes=node))
    except (TimeoutError, RedisClusterException, RedisError, OSError):
        return False


def _slots_by_node(client: aioredis.RedisCluster) -> dict[str, int]:
    counts: dict[str, int] = {}
    for owners in client.nodes_manager.slots_cache.values():
        if owners:
            counts[owners[0].name] = counts.get(owners[0].name, 0) + 1
    return counts


async def check_not_cluster(client: aioredis.Redis) -> None:
    try:
        info = await client.info("cluster")
    except ResponseError:
        return  # a managed Redis that hides INFO: the first MOVED will say it
    if info.get("cluster_enabled"):
        raise ConfigError("FIRESIDE_REDIS__URL names a node of a Redis Cluster: set FIRESIDE_REDIS__CLUSTER=true, so "
                          "that Fireside follows each key to the node that holds it")
