"""IdentityStore on Redis: link codes, aliases moved between uids, merges of two users' memories, and export."""

from __future__ import annotations

import json
import uuid
from typing import Any

import redis.asyncio as aioredis
from redis.client import NEVER_DECODE

from bot.memory.base import account_key
from bot.memory.identity import CODE_TTL, LinkError, new_code, normalise_code
from bot.memory.keys import Keys
from bot.memory.redis.errors import RedisBacked
from bot.memory.redis.fact_codec import decode_facts
from bot.memory.redis.lines import decode_line
from bot.memory.uid_cache import UidCache

USER_PARTS = ("profile", "aliases", "channels", "facts", "factvec", "factlog", "likes")
MERGED_HASHES = ("facts", "factvec", "likes", "profile")
MERGED_SETS = ("aliases", "channels")


class RedisIdentity(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, uids: UidCache) -> None:
        self._r = client
        self.keys = keys
        self.uids = uids

    async def create_code(self, platform: str, account_id: str) -> str:
        code = new_code()
        await self._r.set(self.keys.link_code(code), account_key(platform, account_id), ex=CODE_TTL)
        return code

    async def redeem(self, code: str, platform: str, account_id: str) -> str:
        source = await self._r.getdel(self.keys.link_code(normalise_code(code)))  # one use only
        if source is None:
            raise LinkError("That code is unknown or has expired (codes last 10 minutes).")
        src_platform, _, src_account = str(source).partition(":")
        if src_platform == platform:
            raise LinkError("Use the code on your other platform's account.")
        uid = await self._uid(src_platform, src_account, create=True)
        assert uid is not None
        old = await self._uid(platform, account_id, create=False)
        if old == uid:
            return uid
        if old is not None:
            await self._merge(old, uid)
        await self._r.set(self.keys.alias(platform, account_id), uid)
        await self._r.sadd(self.keys.user_aliases(uid), account_key(platform, account_id),
                           account_key(src_platform, src_account))
        self.uids.drop(account_key(platform, account_id))
        return uid

    async def unlink(self, platform: str, account_id: str) -> bool:
        uid = await self._uid(platform, account_id, create=False)
        if uid is None:
            return False
        account = account_key(platform, account_id)
        members: set[str] = await self._r.smembers(self.keys.user_aliases(uid))  # type: ignore[assignment]
        if not members - {account}:
            return False  # nothing to split from
        await self._r.srem(self.keys.user_aliases(uid), account)
        fresh = uuid.uuid4().hex
        await self._r.set(self.keys.alias(platform, account_id), fresh)
        await self._r.sadd(self.keys.user_aliases(fresh), account)
        self.uids.drop(account)
        return True

    async def export(self, platform: str, account_id: str) -> dict[str, Any]:
        uid = await self._uid(platform, account_id, create=False)
        if uid is None:
            return {"account": account_key(platform, account_id), "stored": "nothing"}
        k = self.keys
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hgetall(k.profile(uid))
            pipe.smembers(k.user_aliases(uid))
            pipe.smembers(k.user_channels(uid))
            pipe.hgetall(k.facts(uid))
            pipe.hgetall(k.likes(uid))
            pipe.lrange(k.fact_log(uid), 0, -1)
            profile, aliases, channels, facts, likes, log = await pipe.execute()
        lines = []
        accounts = set(aliases) | {account_key(platform, account_id)}
        for chan in sorted(channels):
            chan_platform, _, chan_id = chan.partition(":")
            raw: list[str] = await self._r.lrange(k.history(chan_platform, chan_id), 0, -1)  # type: ignore[assignment]
            for item in raw:
                line = decode_line(item)
                if line.uid == uid or line.account in accounts:
                    lines.append({"channel": chan, "name": line.name, "text": line.text})
        return {
            "uid": uid, "accounts": sorted(accounts),
            "profile": {k: v for k, v in profile.items() if k != "recent_turns"},  # ids only, for retries
            "facts": [vars(f) for f in decode_facts(facts, {})[0]],
            "likes": [json.loads(v) for v in likes.values()],
            "fact_history": [json.loads(x) for x in log], "channels": sorted(channels), "history_lines": lines,
        }

    async def _uid(self, platform: str, account_id: str, create: bool) -> str | None:
        alias = self.keys.alias(platform, account_id)
        if create:
            fresh = uuid.uuid4().hex
            previous = await self._r.set(alias, fresh, nx=True, get=True)
            return str(previous) if previous else fresh
        value = await self._r.get(alias)
        return str(value) if value is not None else None

    async def _merge(self, old: str, new: str) -> None:
        """Fold one uid's memory into another (hashes and sets merge; the newer value wins), then drop it."""
        k = self.keys
        for part in MERGED_HASHES:
            # Vectors are raw bytes, read undecoded (redis/asyncio/client.py:989) and written back as they are.
            key = k.user(old, part)
            data: dict[Any, Any] = await (
                self._r.execute_command("HGETALL", key, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
                if part == "factvec" else self._r.hgetall(key))
            if part == "profile":
                data = {f: v for f, v in data.items() if f.startswith("name:")}
            if data:
                await self._r.hset(k.user(new, part), mapping=data)
        for part in MERGED_SETS:
            members: set[str] = await self._r.smembers(k.user(old, part))  # type: ignore[assignment]
            if members:
                await self._r.sadd(k.user(new, part), *members)
        moved: set[str] = await self._r.smembers(k.user_aliases(old))  # type: ignore[assignment]
        for alias in moved:
            a_platform, _, a_id = alias.partition(":")
            await self._r.set(k.alias(a_platform, a_id), new)
        await self._r.delete(*(k.user(old, p) for p in USER_PARTS))
        self.uids.drop_uid(old)
