"""What only Redis Cluster adds, on a real three-node cluster the suite starts: a node down at start is named in
one clear error, and forget reaches every primary's append-only file. (The contract suite, the memory tests and
the schema upgrade run on the cluster too.)"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.adapters.console import ConsoleAdapter
from bot.app import redis_stores
from bot.errors import ConfigError
from bot.memory.facts import Change, new_fact
from bot.memory.redis.backend import open_redis_stores
from bot.settings import load_settings
from tests.support.app import fireside_app
from tests.support.redis_cluster import RedisClusterServers
from tests.support.scripted_llm import ScriptedLLM


async def test_a_cluster_node_down_at_start_is_named(redis_cluster_url: str, redis_cluster: RedisClusterServers,
                                                     tmp_path: object) -> None:
    down = redis_cluster.nodes[2]
    down.kill()
    settings = load_settings(redis={"url": redis_cluster_url, "cluster": True}, llm={"model": "scripted"})
    with pytest.raises(ConfigError) as caught:
        async with redis_stores(settings, lambda _m: None):
            pass
    message = str(caught.value)
    assert f"127.0.0.1:{down.port}" in message and "not answering" in message, message
    assert "slots" in message and "Traceback" not in message


async def test_a_cluster_node_given_as_a_plain_server_is_a_settings_error(redis_cluster_url: str) -> None:
    """Without FIRESIDE_REDIS__CLUSTER, two keys in three would be refused (MOVED) once chat begins: say so at
    start instead."""
    settings = load_settings(redis={"url": redis_cluster_url}, llm={"model": "scripted"})
    with pytest.raises(ConfigError, match="FIRESIDE_REDIS__CLUSTER=true"):
        async with redis_stores(settings, lambda _m: None):
            pass


async def test_a_plain_server_given_as_a_cluster_is_a_settings_error(redis_url: str) -> None:
    settings = load_settings(redis={"url": redis_url, "cluster": True}, llm={"model": "scripted"})
    with pytest.raises(ConfigError, match="not a Redis Cluster") as caught:
        async with redis_stores(settings, lambda _m: None):
            pass
    assert "FIRESIDE_REDIS__CLUSTER" in str(caught.value)


async def test_forget_leaves_no_word_in_any_primarys_append_only_file(
        redis_cluster_url: str, redis_cluster: RedisClusterServers, scripted: ScriptedLLM) -> None:
    async with fireside_app(scripted.base_url, redis_url=redis_cluster_url, redis={"cluster": True},
                            memory={"facts": False}) as app:
        lines = [{"user": f"Viewer{i}", "text": f"my code word is PAPAYA{i}"} for i in range(6)]
        await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdout=io.StringIO(),
                             stdin=io.StringIO("".join(json.dumps(x) + "\n" for x in lines))).run(app.dispatch)

        def on_disk() -> bytes:
            return b"".join(p.read_bytes() for node in redis_cluster.nodes
                            for p in (node.data_dir / "appendonlydir").iterdir() if p.is_file())

        assert b"PAPAYA" in on_disk()
        client = aioredis.RedisCluster.from_url(redis_cluster_url, decode_responses=True)
        try:
            await client.initialize()
            owners = {client.get_node_from_key(f"fs:{{a:console:viewer{i}}}").name for i in range(6)}
        finally:
            await client.aclose()
        assert len(owners) > 1, "the viewers should be spread over more than one node"
        app.stores.memory.aof.min_gap = 0  # type: ignore[attr-defined]  # (ten minutes between rewrites)
        for i in range(6):
            await app.memory.forget_account("console", f"viewer{i}")
        for _ in range(200):
            if b"PAPAYA" not in on_disk():
                break
            await asyncio.sleep(0.1)
        assert b"PAPAYA" not in on_disk()


@pytest.mark.timeout(60)
async def test_a_fact_write_goes_on_while_the_cluster_client_reconnects(redis_cluster_url: str) -> None:
    """redis-py's cluster transactions would re-initialize the client on a throwaway loop in a thread while the
    main loop holds its lock, and hang the process (redis/asyncio/cluster.py:3111-3137); the stores' optimistic
    transactions run on a plain client to the key's node instead."""
    stores = open_redis_stores(redis_cluster_url, cluster=True)
    await stores.ping()
    client: Any = stores.memory._r  # type: ignore[attr-defined]
    client._initialize = True  # as after a connection error (asyncio/cluster.py:1330)
    release = asyncio.Event()

    async def reconnecting() -> None:  # another task's initialize() holding the lock meanwhile
        async with client._lock:
            await release.wait()

    holder = asyncio.ensure_future(reconnecting())
    await asyncio.sleep(0.05)
    fact = new_fact("User loves Celeste", "preference", "I love Celeste")
    await stores.facts.apply("u1", [Change("ADD", fact)])
    release.set()
    await holder
    facts, _ = await stores.facts.facts("u1")
    assert [f.text for f in facts] == ["User loves Celeste"]
    await stores.aclose()
