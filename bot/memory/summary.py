"""Rolling channel summaries: when history passes its budget the oldest half is trimmed (one big step, so
the prompt prefix stays stable between trims) and folded, off the reply path, into the channel's summary."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.memory.base import HistoryLine, MemoryStore, MemoryUnavailable
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

    def submit(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        self._queue.setdefault((platform, channel), []).extend(lines)
        self._wake.set()

    async def drain(self) -> None:
        async with self._busy:
            while self._queue:
                (platform, channel), lines = self._queue.popitem()
                await self.fold(platform, channel, lines)

    async def fold(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        try:
            current = await self.memory.summary(platform, channel)
            chat = "\n".join(f"{'(bot) ' if ln.speaker == 'bot' else ''}{ln.name}: {ln.text}" for ln in lines)
            raw = await self.llm.complete_json(
                [ChatMessage("system", SYSTEM),
                 ChatMessage("user", f"Summary so far:\n{current or '(none)'}\n\nOlder lines:\n{chat}")],
                SUMMARY_SCHEMA, "summary", max_tokens=300)
            summary = Summary.model_validate_json(raw).summary.strip()
            await self.memory.set_summary(platform, channel, summary)
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
