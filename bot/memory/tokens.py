"""Where platform OAuth tokens live (Twitch's, refreshed by twitchio): the TokenStore interface and a file
store for operators who keep credentials out of Redis. Never `.tio.tokens.json` in the working directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

TokenMap = dict[str, dict[str, Any]]  # user id -> {"token", "refresh", ...} as twitchio keeps them


class TokenStore(Protocol):
    async def load(self) -> TokenMap: ...

    async def save(self, tokens: TokenMap) -> None:
        """Store these tokens (added or refreshed). An empty map writes nothing: it never erases the store."""
        ...

    async def remove(self, user_id: str) -> None:
        """Drop one account's token (revoked or invalid)."""
        ...


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
