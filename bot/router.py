"""The router: picks a handler for each event (a command, or a chat turn) and runs the cross-cutting
middleware around it once: one error boundary for everything; for chat, the open-channel screen and the
per-channel lock."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from bot.commands.spec import is_moderator
from bot.errors import UserFacingError
from bot.events import PRIVATE_ANSWERS, ChatEvent, ReplySink
from bot.memory.base import ChannelSettings, MemoryUnavailable, memory_deadline
from bot.metrics import IGNORED_EVENTS, IN_FLIGHT, INFERENCE_ERRORS, MESSAGES_IN, MODEL_APOLOGIES
from bot.timed_sink import TimedSink
from inference import request_ids
from inference.errors import InferenceError, InferenceTimeout, InferenceUnavailable, Overloaded
from inference.fair_slots import inference_lane

log = logging.getLogger(__name__)

Handler = Callable[[ChatEvent, ReplySink], Awaitable[Any]]
Middleware = Callable[[Handler, ChatEvent, ReplySink], Awaitable[Any]]
SettingsFor = Callable[[str, str, str | None], Awaitable[ChannelSettings]]

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


def chain(handler: Handler, middlewares: Sequence[Middleware]) -> Handler:
    for middleware in reversed(middlewares):
        handler = partial(middleware, handler)
    return handler


class Router:
    def __init__(self, chat: Handler, commands: Handler, chat_middlewares: Sequence[Middleware] = (),
                 boundary: Middleware | None = None, settings_for: SettingsFor | None = None) -> None:
        self.settings_for = settings_for  # for the users a moderator told the bot to ignore
        self.run_chat: Handler = chain(chat, chat_middlewares)  # also what a command like !ask runs
        self._commands = commands
        self._boundary = boundary or ErrorBoundary()
        self.closing = False  # shutting down: no new turns
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def dispatch(self, event: ChatEvent, sink: ReplySink) -> Any:
        if self.closing:
            log.info("shutting down: %s on %s not taken", event.command or "a chat turn", event.channel_key)
            return None
        if self.settings_for is not None and not is_moderator(event):
            settings = await self.settings_for(event.platform, event.channel, event.space)
            if event.author.id in settings.ignored:
                IGNORED_EVENTS.inc()
                return None  # ignored entirely: no reply, no command, no error
        handler = self._commands if event.command is not None else self.run_chat
        MESSAGES_IN.labels(event.platform, "command" if event.command is not None else "chat").inc()
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        IN_FLIGHT.inc()
        turn_id = request_ids.CURRENT.set(request_ids.new_turn_id())  # in this turn's logs and its vLLM requests
        try:
            # The model calls this event makes wait their turn beside this channel's, fairly (fair_slots).
            with inference_lane(event.platform, event.channel_key):
                return await self._boundary(handler, event, TimedSink(sink, event.platform))
        finally:
            request_ids.CURRENT.reset(turn_id)
            IN_FLIGHT.dec()
            if task is not None:
                self._in_flight.discard(task)

    async def drain(self, grace: float) -> int:
        """Stop taking turns, let those in flight finish within `grace` seconds, cancel the rest. Returns how
        many were cut."""
        self.closing = True
        busy = {t for t in self._in_flight if t is not asyncio.current_task() and not t.done()}
        if not busy:
            return 0
        log.info("shutting down: waiting up to %.0f s for %d replies in flight", grace, len(busy))
        _, late = await asyncio.wait(busy, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("shutting down: %d replies cut after %.0f s", len(late), grace)
        return len(late)


class OpenChannels:
    """An unaddressed message is answered only in a channel a moderator opened (and left switched on). This
    runs for every message a platform delivers, so it reads settings through a short-lived cache; a turn
    itself reads them again in its one read."""

    def __init__(self, settings_for: SettingsFor) -> None:
        self.settings_for = settings_for

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        if not event.addressed:
            settings = await self.settings_for(event.platform, event.channel, event.space)
            if not (settings.free and settings.enabled):
                return None
            event = replace(event, addressed=True)
        return await handler(event, sink)


class ReplyDeadline:
    """Every store call of a chat turn answers within `seconds` or the turn goes on without memory (its write
    journaled to retry): a hung Redis must not hold up a reply."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        with memory_deadline(self.seconds):
            return await handler(event, sink)


class ChannelLocks:
    """One lock per conversation, so that turns in one channel never interleave their memory writes."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        key = event.channel_key
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                return await handler(event, sink)
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # nobody waits: drop the lock so the dict stays small
                del self._users[key]
                del self._locks[key]


MODEL_DOWN = "I can't reach my thoughts right now. Please try again in a moment."
MODEL_BUSY = "I'm a bit swamped right now. Give me a moment and ask again!"
MODEL_SLOW = "My thoughts are running slow right now. Please try again in a moment."
QUIET_FOR = 60.0  # seconds a public channel hears no second apology for the model server's trouble
BEFORE_THE_REPLY = ("the connection", "the first token")  # timeouts that left nothing on screen


class ErrorBoundary:
    """The one place errors turn into user-facing replies. Cancellation passes straight through.

    When the model server is down or swamped, every message in a busy channel would fail at once: the channel
    hears one in-character word about it, then the bot keeps quiet there for a while (counted, not lost from
    the operator's view). A private answer (a slash command, a DM, the console) always says what happened."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, quiet_for: float = QUIET_FOR) -> None:
        self.clock = clock
        self.quiet_for = quiet_for
        self._told: dict[str, float] = {}  # channel key -> when it last heard about the model server's trouble

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        try:
            return await handler(event, sink)
        except UserFacingError as exc:
            await sink.fail(exc.reason)
        except MemoryUnavailable as exc:  # a command that needs memory (a chat turn answers without it)
            log.warning("memory unavailable for %s on %s: %s", event.command, event.channel_key, exc)
            await sink.fail("I can't reach my memory right now, so nothing was changed. Please try again in a moment.")
        except Overloaded as exc:
            INFERENCE_ERRORS.labels("overloaded").inc()
            log.warning("model server overloaded on %s: %s", event.channel_key, exc)
            await self._model_trouble(event, sink, "overloaded", MODEL_BUSY, before_reply=True)
        except InferenceTimeout as exc:
            INFERENCE_ERRORS.labels("slow").inc()
            log.warning("model server timed out on %s: %s", event.channel_key, exc)
            await self._model_trouble(event, sink, "slow", MODEL_SLOW, exc.phase in BEFORE_THE_REPLY)
        except InferenceError as exc:
            INFERENCE_ERRORS.labels("down").inc()
            log.warning("model server failed on %s: %s", event.channel_key, exc)
            await self._model_trouble(event, sink, "down", MODEL_DOWN, isinstance(exc, InferenceUnavailable))
        except Exception:
            log.exception("turn failed on %s", event.channel_key)
            await sink.fail(APOLOGY)
        return None

    async def _model_trouble(self, event: ChatEvent, sink: ReplySink, kind: str, message: str,
                             before_reply: bool) -> None:
        # A reply cut mid-stream is always marked where it stands; only a reply that never began may be held.
        now = self.clock()
        told = self._told.get(event.channel_key)
        if before_reply and not event.can(PRIVATE_ANSWERS) and told is not None and now - told < self.quiet_for:
            MODEL_APOLOGIES.labels(kind, "held").inc()
            await sink.finish()  # nothing was written: this only ends the typing indicator
            return
        if len(self._told) > KEEP_CHANNELS:
            self._told = {k: t for k, t in self._told.items() if now - t < self.quiet_for}
        self._told[event.channel_key] = now
        MODEL_APOLOGIES.labels(kind, "said").inc()
        await sink.fail(message)


KEEP_CHANNELS = 10_000
