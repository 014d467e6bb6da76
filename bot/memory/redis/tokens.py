"""TokenStore on Redis: one hash per platform, user id -> token JSON. Shared by every replica of the bot."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from bot.memory.keys import Keys
from bot.memory.redis.errors import RedisBacked
from bot.memory.tokens import TokenMap


class RedisTokenStore(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, platform: str = "twitch") -> None:
        self._r = client
        self.key = keys.oauth_tokens(platform)

    async def load(self) -> TokenMap:
        raw: dict[str, str] = await self._r.hgetall(self.key)  # type: ignore[assignment]
        return {uid: json.loads(value) for uid, value in raw.items()}

    async def save(self, tokens: TokenMap) -> None:
        if tokens:
            await self._r.hset(self.key, mapping={uid: json.dumps(data) for uid, data in tokens.items()})

    async def remove(self, user_id: str) -> None:
        await self._r.hdel(self.key, user_id)
