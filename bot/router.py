"""The router: picks a handler for each event and runs the cross-cutting middleware around it once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from bot.errors import UserFacingError
from bot.events import ChatEvent, ReplySink
from inference.errors import InferenceError, InferenceTimeout, Overloaded

log = logging.getLogger(__name__)

Handler = Callable[[ChatEvent, ReplySink], Awaitable[Any]]
Middleware = Callable[[Handler, ChatEvent, ReplySink], Awaitable[Any]]

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


class Router:
    def __init__(self, chat: Handler, commands: Handler, middlewares: Sequence[Middleware] = ()) -> None:
        self._chat = chat
        self._commands = commands
        self._middlewares = list(middlewares)

    async def dispatch(self, event: ChatEvent, sink: ReplySink) -> Any:
        if not event.addressed and event.command is None:
            return None
        handler: Handler = self._commands if event.command is not None else self._chat
        for middleware in reversed(self._middlewares):
            handler = partial(middleware, handler)
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


class ChannelSwitch:
    """An admin can switch the bot off in a channel: chat is then ignored there, commands still work."""

    def __init__(self, settings_for: Callable[[str, str, str | None], Awaitable[dict[str, str]]]) -> None:
        self.settings_for = settings_for

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        if event.command is None:
            settings = await self.settings_for(event.platform, event.channel, event.space)
            if settings.get("enabled") == "0":
                return None
        return await handler(event, sink)


class FlushOverheard:
    """Before a turn, write the channel's overheard lines, so the prompt sees what chat just said."""

    def __init__(self, flush: Callable[[str, str], Awaitable[None]]) -> None:
        self.flush = flush

    async def __call__(self, handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
        if event.command is None:
            await self.flush(event.platform, event.channel)
        return await handler(event, sink)


async def error_boundary(handler: Handler, event: ChatEvent, sink: ReplySink) -> Any:
    """The one place errors turn into user-facing replies. Cancellation passes straight through."""
    try:
        return await handler(event, sink)
    except UserFacingError as exc:
        await sink.fail(exc.reason)
    except Overloaded:
        await sink.fail("I'm a bit swamped right now. Give me a moment and ask again!")
    except InferenceTimeout:
        log.warning("model server timed out on %s", event.channel_key)
        await sink.fail("My thoughts are running slow right now. Please try again in a moment.")
    except InferenceError as exc:
        log.warning("model server failed on %s: %s", event.channel_key, exc)
        await sink.fail("I can't reach my thoughts right now. Please try again in a moment.")
    except Exception:
        log.exception("turn failed on %s", event.channel_key)
        await sink.fail(APOLOGY)
    return None
