"""Overheard chat: every message in a joined channel goes into that channel's history, even when the bot is
not addressed, so it knows what chat is talking about. Lines are batched per channel (one Redis round trip
per flush); a channel busier than the history can use is sampled, evenly, instead of falling behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable

from bot.events import ChatEvent
from bot.memory.base import HistoryLine, MemoryStore, MemoryUnavailable, account_key
from bot.memory.optouts import OptOuts
from bot.safety.sanitize import clean_name, clean_text

log = logging.getLogger(__name__)


class Ingestor:
    def __init__(self, memory: MemoryStore, optouts: OptOuts, flush_interval: float = 0.5,
                 max_lines_per_flush: int = 20, max_chars: int = 500, max_buffered: int = 2000,
                 ignored: Callable[[ChatEvent], bool] = lambda _event: False) -> None:
        self.memory = memory
        self.ignored = ignored  # users a moderator told the bot to ignore: not even overheard
        self.optouts = optouts
        self.flush_interval = flush_interval
        self.max_lines_per_flush = max_lines_per_flush
        self.max_chars = max_chars
        self.max_buffered = max_buffered
        self._buffers: dict[tuple[str, str], list[HistoryLine]] = defaultdict(list)
        self.ingested = 0
        self.sampled_out = 0

    def add(self, event: ChatEvent) -> None:
        """Cheap and synchronous: called for every chat message."""
        if event.author.is_bot or self.optouts.is_out_cached(event.platform, event.author.id) or self.ignored(event):
            return
        buffer = self._buffers[(event.platform, event.channel)]
        if len(buffer) >= self.max_buffered:
            self.sampled_out += 1
            return
        buffer.append(HistoryLine("user", clean_name(event.author.name), clean_text(event.text, self.max_chars),
                                  account=account_key(event.platform, event.author.id), message=event.message_id))

    def drop(self, platform: str, channel: str, *, account: str | None = None, message: str | None = None) -> int:
        """A moderator's action: the matching lines never reach the history."""
        buffer = self._buffers.get((platform, channel), [])
        kept = [ln for ln in buffer if not ((message and ln.message == message) or
                                            (not message and account and ln.account == account))]
        dropped = len(buffer) - len(kept)
        buffer[:] = kept
        return dropped

    def take(self, platform: str, channel: str) -> tuple[HistoryLine, ...]:
        """A channel's buffered lines (sampled), handed to a turn that writes them in its own read."""
        lines = self._buffers.pop((platform, channel), None)
        if not lines:
            return ()
        kept = sample_evenly(lines, self.max_lines_per_flush)
        self.sampled_out += len(lines) - len(kept)
        self.ingested += len(kept)
        return tuple(kept)

    def give_back(self, platform: str, channel: str, lines: tuple[HistoryLine, ...] | list[HistoryLine]) -> None:
        """Lines that could not be written (Redis away) go back in front of the buffer, for the next flush."""
        if not lines:
            return
        buffer = self._buffers[(platform, channel)]
        room = max(0, self.max_buffered - len(buffer))
        buffer[:0] = list(lines)[-room:] if room else []
        self.ingested -= len(lines)
        self.sampled_out += len(lines) - min(room, len(lines))

    async def flush(self, platform: str | None = None, channel: str | None = None) -> None:
        keys = [(platform, channel)] if platform and channel else list(self._buffers)
        for key in keys:
            kept = self.take(*key)
            if not kept:
                continue
            try:
                await self.memory.observe(key[0], key[1], list(kept))
            except MemoryUnavailable as exc:
                log.warning("could not store %d overheard lines yet, kept for the next flush: %s", len(kept), exc)
                self.give_back(key[0], key[1], kept)

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every interval until `stop` is set, then once more."""
        await self.optouts.refresh()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.flush_interval)
            await self.flush()
            if self.optouts.stale():
                await self.optouts.refresh()


def sample_evenly(lines: list[HistoryLine], limit: int) -> list[HistoryLine]:
    """At most `limit` lines, spread evenly over the batch and always keeping the newest."""
    if len(lines) <= limit:
        return lines
    step = len(lines) / limit
    indexes = sorted({min(len(lines) - 1, round(len(lines) - 1 - i * step)) for i in range(limit)})
    return [lines[i] for i in indexes]
