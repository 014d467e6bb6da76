"""One person across platforms: a one-time code links a Discord and a Twitch account to one Fireside user id
(and one memory); unlink splits them again. Also export: everything stored about a person, as JSON."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.memory.keys import Keys
from bot.memory.redis_store import MemoryUnavailable, decode_line

CODE_TTL = 600
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are typed by hand
USER_PARTS = ("profile", "aliases", "channels", "facts", "factvec", "factlog", "likes")


class LinkError(ValueError):
    """A code that is unknown, expired, or from the same platform; the message is safe to show."""


class Identity:
    def __init__(self, client: aioredis.Redis, keys: Keys | None = None) -> None:
        self._r = client
        self.keys = keys or Keys()

    def _code_key(self, code: str) -> str:
        return f"{self.keys.prefix}:link:{code}"

    async def create_code(self, platform: str, account_id: str) -> str:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(6))
        await self._call(self._r.set(self._code_key(code), f"{platform}:{account_id}", ex=CODE_TTL))
        return code

    async def redeem(self, code: str, platform: str, account_id: str) -> str:
        """Point this account at the uid of the account that made the code; returns that uid."""
        clean = "".join(ch for ch in code.upper() if ch.isalnum())
        if len(clean) != 6:
            raise LinkError("A link code has 6 letters and digits.")
        source = await self._call(self._r.getdel(self._code_key(clean)))  # one use only
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
        await self._call(self._r.set(self.keys.alias(platform, account_id), uid))
        await self._call(self._r.sadd(self.keys.user_aliases(uid), f"{platform}:{account_id}",
                                      f"{src_platform}:{src_account}"))
        return uid

    async def unlink(self, platform: str, account_id: str) -> bool:
        """This account gets a fresh, empty uid; the shared memory stays with the other account(s)."""
        uid = await self._uid(platform, account_id, create=False)
        if uid is None:
            return False
        others = {a for a in await self._call(self._r.smembers(self.keys.user_aliases(uid)))
                  if a != f"{platform}:{account_id}"}
        if not others:
            return False  # nothing to split from
        await self._call(self._r.srem(self.keys.user_aliases(uid), f"{platform}:{account_id}"))
        fresh = uuid.uuid4().hex
        await self._call(self._r.set(self.keys.alias(platform, account_id), fresh))
        await self._call(self._r.sadd(self.keys.user_aliases(fresh), f"{platform}:{account_id}"))
        return True

    async def export(self, platform: str, account_id: str) -> dict[str, Any]:
        uid = await self._uid(platform, account_id, create=False)
        if uid is None:
            return {"account": f"{platform}:{account_id}", "stored": "nothing"}
        k = self.keys
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hgetall(k.profile(uid))
            pipe.smembers(k.user_aliases(uid))
            pipe.smembers(k.user_channels(uid))
            pipe.hgetall(k.user(uid, "facts"))
            pipe.hgetall(k.user(uid, "likes"))
            pipe.lrange(k.user(uid, "factlog"), 0, -1)
            profile, aliases, channels, facts, likes, log = await self._call(pipe.execute())
        lines = []
        accounts = set(aliases) | {f"{platform}:{account_id}"}
        for chan in sorted(channels):
            chan_platform, _, chan_id = chan.partition(":")
            raw = await self._call(self._r.lrange(k.history(chan_platform, chan_id), 0, -1))
            for item in raw:
                line = decode_line(item)
                if line.uid == uid or (line.account in accounts):
                    lines.append({"channel": chan, "name": line.name, "text": line.text})
        return {
            "uid": uid, "accounts": sorted(accounts), "profile": profile,
            "facts": sorted((json.loads(v) for v in facts.values()), key=lambda f: f["created"]),
            "likes": [json.loads(v) for v in likes.values()],
            "fact_history": [json.loads(x) for x in log], "channels": sorted(channels), "history_lines": lines,
        }

    async def _uid(self, platform: str, account_id: str, create: bool) -> str | None:
        alias = self.keys.alias(platform, account_id)
        if create:
            fresh = uuid.uuid4().hex
            previous = await self._call(self._r.set(alias, fresh, nx=True, get=True))
            return str(previous) if previous else fresh
        value = await self._call(self._r.get(alias))
        return str(value) if value is not None else None

    async def _merge(self, old: str, new: str) -> None:
        """Fold one uid's memory into another (hashes and sets merge; the newer value wins), then drop it."""
        k = self.keys
        for part in ("facts", "factvec", "likes", "profile"):
            data = await self._call(self._r.hgetall(k.user(old, part)))
            if data:
                if part == "profile":
                    data = {f: v for f, v in data.items() if f.startswith("name:")}
                if data:
                    await self._call(self._r.hset(k.user(new, part), mapping=data))
        for part in ("aliases", "channels"):
            members = await self._call(self._r.smembers(k.user(old, part)))
            if members:
                await self._call(self._r.sadd(k.user(new, part), *members))
        for alias in await self._call(self._r.smembers(k.user_aliases(old))):
            a_platform, _, a_id = str(alias).partition(":")
            await self._call(self._r.set(k.alias(a_platform, a_id), new))
        await self._call(self._r.delete(*(k.user(old, p) for p in USER_PARTS)))

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        try:
            return await awaitable
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc
