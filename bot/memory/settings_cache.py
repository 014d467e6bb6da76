"""A short-lived cache of channel settings, for the checks that run on every message before a turn is even
considered (is this unaddressed message in an open channel?). A turn itself reads settings in its one read."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.events import ChatEvent
from bot.memory.base import ChannelSettings, MemoryStore, MemoryUnavailable


class ChannelSettingsCache:
    def __init__(self, memory: MemoryStore, ttl: float = 2.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.memory = memory
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[tuple[str, str, str | None], tuple[float, ChannelSettings]] = {}

    def invalidate(self, platform: str, channel: str) -> None:
        """A command changed this channel's settings: the next read goes to Redis."""
        for key in [k for k in self._entries if k[0] == platform and k[1] == channel]:
            del self._entries[key]

    def peek(self, platform: str, channel: str, space: str | None = None) -> ChannelSettings | None:
        """The last settings read for a channel, without I/O (for the hot ingestion path), or None."""
        hit = self._entries.get((platform, channel, space))
        return hit[1] if hit is not None else None

    def ignores(self, event: ChatEvent) -> bool:
        """A moderator told the bot to ignore this author here (as last read; no I/O)."""
        settings = self.peek(event.platform, event.channel, event.space)
        return settings is not None and event.author.id in settings.ignored

    async def get(self, platform: str, channel: str, space: str | None = None) -> ChannelSettings:
        key = (platform, channel, space)
        now = self.clock()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        try:
            value = await self.memory.channel_settings(platform, channel, space)
        except MemoryUnavailable:
            return hit[1] if hit is not None else ChannelSettings()  # store away: last known, else defaults
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now, value)
        return value
