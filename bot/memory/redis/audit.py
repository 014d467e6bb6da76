"""AuditLog on Redis: one capped list per server (or channel), newest first."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict

import redis.asyncio as aioredis

from bot.memory.audit import AUDIT_KEEP, REDACTED, AuditEntry
from bot.memory.keys import Keys
from bot.memory.redis import scripts
from bot.memory.redis.errors import RedisBacked


class RedisAuditLog(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, keep: int = AUDIT_KEEP) -> None:
        self._r = client
        self.keys = keys
        self.keep = keep
        self._redact = client.register_script(scripts.REDACT_AUDIT)

    async def record(self, entry: AuditEntry) -> None:
        key = self.keys.audit(entry.platform, entry.scope)
        async with self._r.pipeline(transaction=True) as pipe:  # one key: atomic and cluster-safe
            pipe.lpush(key, json.dumps(asdict(entry), ensure_ascii=False))
            pipe.ltrim(key, 0, self.keep - 1)
            await pipe.execute()

    async def latest(self, platform: str, scope: str, limit: int = 10) -> list[AuditEntry]:
        raw: list[str] = await self._r.lrange(self.keys.audit(platform, scope), 0, limit - 1)  # type: ignore[assignment]
        return [AuditEntry(**json.loads(x)) for x in raw]

    async def redact(self, accounts: Iterable[str], names: Iterable[str]) -> int:
        args = [json.dumps(sorted(set(accounts))), json.dumps(sorted(set(names))), REDACTED]
        changed = 0
        async for key in self._r.scan_iter(match=self.keys.audit_pattern(), count=500):
            changed += int(await self._redact(keys=[key], args=args))
        return changed
