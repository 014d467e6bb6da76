"""The conversation engine: read memory, build the prompt, stream the reply, then write memory."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass

from bot.engine.prompt import PromptBuilder
from bot.engine.reply_filter import ReplyFilter
from bot.errors import UserFacingError
from bot.events import ChatEvent, ReplySink
from bot.memory.base import MemoryStore, TurnContext, TurnRecord
from bot.memory.redis_store import MemoryUnavailable
from bot.safety.sanitize import clean_name, clean_text
from inference.types import ChatMessage, LLMClient, Sampling
from personas.schema import Persona

log = logging.getLogger(__name__)

PersonaFor = Callable[[ChatEvent], Persona]


@dataclass(frozen=True)
class TurnResult:
    reply: str
    persona: str
    messages: tuple[ChatMessage, ...]
    uid: str | None
    stored: bool  # False when memory was unavailable and the record waits in the retry buffer


class ConversationEngine:
    def __init__(self, memory: MemoryStore, llm: LLMClient, persona_for: PersonaFor,
                 max_message_chars: int = 2000, max_tokens: int | None = None,
                 clock: Callable[[], float] = time.time, pending_limit: int = 1000) -> None:
        self.memory = memory
        self.llm = llm
        self.persona_for = persona_for
        self.max_message_chars = max_message_chars
        self.max_tokens = max_tokens
        self.clock = clock
        self.prompts = PromptBuilder()
        # Turns whose write failed (Redis away) wait here and are written on the next good turn.
        self._pending: deque[TurnRecord] = deque(maxlen=pending_limit)

    async def respond(self, event: ChatEvent, sink: ReplySink) -> TurnResult:
        persona = self.persona_for(event)
        speaker = clean_name(event.author.name)
        text = clean_text(event.text, self.max_message_chars)
        ctx = await self._load(event)
        messages = self.prompts.build(persona, ctx, speaker, text)
        sampling = self._sampling(persona)

        speakers = {line.name for line in ctx.history if line.speaker == "user"} | {speaker}
        guard = ReplyFilter(persona.name, speakers)
        parts: list[str] = []
        async with aclosing(self.llm.stream_chat(messages, sampling)) as stream:
            async for delta in stream:
                shown = guard.feed(delta)
                if shown:
                    parts.append(shown)
                    await sink.write(shown)
                if guard.stopped:
                    break  # leaving the block closes the stream, which aborts generation on the server
        tail = guard.flush()
        if tail:
            parts.append(tail)
            await sink.write(tail)
        reply = "".join(parts).strip()
        if not reply:
            raise UserFacingError("Hmm, I lost my train of thought there. Could you say that again?")
        await sink.finish()

        # Memory is written only after a complete reply: a cancelled or failed turn stores nothing.
        record = TurnRecord(platform=event.platform, channel=event.channel, account_id=event.author.id,
                            uid=ctx.uid, display_name=speaker, user_text=text, bot_name=persona.name,
                            reply=reply, at=self.clock())
        uid, stored = await self._store(record)
        return TurnResult(reply=reply, persona=persona.name, messages=tuple(messages), uid=uid, stored=stored)

    @property
    def pending_writes(self) -> int:
        return len(self._pending)

    async def _load(self, event: ChatEvent) -> TurnContext:
        try:
            return await self.memory.load_turn(event.platform, event.channel, event.author.id)
        except MemoryUnavailable as exc:
            # Answer without memory rather than not at all; the write is retried later.
            log.warning("memory unavailable while loading a turn, replying without it: %s", exc)
            return TurnContext(uid=None, history=(), summary="")

    async def _store(self, record: TurnRecord) -> tuple[str | None, bool]:
        await self.flush_pending()
        try:
            return await self.memory.record_turn(record), True
        except MemoryUnavailable as exc:
            log.warning("memory unavailable while writing a turn; keeping it to retry: %s", exc)
            self._pending.append(record)
            return record.uid, False

    async def flush_pending(self) -> None:
        while self._pending:
            try:
                await self.memory.record_turn(self._pending[0])
            except MemoryUnavailable:
                return
            self._pending.popleft()

    def _sampling(self, persona: Persona) -> Sampling:
        s = persona.fireside.sampling
        return Sampling(temperature=s.temperature, top_p=s.top_p, max_tokens=self.max_tokens or s.max_tokens,
                        extra={"repetition_penalty": s.repetition_penalty})
