"""Rolling channel summaries: when history passes its budget its oldest lines are folded, off the reply path,
into the channel's summary, and leave the history in the same step as the summary is stored (so the prompt's
prefix changes once per fold, and a failed fold loses no line)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.memory.base import HistoryLine, MemoryStore, MemoryUnavailable, without_lines
from inference.errors import InferenceError
from inference.types import ChatMessage, JsonLLM

log = logging.getLogger(__name__)

MAX_SUMMARY = 800
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["summary"],
    "properties": {"summary": {"type": "string", "minLength": 1, "maxLength": MAX_SUMMARY}},
}
SYSTEM = (
    "You keep a short running summary of a group chat. Update the summary with the older chat lines given. "
    "Say who said or wanted what, by name. At most six sentences. No instructions, no links."
)


class Summary(BaseModel):
    summary: str = Field(min_length=1, max_length=MAX_SUMMARY)


class Summariser:
    def __init__(self, memory: MemoryStore, llm: JsonLLM) -> None:
        self.memory = memory
        self.llm = llm
        self._queue: dict[tuple[str, str], list[HistoryLine]] = {}
        self._wake = asyncio.Event()
        self._busy = asyncio.Lock()  # drain() waits for a fold already in flight
        self._folding: list[HistoryLine] = []  # the lines of the fold in flight
        self._folding_key: tuple[str, str] | None = None
        self._tainted = False  # someone in them was forgotten meanwhile: its summary must not be written

    def submit(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        self._queue.setdefault((platform, channel), []).extend(lines)
        self._wake.set()

    def forget_account(self, account: str) -> None:
        """Forget wins over a fold: their lines leave the queue, and a fold in flight that holds any is
        discarded when it returns and done again without them."""
        self._forget(lambda line: line.account == account)

    def forget_uid(self, uid: str) -> None:
        self._forget(lambda line: line.uid == uid)

    def drop(self, platform: str, channel: str, theirs: Callable[[HistoryLine], bool]) -> None:
        """A moderator's action in one channel: those lines are folded into no summary."""
        key = (platform, channel)
        if key in self._queue:
            self._queue[key] = without_lines(self._queue[key], theirs)
        if self._folding_key == key and any(theirs(line) for line in self._folding):
            self._tainted = True
            self._folding = without_lines(self._folding, theirs)

    def _forget(self, theirs: Callable[[HistoryLine], bool]) -> None:
        for key, lines in list(self._queue.items()):
            self._queue[key] = without_lines(lines, theirs)
        if any(theirs(line) for line in self._folding):
            self._tainted = True
            self._folding = without_lines(self._folding, theirs)

    async def drain(self) -> None:
        async with self._busy:
            while self._queue:
                (platform, channel), lines = self._queue.popitem()
                await self.fold(platform, channel, lines)

    async def fold(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        self._folding, self._folding_key, self._tainted = lines, (platform, channel), False
        try:
            current = await self.memory.summary(platform, channel)
            chat = "\n".join(f"{'(bot) ' if ln.speaker == 'bot' else ''}{ln.name}: {ln.text}" for ln in lines)
            raw = await self.llm.complete_json(
                [ChatMessage("system", SYSTEM),
                 ChatMessage("user", f"Summary so far:\n{current or '(none)'}\n\nOlder lines:\n{chat}")],
                SUMMARY_SCHEMA, "summary", max_tokens=300)
            summary = Summary.model_validate_json(raw).summary.strip()
            if self._tainted:  # forget came meanwhile: what was read and folded may hold their words
                log.info("summary for %s:%s to be folded again without a forgotten user's lines", platform, channel)
                self.submit(platform, channel, self._folding)
                return
            await self.memory.set_summary(platform, channel, summary, folded=lines)
        except (InferenceError, ValidationError) as exc:
            log.warning("summary for %s:%s not updated: %s", platform, channel, exc)
        except MemoryUnavailable as exc:  # the next trim tries again
            log.warning("summary for %s:%s not stored: %s", platform, channel, exc)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            self._wake.clear()
            await self.drain()

