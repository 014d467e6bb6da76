"""Memory stored by an older Fireside (schema 1) is converted at start, not lost: the viewer's facts still reach
their prompt through the console, and what is stored afterwards is schema 2's smaller shapes."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
import redis.asyncio as aioredis

from bot.adapters.console import ConsoleAdapter
from bot.app import Fireside
from bot.memory.embedder import StaticEmbedder
from bot.memory.keys import Keys
from bot.memory.redis.fact_codec import INT8_TAG, pack_vector, unpack_vector
from tests.support.app import fireside_app
from tests.support.recall_set import top3_agreement
from tests.support.redis_cluster import RedisTarget
from tests.support.scripted_llm import ScriptedLLM

UID = "0123456789abcdef0123456789abcdef"
K = Keys()
OLD_TURNS = " ".join(f"{i:032x}" for i in range(16))


async def write_schema_1(client: aioredis.Redis, embedder: StaticEmbedder) -> None:
    """Exactly what the schema-1 stores wrote: fact objects with their id, float16 base64 vectors, the text
    repeated in the change log, 16 full turn ids in the profile."""
    texts = {"f1": "User loves Celeste", "f2": "User lives in Oslo"}
    await client.set(K.alias("console", "sam"), UID)
    for i, (fid, text) in enumerate(texts.items()):
        await client.hset(K.facts(UID), fid, json.dumps({
            "id": fid, "text": text, "kind": "preference", "source": text.replace("User", "I"),
            "confidence": 0.8, "created": 1795900000.123 + i, "updated": 1795900000.123 + i}))
        vec = embedder.embed_one(text).astype(np.float16).tobytes()
        await client.hset(K.fact_vectors(UID), fid, base64.b64encode(vec).decode())
        await client.lpush(K.fact_log(UID), json.dumps({"action": "ADD", "id": fid, "text": text, "previous": None,
                                                         "at": 1795900000.5 + i}))
    await client.lpush(K.fact_log(UID), json.dumps({"action": "DELETE", "id": "f0", "text": "User hates snow",
                                                     "previous": None, "at": 1795900009.5}))
    await client.hset(K.likes(UID), "celeste", json.dumps({"thing": "Celeste", "category": "game", "strength": 0.9,
                                                            "updated": 1795900000.25}))
    await client.hset(K.profile(UID), mapping={"name:console": "Sam", "turns": "16", "recent_turns": OLD_TURNS,
                                               "first_seen": "1795900000.000", "last_seen": "1795900001.000"})
    for key in (K.facts(UID), K.fact_vectors(UID), K.fact_log(UID), K.likes(UID), K.profile(UID)):
        await client.expire(key, 86400)


async def ask(app: Fireside, text: str) -> dict[str, Any]:
    out = io.StringIO()
    stdin = io.StringIO(json.dumps({"user": "Sam", "text": text}) + "\n")
    await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, show_prompt=True, stdin=stdin,
                         stdout=out).run(app.dispatch)
    reply: dict[str, Any] = json.loads(out.getvalue().splitlines()[-1])
    return reply


@pytest.fixture
def raw_redis(redis_target: RedisTarget) -> aioredis.Redis:
    """Each test here runs on a single redis-server and on the three-node cluster."""
    return redis_target.client()


async def test_schema_1_memory_is_converted_at_start_and_still_recalled(
        redis_target: RedisTarget, scripted: ScriptedLLM, embedder: StaticEmbedder, raw_redis: aioredis.Redis) -> None:
    await write_schema_1(raw_redis, embedder)
    async with fireside_app(scripted.base_url, redis_url=redis_target.url, redis=redis_target.settings) as app:
        reply = await ask(app, "do you remember which game I love?")
    prompt = "\n".join(m["content"] for m in reply["prompt"])
    assert "«Sam loves Celeste»" in prompt and "«Sam lives in Oslo»" in prompt

    assert await raw_redis.get(K.schema()) == "2"
    binary = redis_target.client(decode=False)
    vectors = await binary.hgetall(K.fact_vectors(UID))
    assert {bytes(v[:1]) for v in vectors.values()} == {INT8_TAG}
    assert {len(v) for v in vectors.values()} == {1 + 4 + embedder.dim}
    assert 0 < await binary.ttl(K.fact_vectors(UID)) <= 86400
    assert json.loads(await raw_redis.hget(K.facts(UID), "f1") or "") == [
        "User loves Celeste", "preference", "I loves Celeste", 0.8, 1795900000]
    log = [json.loads(x) for x in await raw_redis.lrange(K.fact_log(UID), 0, -1)]
    assert log[0] == {"action": "DELETE", "id": "f0", "at": 1795900009, "previous": "User hates snow"}
    assert all("text" not in e for e in log)  # the text lives once, in the fact
    profile = await raw_redis.hgetall(K.profile(UID))
    assert profile["recent_turns"].split()[:-1] == [f"{i:032x}"[:7] for i in range(9, 16)]  # 7 old + this turn
    assert profile["name:console"] == "Sam" and await raw_redis.object("encoding", K.profile(UID)) == "listpack"
    assert await raw_redis.ttl(K.profile(UID)) > 0
    # The export still names every field.
    async with fireside_app(scripted.base_url, redis_url=redis_target.url, redis=redis_target.settings) as app:
        exported = await app.stores.identity.export("console", "sam")
    assert exported["facts"][0] == {"id": "f1", "text": "User loves Celeste", "kind": "preference",
                                    "source": "I loves Celeste", "confidence": 0.8, "created": 1795900000,
                                    "updated": 1795900000}


async def test_a_second_start_converts_nothing_and_a_held_lock_does_not_block(
        redis_target: RedisTarget, scripted: ScriptedLLM, embedder: StaticEmbedder, raw_redis: aioredis.Redis) -> None:
    redis_url, on = redis_target.url, redis_target.settings
    await write_schema_1(raw_redis, embedder)
    await raw_redis.set(K.schema_lock(), "1", ex=60)  # another process is converting
    async with fireside_app(scripted.base_url, redis_url=redis_url, redis=on) as app:
        assert await app.stores.facts.upgrade(lambda _m: None) == 0
        reply = await ask(app, "what game do I love?")  # schema 1 is still read meanwhile
        assert "«Sam loves Celeste»" in "\n".join(m["content"] for m in reply["prompt"])
    assert await raw_redis.get(K.schema()) is None
    await raw_redis.delete(K.schema_lock())
    async with fireside_app(scripted.base_url, redis_url=redis_url, redis=on) as app:
        assert await raw_redis.get(K.schema()) == "2"
        assert await app.stores.facts.upgrade(lambda _m: None) == 0  # current: one GET, nothing converted


def test_int8_vectors_pick_the_same_top_3_facts_as_float32(embedder: StaticEmbedder) -> None:
    agreement = top3_agreement(embedder, lambda v: unpack_vector(pack_vector(v)))
    assert agreement >= 0.95, agreement


@pytest.mark.parametrize("levels", [7])
def test_the_recall_check_catches_a_coarser_code(embedder: StaticEmbedder, levels: int) -> None:
    """The same check, on 4-bit codes, fails: it can tell a lossy format from a good one."""
    def coarse(v: np.ndarray) -> np.ndarray:
        step = float(np.abs(v).max()) / levels
        out: np.ndarray = np.clip(np.rint(v / step), -levels, levels) * step
        return out
    assert top3_agreement(embedder, coarse) < 0.95
