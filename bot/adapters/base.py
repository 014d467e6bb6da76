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
