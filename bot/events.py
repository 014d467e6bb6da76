"""The normalized chat event every adapter produces, and the reply sink every adapter provides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Author:
    id: str  # the platform's own account id (a string on every platform)
    name: str  # display name, as chat shows it
    roles: frozenset[str] = frozenset()  # e.g. "admin", "moderator", "broadcaster", "vip"
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class ChatEvent:
    platform: str  # "console", "discord", "twitch"
    channel: str  # platform channel id; with platform it names one conversation
    author: Author
    text: str
    message_id: str | None = None
    reply_to: str | None = None  # id of the message this one replies to
    addressed: bool = True  # mention, reply, DM or command: the bot is expected to answer
    command: str | None = None  # an admin or user command ("persona", "forgetme"), already parsed
    args: str = ""
    space: str | None = None  # the server a channel belongs to (Discord guild), for inherited settings
    reply_chain: tuple[tuple[str, str], ...] = ()  # (speaker, text) of the messages replied to, oldest first
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def channel_key(self) -> str:
        return f"{self.platform}:{self.channel}"

    @property
    def author_key(self) -> str:
        return f"{self.platform}:{self.author.id}"


class ReplySink(Protocol):
    """Where a streamed reply goes. Each adapter knows its platform's limits (length, edit cadence)."""

    async def start(self, speaker: str) -> None:
        """A reply begins, spoken by `speaker` (the channel's persona, or the bot itself for commands)."""
        ...

    async def write(self, delta: str) -> None:
        """Take the next piece of the reply as it is generated."""
        ...

    async def finish(self) -> None:
        """The reply is complete: flush whatever is buffered."""
        ...

    async def fail(self, message: str) -> None:
        """The reply could not be completed: show `message` (short, in character) instead."""
        ...
