"""Who has opted out of memory: a cached copy of one small Redis set, checked before anything is stored."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.memory.base import MemoryStore, MemoryUnavailable, account_key

log = logging.getLogger(__name__)


class OptOuts:
    def __init__(self, memory: MemoryStore, ttl: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.memory = memory
        self.ttl = ttl
        self.clock = clock
        self._accounts: set[str] = set()
        self._loaded_at = -1e9

    async def refresh(self) -> None:
        try:
            self._accounts = await self.memory.opted_out()
            self._loaded_at = self.clock()
        except MemoryUnavailable as exc:
            log.warning("could not refresh opt-outs, keeping the last known set: %s", exc)

    def stale(self) -> bool:
        return self.clock() - self._loaded_at > self.ttl

    async def is_out(self, platform: str, account_id: str) -> bool:
        if self.stale():
            await self.refresh()
        return account_key(platform, account_id) in self._accounts

    def is_out_cached(self, platform: str, account_id: str) -> bool:
        """For the hot ingestion path: no I/O, the set refreshed in the background."""
        return account_key(platform, account_id) in self._accounts

    async def set(self, platform: str, account_id: str, opted_out: bool) -> None:
        await self.memory.set_opt_out(platform, account_id, opted_out)
        key = account_key(platform, account_id)
        if opted_out:
            self._accounts.add(key)
        else:
            self._accounts.discard(key)
