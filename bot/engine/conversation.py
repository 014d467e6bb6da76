"""The conversation engine: read memory, build the prompt, stream the reply, then write memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Protocol

from bot.engine.budget import Budget
from bot.engine.hold_back import HoldBack
from bot.engine.ooc_guard import OOCGuard
from bot.engine.per_persona import PerPersona
from bot.engine.prompt import ContextPlacement, PromptBuilder
from bot.engine.reply_filter import ReplyFilter
from bot.engine.sentence_limit import SentenceLimit
from bot.errors import UserFacingError
from bot.events import ADULT_CHANNEL, ChatEvent, ReplySink
from bot.memory.base import (
    ChannelSettings,
    HistoryLine,
    MemoryStore,
    MemoryUnavailable,
    TurnContext,
    TurnRecord,
    utc_day,
)
from bot.memory.pending_turns import PendingTurns
from bot.memory.recall import Recall
from bot.metrics import (
    ADULT_REFUSALS,
    CONTENT_BLOCKED,
    FLOOD_REFUSALS,
    LINKS_DEFANGED,
    OOC_REPLIES,
    TOKENS,
    TURN_WRITES,
)
from bot.safety.content_filter import DEFLECTION, ContentFilter, Screen
from bot.safety.links import LinkPolicy
from bot.safety.sanitize import clean_name, clean_text
from inference.types import ChatMessage, LLMClient, Sampling
from personas.registry import LoadedPersona
from personas.schema import Persona

log = logging.getLogger(__name__)

STAY_IN_CHARACTER = "Stay in character as {name}. Never say you are an AI, a model or an assistant."
SPENT_FOR_TODAY = "We've talked so much today, {name}! Let's pick this up again tomorrow."


class OptOutCheck(Protocol):
    async def is_out(self, platform: str, account_id: str) -> bool: ...


class Overheard(Protocol):
    """Chat lines that wait to be stored (the Ingestor): a turn writes them in its own read."""

    def take(self, platform: str, channel: str) -> tuple[HistoryLine, ...]: ...

    def give_back(self, platform: str, channel: str, lines: tuple[HistoryLine, ...]) -> None: ...


class PersonaSource(Protocol):
    def for_channel(self, chosen: str | None) -> LoadedPersona:
        """The persona a channel chose (None: the default), falling back to the default if it is gone."""
        ...


@dataclass(frozen=True)
class TurnResult:
    reply: str
    persona: str
    messages: tuple[ChatMessage, ...]
    uid: str | None
    stored: bool  # False when memory was unavailable and the record waits in the retry buffer
    out_of_character: str | None = None  # the reason, when the guard had to step in


@dataclass
class _Attempt:
    reply: str
    violation: str | None
    shown: bool
    blocked: str | None = None  # the content filter stopped it (the reason)
    tokens: int = 0  # chunks the model streamed (vLLM sends one per token), shown or not


class ConversationEngine:
    def __init__(self, memory: MemoryStore, llm: LLMClient, personas: PersonaSource, optouts: OptOutCheck,
                 max_message_chars: int = 2000, max_tokens: int | None = None,
                 clock: Callable[[], float] = time.time, pending: PendingTurns | None = None,
                 placement: ContextPlacement = "system", recall: Recall | None = None,
                 after_turn: Callable[[str, str], None] | None = None, budget: Budget | None = None,
                 overheard: Overheard | None = None, link_allowlist: Sequence[str] = (),
                 content: ContentFilter | None = None, daily_tokens: int = 0) -> None:
        self.memory = memory
        self.llm = llm
        self.personas = personas
        self.optouts = optouts
        self.max_message_chars = max_message_chars
        self.max_tokens = max_tokens
        self.clock = clock
        self.prompts = PromptBuilder(placement)
        # The guard's shingles of the instructions are derived once per persona, not on every turn.
        self._guards = PerPersona(lambda loaded: OOCGuard(loaded.persona, self.prompts.block(loaded)))
        self.recall = recall
        self.after_turn = after_turn
        self.budget = budget or Budget(counter=None)
        self.overheard = overheard
        self.link_allowlist = tuple(link_allowlist)  # the operator's; each channel may add its own
        self.content = content  # the filter on what goes out (and, in the chat chain, on what comes in)
        self.daily_tokens = daily_tokens  # what the model may write for one viewer a day (0: no limit)
        self._told_spent: dict[str, str] = {}  # viewer -> the day they heard they had used it up
        # Turns whose write failed (Redis away) wait here, journaled, and are written again later.
        self.pending = pending if pending is not None else PendingTurns(memory.record_turn)  # (empty is falsy)

    async def respond(self, event: ChatEvent, sink: ReplySink) -> TurnResult | None:
        speaker = clean_name(event.author.name)
        text = clean_text(event.text, self.max_message_chars)
        ctx = await self._load(event)
        if not ctx.settings.enabled:
            return None  # a moderator switched the bot off here: chat is ignored, commands still work
        loaded = self.personas.for_channel(ctx.settings.persona)
        persona = loaded.persona
        if persona.fireside.adult_only and not (event.can(ADULT_CHANNEL) or ctx.settings.adult):
            ADULT_REFUSALS.inc()
            raise UserFacingError(f"{persona.name} only speaks in channels marked for adults.")
        if self._spent_for_today(event, ctx):
            await self._say_spent(event, sink, persona.name, speaker)
            return None
        await sink.start(persona.name, ctx.settings.cadence)
        notes = tuple(f"{speaker} is replying to {clean_name(name)}: \"{clean_text(quoted, 500)}\""
                      for name, quoted in event.reply_chain)
        if self.recall is not None:
            notes += self.recall.notes(ctx.facts, ctx.vectors, speaker, text)
        sampling = self._sampling(persona)

        def build(c: TurnContext, with_lore: bool, with_notes: bool) -> list[ChatMessage]:
            return self.prompts.build(loaded, c, speaker, text, speaker_notes=notes if with_notes else (),
                                      with_lore=with_lore)

        messages = await self.budget.fit(build, ctx, sampling.max_tokens)
        speakers = {line.name for line in ctx.history if line.speaker == "user"} | {speaker}
        guard = self._guards(loaded)
        links = LinkPolicy.of(self.link_allowlist, ctx.settings.links)

        TOKENS.labels("in").inc(sum(len(m.content) for m in messages) // 4)
        attempt = await self._stream(messages, sampling, persona, speakers, guard, sink, links, ctx.settings)
        tokens = attempt.tokens
        violation = attempt.violation
        if violation and not attempt.shown:
            # Caught before anything was shown: regenerate once, with a reminder in the per-turn context.
            OOC_REPLIES.labels(violation, "regenerated").inc()
            nudge = STAY_IN_CHARACTER.format(name=persona.name)
            retry = [*messages[:-1], replace(messages[-1], content=f"[{nudge}]\n{messages[-1].content}")]
            attempt = await self._stream(retry, sampling, persona, speakers, guard, sink, links, ctx.settings)
            tokens += attempt.tokens
            if attempt.violation:
                OOC_REPLIES.labels(attempt.violation, "repaired").inc()
        elif violation:
            OOC_REPLIES.labels(violation, "repaired").inc()  # cut at the offending sentence
        if attempt.blocked is not None:
            CONTENT_BLOCKED.labels("out", attempt.blocked).inc()
            if not attempt.reply.strip():  # stopped before a word was shown: a deflection instead
                await sink.write(DEFLECTION)
                attempt = replace(attempt, reply=DEFLECTION)
        TOKENS.labels("out").inc(tokens)
        reply = attempt.reply.strip()
        if not reply:
            raise UserFacingError("Hmm, I lost my train of thought there. Could you say that again?")
        await sink.finish()

        # Memory is written only after a complete reply: a cancelled or failed turn stores nothing.
        uid, stored = await self._keep(event, ctx.uid, speaker, text, persona.name, reply, tokens)
        return TurnResult(reply=reply, persona=persona.name, messages=tuple(messages), uid=uid, stored=stored,
                          out_of_character=violation)

    async def remember(self, event: ChatEvent, reply: str, persona: str) -> bool:
        """Store a turn answered without the model's stream (a recommendation asked in chat) like any other:
        in the channel's history, in the speaker's memory, and on to fact extraction. True: Redis has it."""
        try:
            known = await self.memory.resolve_uid(event.platform, event.author.id)
        except MemoryUnavailable:
            known = None
        _, stored = await self._keep(event, known, clean_name(event.author.name),
                                     clean_text(event.text, self.max_message_chars), persona, reply)
        return stored

    async def _keep(self, event: ChatEvent, known: str | None, speaker: str, text: str, persona: str,
                    reply: str, tokens: int = 0) -> tuple[str | None, bool]:
        """Write a finished turn (nothing at all about someone who opted out) and queue fact extraction.
        Returns (uid, stored)."""
        if await self.optouts.is_out(event.platform, event.author.id):
            return None, False
        record = TurnRecord(platform=event.platform, channel=event.channel, account_id=event.author.id,
                            uid=known, display_name=speaker, user_text=text, bot_name=persona, reply=reply,
                            at=self.clock(), message_id=event.message_id, tokens=tokens)
        uid, stored = await self._store(record)
        if stored and uid and self.after_turn is not None:
            self.after_turn(uid, text)  # fact extraction, off the reply path
        return uid, stored

    async def _stream(self, messages: list[ChatMessage], sampling: Sampling, persona: Persona,
                      speakers: set[str], guard: OOCGuard, sink: ReplySink, links: LinkPolicy,
                      settings: ChannelSettings) -> _Attempt:
        names = ReplyFilter(persona.name, speakers)
        limit = SentenceLimit(persona.fireside.max_sentences)
        gate = HoldBack(guard)  # a few words back: what the guard would catch is never shown
        screen = Screen(self.content, settings)  # what the gate releases, before it shows
        parts: list[str] = []
        chunks = 0

        async def show(text: str, final: bool = False) -> None:
            # The gate never splits a word or a link, so each piece is screened and cleaned of links whole.
            released = gate.flush() if final else gate.feed(text)
            if not released or await screen.stops(released, final, ahead=gate.held):
                return
            released, defanged = links.clean(released)
            if defanged:
                LINKS_DEFANGED.inc(defanged)
            if released:
                parts.append(released)
                await sink.write(released)

        async with aclosing(self.llm.stream_chat(messages, sampling)) as stream:
            async for delta in stream:
                chunks += 1
                await show(limit.feed(names.feed(delta)))
                if names.stopped or limit.reached or gate.violation or screen.blocked is not None:
                    break  # leaving the block closes the stream, which aborts generation on the server
        if screen.blocked is None:
            await show(limit.feed(names.flush()))
            await show("", final=True)
        return _Attempt("".join(parts), gate.violation, gate.released, screen.blocked, chunks)

    def _spent_for_today(self, event: ChatEvent, ctx: TurnContext) -> bool:
        # The console is the operator's own terminal: never limited.
        return bool(self.daily_tokens) and event.platform != "console" and ctx.tokens_today >= self.daily_tokens

    async def _say_spent(self, event: ChatEvent, sink: ReplySink, persona: str, speaker: str) -> None:
        """One in-character word a day to a viewer who used up their budget, then silence: no model call."""
        FLOOD_REFUSALS.labels("daily_tokens").inc()
        day = utc_day(self.clock())
        if self._told_spent.get(event.author_key) == day:
            return
        if len(self._told_spent) > 50_000:
            self._told_spent = {k: d for k, d in self._told_spent.items() if d == day}
        self._told_spent[event.author_key] = day
        await sink.start(persona)
        await sink.write(SPENT_FOR_TODAY.format(name=speaker))
        await sink.finish()

    @property
    def pending_writes(self) -> int:
        return len(self.pending)

    async def _load(self, event: ChatEvent) -> TurnContext:
        """The turn's one read: settings, history, summary, the speaker's uid and facts; chat overheard since
        the last turn is written in the same round trip, so the prompt sees what chat just said."""
        overheard = self.overheard.take(event.platform, event.channel) if self.overheard is not None else ()
        try:
            return await self.memory.load_turn(event.platform, event.channel, event.author.id, event.space,
                                               overheard=overheard)
        except MemoryUnavailable as exc:
            # Answer without memory rather than not at all; the write is retried later, and the overheard
            # lines go back to wait for the next flush.
            log.warning("memory unavailable while loading a turn, replying without it: %s", exc)
            if self.overheard is not None:
                self.overheard.give_back(event.platform, event.channel, overheard)
            return TurnContext(uid=None, history=(), summary="")

    async def _store(self, record: TurnRecord) -> tuple[str | None, bool]:
        await self.pending.flush()  # older turns first, so a channel's history stays in order
        try:
            uid = await self.memory.record_turn(record)
        except MemoryUnavailable as exc:
            log.warning("memory unavailable while writing a turn; journaled to retry: %s", exc)
            self.pending.add(record)
            return record.uid, False
        TURN_WRITES.labels("stored").inc()
        return uid, True

    async def flush_pending(self) -> None:
        await self.pending.flush()

    def _sampling(self, persona: Persona) -> Sampling:
        s = persona.fireside.sampling
        return Sampling(temperature=s.temperature, top_p=s.top_p, max_tokens=self.max_tokens or s.max_tokens,
                        extra={"repetition_penalty": s.repetition_penalty})
