"""A real local Redis Cluster for the suite: three `redis-server --cluster-enabled yes` nodes joined by
`redis-cli --cluster create`, no replicas; started once, emptied before each test, and able to lose a node."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.cluster import ClusterNode, RedisCluster

from bot.services.redis_server import RedisServer


class RedisClusterServers:
    def __init__(self, data_dir: Path, nodes: int = 3) -> None:
        # Append-only on, as in production: forget must reach each primary's file.
        self.nodes = [RedisServer(data_dir / f"node{i}", cluster=True) for i in range(nodes)]

    @property
    def url(self) -> str:
        """One node's URL: the client learns the others from it (CLUSTER SLOTS)."""
        return self.nodes[0].url

    def start(self, timeout: float = 30.0) -> None:
        for node in self.nodes:
            node.start()
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not installed (it comes with redis-server)")
        subprocess.run([cli, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
        self.wait_ok(timeout)

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Until every node says cluster_state:ok (the slots' owners have gossiped to each other)."""
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            client = redis.Redis(port=node.port, decode_responses=True)
            try:
                while client.cluster("info").get("cluster_state") != "ok":  # type: ignore[no-untyped-call]
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the Redis Cluster did not come up within {timeout:.0f}s")
                    time.sleep(0.05)
            finally:
                client.close()

    def flush(self) -> None:
        client = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", n.port) for n in self.nodes])
        try:
            client.flushall(target_nodes=RedisCluster.PRIMARIES)
        finally:
            client.close()

    def alive(self) -> bool:
        return all(n.proc is not None and n.proc.poll() is None for n in self.nodes)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class RedisTarget:
    """A Redis a test runs against (one server, or a cluster): its URL, the settings that name it, and a raw
    client of the right kind to look inside."""

    def __init__(self, url: str, cluster: bool) -> None:
        self.url = url
        self.cluster = cluster
        self._clients: list[Any] = []

    @property
    def settings(self) -> dict[str, Any]:
        return {"cluster": self.cluster}

    def client(self, decode: bool = True) -> aioredis.Redis:
        made: Any = (aioredis.RedisCluster if self.cluster else aioredis.Redis).from_url(
            self.url, decode_responses=decode)
        self._clients.append(made)
        return made  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
