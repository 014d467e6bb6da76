"""Where Twitch OAuth tokens live: Redis (default) or a file path from settings, never `.tio.tokens.json`
in the working directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis

TokenMap = dict[str, dict[str, Any]]  # user id -> {"token", "refresh", ...} as twitchio keeps them


class TokenStore(Protocol):
    async def load(self) -> TokenMap: ...

    async def save(self, tokens: TokenMap) -> None:
        """Store these tokens (added or refreshed). An empty map writes nothing: it never erases the store."""
        ...

    async def remove(self, user_id: str) -> None:
        """Drop one account's token (revoked or invalid)."""
        ...


class RedisTokenStore:
    def __init__(self, client: aioredis.Redis, key: str = "fs:twitch:tokens") -> None:
        self.client = client
        self.key = key

    async def load(self) -> TokenMap:
        raw: dict[str, str] = await self.client.hgetall(self.key)  # type: ignore[assignment]
        return {uid: json.loads(value) for uid, value in raw.items()}

    async def save(self, tokens: TokenMap) -> None:
        if tokens:
            await self.client.hset(self.key, mapping={uid: json.dumps(data) for uid, data in tokens.items()})

    async def remove(self, user_id: str) -> None:
        await self.client.hdel(self.key, user_id)


class FileTokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def load(self) -> TokenMap:
        if not self.path.is_file():
            return {}
        data: TokenMap = json.loads(self.path.read_text(encoding="utf-8"))
        return data

    async def save(self, tokens: TokenMap) -> None:
        if not tokens:
            return
        await self._write({**await self.load(), **tokens})

    async def remove(self, user_id: str) -> None:
        tokens = await self.load()
        if tokens.pop(user_id, None) is not None:
            await self._write(tokens)

    async def _write(self, tokens: TokenMap) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        # Owner-only from the first byte: these are credentials.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(tokens, fh)
        tmp.replace(self.path)
