"""The adapter interface: what every platform adapter offers the application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.events import ChatEvent, ReplySink

Dispatch = Callable[[ChatEvent, ReplySink], Awaitable[Any]]


class Adapter(Protocol):
    name: str

    async def run(self, dispatch: Dispatch) -> None:
        """Receive messages until stopped, handing each one to `dispatch` with a sink for the reply."""
        ...


class ModeratorHooks(Protocol):
    """What a platform's moderators did, for the bot's memory to follow (bot/memory/moderation.py)."""

    async def message_deleted(self, platform: str, channel: str, message_id: str) -> int: ...

    async def user_removed(self, platform: str, channel: str, account_id: str) -> int: ...
