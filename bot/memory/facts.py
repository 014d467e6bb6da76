"""Long-term facts and preferences per user (in the user's own Redis slot), with their embeddings and a
history of every change. Written atomically per user; read in one round trip."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.memory.embedder import Vectors
from bot.memory.keys import Keys
from bot.memory.redis_store import MemoryUnavailable

FactKind = Literal["preference", "fact", "relationship"]
Action = Literal["ADD", "UPDATE", "DELETE", "NONE"]
LOG_KEEP = 200


@dataclass(frozen=True)
class Fact:
    id: str
    text: str
    kind: str
    source: str  # the user's message it came from
    confidence: float
    created: float
    updated: float


@dataclass(frozen=True)
class Like:
    thing: str
    category: str  # game, film, music, stream, food, other
    strength: float  # -1 (hates) .. 1 (loves)
    updated: float


@dataclass(frozen=True)
class Change:
    action: Action
    fact: Fact
    vector: Vectors | None = None
    previous: str | None = None  # the text an UPDATE or DELETE replaced


def _pack(vector: Vectors) -> str:
    return base64.b64encode(vector.astype(np.float16).tobytes()).decode("ascii")


def _unpack(raw: str) -> Vectors:
    vec: Vectors = np.frombuffer(base64.b64decode(raw), dtype=np.float16).astype(np.float32)
    return vec


class RedisFactStore:
    def __init__(self, client: aioredis.Redis, keys: Keys | None = None, ttl: float = 365 * 86400) -> None:
        self._r = client
        self.keys = keys or Keys()
        self.ttl = int(ttl)

    async def facts(self, uid: str) -> tuple[list[Fact], dict[str, Vectors]]:
        try:
            async with self._r.pipeline(transaction=False) as pipe:
                pipe.hgetall(self.keys.user(uid, "facts"))
                pipe.hgetall(self.keys.user(uid, "factvec"))
                raw_facts, raw_vecs = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc
        facts = [Fact(**json.loads(v)) for v in raw_facts.values()]
        facts.sort(key=lambda f: f.created)
        return facts, {k: _unpack(v) for k, v in raw_vecs.items()}

    async def likes(self, uid: str) -> list[Like]:
        try:
            raw: dict[str, str] = await self._r.hgetall(self.keys.user(uid, "likes"))  # type: ignore[assignment]
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc
        return sorted((Like(**json.loads(v)) for v in raw.values()), key=lambda like: -abs(like.strength))

    async def log(self, uid: str) -> list[dict[str, Any]]:
        raw: list[str] = await self._r.lrange(self.keys.user(uid, "factlog"), 0, -1)  # type: ignore[assignment]
        return [json.loads(x) for x in raw]

    async def apply(self, uid: str, changes: list[Change], likes: Sequence[Like] = ()) -> None:
        """Apply decided changes and preference updates in one transaction on the user's slot."""
        if not changes and not likes:
            return
        facts, vecs, log, like_key = (self.keys.user(uid, p) for p in ("facts", "factvec", "factlog", "likes"))
        try:
            async with self._r.pipeline(transaction=True) as pipe:
                for change in changes:
                    if change.action == "NONE":
                        continue
                    if change.action == "DELETE":
                        pipe.hdel(facts, change.fact.id)
                        pipe.hdel(vecs, change.fact.id)
                    else:
                        pipe.hset(facts, change.fact.id, json.dumps(asdict(change.fact)))
                        if change.vector is not None:
                            pipe.hset(vecs, change.fact.id, _pack(change.vector))
                    pipe.lpush(log, json.dumps({"action": change.action, "id": change.fact.id,
                                                "text": change.fact.text, "previous": change.previous,
                                                "at": change.fact.updated}))
                for like in likes:
                    pipe.hset(like_key, like.thing.lower(), json.dumps(asdict(like)))
                pipe.ltrim(log, 0, LOG_KEEP - 1)
                for key in (facts, vecs, log, like_key):
                    pipe.expire(key, self.ttl)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc


def new_fact(text: str, kind: str, source: str, confidence: float = 0.8, now: float | None = None) -> Fact:
    at = now if now is not None else time.time()
    return Fact(id=uuid.uuid4().hex[:12], text=text, kind=kind, source=source, confidence=confidence,
                created=at, updated=at)
