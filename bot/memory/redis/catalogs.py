"""CatalogStore on Redis: a catalog's items as one hash (id -> item JSON) and its description beside it, in one
slot; an import is written aside and swapped in with one RENAME, so a reader never sees half a catalog."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence

import redis.asyncio as aioredis

from bot.memory.keys import Keys
from bot.memory.redis.errors import RedisBacked
from bot.recommend.catalog import Catalog, Item
from bot.recommend.store import HISTORY_KEEP, CatalogInfo

CHUNK = 2000  # items per HSET while staging an import
STAGING_TTL = 3600


class RedisCatalogStore(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._r = client
        self.keys = keys

    async def put(self, catalog: Catalog, source: str, at: float) -> bool:
        k, name = self.keys, catalog.name
        if await self._r.hget(k.catalog_meta(name), "digest") == catalog.digest:
            await self._r.sadd(k.catalogs(), name)  # listed again, had a crash come between the two steps below
            return False
        # Each import writes aside under its own key (two at once never mix), gone by itself if this one dies.
        staging = f"{k.catalog_staging(name)}:{uuid.uuid4().hex[:12]}"
        items = list(catalog.items)
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            await self._r.hset(staging, mapping={i.id: i.to_json() for i in chunk})
            await self._r.expire(staging, STAGING_TTL)
        meta = {"digest": catalog.digest, "count": len(items), "kinds": json.dumps(catalog.kinds),
                "source": source, "imported_at": f"{at:.3f}"}
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.execute_command("RENAME", staging, k.catalog_items(name))
            pipe.persist(k.catalog_items(name))  # RENAME keeps the staging key's TTL
            pipe.delete(k.catalog_meta(name))
            pipe.hset(k.catalog_meta(name), mapping=meta)  # type: ignore[arg-type]
            await pipe.execute()
        # The list of names is in another slot (a cluster can't put it in the same transaction): added after.
        await self._r.sadd(k.catalogs(), name)
        return True

    async def items(self, name: str) -> list[Item]:
        raw: dict[str, str] = await self._r.hgetall(self.keys.catalog_items(name))  # type: ignore[assignment]
        return sorted((Item.from_json(v) for v in raw.values()), key=lambda i: i.id)

    async def info(self, name: str) -> CatalogInfo | None:
        meta: dict[str, str] = await self._r.hgetall(self.keys.catalog_meta(name))  # type: ignore[assignment]
        if not meta:
            return None
        return CatalogInfo(name=name, count=int(meta["count"]), kinds=json.loads(meta["kinds"]),
                           digest=meta["digest"], source=meta.get("source", ""),
                           imported_at=float(meta.get("imported_at", 0)))

    async def names(self) -> list[str]:
        members: set[str] = await self._r.smembers(self.keys.catalogs())  # type: ignore[assignment]
        return sorted(members)

    async def delete(self, name: str) -> bool:
        k = self.keys
        # Unlisted first: a crash between the two steps leaves unlisted keys that an import replaces, never a
        # listed catalog without its items.
        listed = await self._r.srem(k.catalogs(), name)
        removed = await self._r.delete(k.catalog_items(name), k.catalog_meta(name))
        return bool(listed or removed)


class RedisRecommendationLog(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, ttl: int = 365 * 86400,
                 clock: Callable[[], float] = time.time) -> None:
        self._r = client
        self.keys = keys
        self.ttl = ttl
        self.clock = clock

    async def offered(self, uid: str) -> list[str]:
        raw: list[str] = await self._r.lrange(self.keys.recommended(uid), 0, -1)  # type: ignore[assignment]
        return raw

    async def add(self, uid: str, item_ids: list[str]) -> None:
        if not item_ids:
            return
        key, latest = self.keys.recommended(uid), self.keys.recommended_latest(uid)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.lpush(key, *item_ids)
            pipe.ltrim(key, 0, HISTORY_KEEP - 1)
            pipe.expire(key, self.ttl)
            pipe.set(latest, json.dumps(item_ids), ex=self.ttl)
            await pipe.execute()

    async def latest(self, uid: str) -> list[str]:
        raw = await self._r.get(self.keys.recommended_latest(uid))
        return [str(i) for i in json.loads(raw)] if raw else []

    async def rate(self, uid: str, item_id: str, liked: bool) -> None:
        key = self.keys.ratings(uid)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(key, item_id, "1" if liked else "0")
            pipe.expire(key, self.ttl)
            await pipe.execute()

    async def ratings(self, uid: str) -> dict[str, bool]:
        raw: dict[str, str] = await self._r.hgetall(self.keys.ratings(uid))  # type: ignore[assignment]
        return {item: value == "1" for item, value in raw.items()}

    async def fans(self, scope: str) -> dict[str, list[str]]:
        """The crowd, without viewers unseen for the TTL: a hash field has no TTL of its own on Redis 7.0 (HEXPIRE
        is 7.4), so each entry carries its time and stale ones are dropped here."""
        key = self.keys.fans(scope)
        raw: dict[str, str] = await self._r.hgetall(key)  # type: ignore[assignment]
        fresh: dict[str, list[str]] = {}
        stale: list[str] = []
        oldest = self.clock() - self.ttl
        for uid, value in raw.items():
            entry = json.loads(value)
            if isinstance(entry, list):  # written before entries carried their time: kept until rewritten
                fresh[uid] = [str(i) for i in entry]
            elif float(entry.get("at", 0)) < oldest:
                stale.append(uid)
            else:
                fresh[uid] = [str(i) for i in entry.get("liked", [])]
        if stale:
            await self._r.hdel(key, *stale)
        return fresh

    async def set_fan(self, uid: str, scopes: Sequence[str], liked: Sequence[str]) -> None:
        # The scopes' hashes live in other slots than the user's: no transaction, each write stands alone, and
        # the user's own record of the scopes goes first so that forget always finds them.
        async with self._r.pipeline(transaction=False) as pipe:
            if scopes:
                pipe.sadd(self.keys.fan_of(uid), *scopes)
                pipe.expire(self.keys.fan_of(uid), self.ttl)
            for scope in scopes:
                if liked:
                    pipe.hset(self.keys.fans(scope), uid, json.dumps({"at": int(self.clock()), "liked": list(liked)}))
                else:
                    pipe.hdel(self.keys.fans(scope), uid)
            await pipe.execute()
