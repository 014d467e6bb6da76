"""The normalized chat event every adapter produces, and the reply sink every adapter provides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.accounts import account_key
from bot.safety.sanitize import encodable

# What the surface an event came from can do; commands adapt to it.
PRIVATE_ANSWERS = "private_answers"  # an answer can reach the author alone (Discord ephemeral, DM, console)
OPEN_CHANNELS = "open_channels"  # unaddressed messages reach the bot, so a channel can be opened to free talk
ADULT_CHANNEL = "adult_channel"  # the platform marks this channel for adults (Discord's age-restricted channels)


@dataclass(frozen=True, slots=True)
class Author:
    id: str  # the platform's own account id (a string on every platform)
    name: str  # display name, as chat shows it
    roles: frozenset[str] = frozenset()  # e.g. "admin", "moderator", "broadcaster", "vip"
    is_bot: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", encodable(self.name))


@dataclass(frozen=True, slots=True)
class ChatEvent:
    platform: str  # "console", "discord", "twitch"
    channel: str  # platform channel id; with platform it names one conversation
    author: Author
    text: str
    message_id: str | None = None
    reply_to: str | None = None  # id of the message this one replies to
    addressed: bool = True  # mention, reply, DM or command: the bot is expected to answer
    command: str | None = None  # a command from the command table ("persona", "forgetme")
    args: str = ""  # the command's arguments as typed (Twitch, console); parsed by the command table
    options: Mapping[str, Any] | None = None  # typed arguments, from a platform that has them (Discord)
    confirmed: bool = False  # the author already confirmed a destructive command (a Discord button)
    mentions: tuple[tuple[str, str], ...] = ()  # (name as typed, account id) of the users mentioned
    capabilities: frozenset[str] = frozenset()
    space: str | None = None  # the server a channel belongs to (Discord guild), for inherited settings
    reply_chain: tuple[tuple[str, str], ...] = ()  # (speaker, text) of the messages replied to, oldest first
    raw: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The edge: whatever a platform sent, no text passed on from here can fail to encode.
        object.__setattr__(self, "text", encodable(self.text))
        object.__setattr__(self, "args", encodable(self.args))
        object.__setattr__(self, "reply_chain", tuple((encodable(n), encodable(t)) for n, t in self.reply_chain))

    @property
    def channel_key(self) -> str:
        return account_key(self.platform, self.channel)

    @property
    def author_key(self) -> str:
        return account_key(self.platform, self.author.id)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


@dataclass(frozen=True)
class RatingTarget:
    """One recommended item a viewer may rate from a button: a short code that names it in their history (an
    item id may be too long for a button's custom id) and its title, for the label."""

    code: str
    title: str


class ReplySink(Protocol):
    """Where a streamed reply goes. Each adapter knows its platform's limits (length, edit cadence)."""

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        """A reply begins, spoken by `speaker` (the channel's persona, or the bot itself for commands).
        `cadence` is the channel's setting: seconds between streamed edits, or between replies."""
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

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        """The reply ends with numbered choices the audience votes on (a story scene). A surface with buttons
        attaches one per choice; the others carry the numbered list in the text alone and do nothing here."""
        ...

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        """The reply lists recommendations made for `for_account`: a surface with buttons attaches a thumbs up
        and down to each, which only that account may press, and returns True; the others return False (their
        users rate by command)."""
        ...

    async def attach(self, filename: str, content: str) -> bool:
        """Hand the author a text file (a story transcript) with the reply; False where the surface can't carry
        one (Twitch chat), and the caller says something else instead."""
        ...

    async def confirm(self, question: str, command_hint: str) -> bool:
        """Ask the author to confirm a destructive command; True goes ahead. A surface that can't wait for the
        answer shows the question and how to confirm by command (`command_hint`, such as "forgetme confirm",
        which it prefixes as its platform does), and returns False."""
        ...
