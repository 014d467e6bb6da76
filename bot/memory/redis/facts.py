"""FactStore on Redis: facts, their embeddings (int8, raw bytes: fact_codec), the change log and likes, each a
key in the user's own slot; written in one transaction per user."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.client import NEVER_DECODE
from redis.exceptions import WatchError

from bot.memory.embedder import Vectors
from bot.memory.facts import LOG_KEEP, Change, Fact, Like, log_entry
from bot.memory.keys import Keys
from bot.memory.redis.errors import RedisBacked
from bot.memory.redis.fact_codec import compact, decode_facts, encode_fact, pack_vector
from bot.memory.redis.fact_schema import migrate
from bot.memory.redis.watch_clients import WatchClients


def read_vectors(pipe: Pipeline, key: str) -> None:
    """Queue an HGETALL of a vector hash whose values come back as raw bytes (the client decodes the rest).
    redis-py reads a reply undecoded when a command carries NEVER_DECODE (redis/asyncio/client.py:989)."""
    pipe.execute_command("HGETALL", key, **{NEVER_DECODE: True})


class RedisFactStore(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, ttl: float = 365 * 86400,
                 watch: WatchClients | None = None) -> None:
        self._r = client
        self._watch = watch or WatchClients(client)
        self.keys = keys
        self.ttl = int(ttl)

    async def facts(self, uid: str) -> tuple[list[Fact], Mapping[str, Vectors]]:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.facts(uid))
            read_vectors(pipe, self.keys.fact_vectors(uid))
            raw_facts, raw_vecs = await pipe.execute()
        return decode_facts(raw_facts, raw_vecs)

    async def likes(self, uid: str) -> list[Like]:
        raw: dict[str, str] = await self._r.hgetall(self.keys.likes(uid))  # type: ignore[assignment]
        return sorted((Like(**json.loads(v)) for v in raw.values()), key=lambda like: -abs(like.strength))

    async def log(self, uid: str) -> list[dict[str, Any]]:
        raw: list[str] = await self._r.lrange(self.keys.fact_log(uid), 0, -1)  # type: ignore[assignment]
        return [json.loads(x) for x in raw]

    async def upgrade(self, progress: Callable[[str], None]) -> int:
        return await migrate(self._r, self.keys, progress, self._watch)

    async def apply(self, uid: str, changes: list[Change], likes: Sequence[Like] = ()) -> None:
        if not changes and not likes:
            return
        k = self.keys
        facts, vecs, log, like_key = k.facts(uid), k.fact_vectors(uid), k.fact_log(uid), k.likes(uid)
        async with self._watch.for_key(k.user_gone(uid)).pipeline(transaction=True) as pipe:
            # Optimistic: if the uid is forgotten between this check and EXEC, the transaction is refused and
            # the retry sees the tombstone (an extraction in flight during forget writes nothing).
            while True:
                try:
                    await pipe.watch(k.user_gone(uid))
                    if await pipe.exists(k.user_gone(uid)):
                        await pipe.reset()  # type: ignore[no-untyped-call]
                        return
                    pipe.multi()  # type: ignore[no-untyped-call]
                    self._queue_apply(pipe, changes, likes, facts, vecs, log, like_key)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    def _queue_apply(self, pipe: Pipeline, changes: list[Change], likes: Sequence[Like], facts: str, vecs: str,
                     log: str, like_key: str) -> None:
        for change in changes:
            if change.action == "NONE":
                continue
            if change.action == "DELETE":
                pipe.hdel(facts, change.fact.id)
                pipe.hdel(vecs, change.fact.id)
            else:
                pipe.hset(facts, change.fact.id, encode_fact(change.fact))
                if change.vector is not None:
                    pipe.hset(vecs, change.fact.id, pack_vector(change.vector))
            pipe.lpush(log, compact(log_entry(change)))
        for like in likes:
            pipe.hset(like_key, like.thing.lower(), compact(asdict(like)))
        pipe.ltrim(log, 0, LOG_KEEP - 1)
        for key in (facts, vecs, log, like_key):
            pipe.expire(key, self.ttl)
