"""The MemoryStore interface and the records it stores: what the engine needs, not how Redis holds it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.accounts import account_key as account_key  # re-exported for the stores
from bot.memory.embedder import Vectors
from bot.memory.facts import Fact

Speaker = Literal["user", "bot"]


class MemoryUnavailable(Exception):
    """The store could not be reached or failed mid-operation. Every store raises this and nothing else for
    its backend's failures, so callers never import the backend."""


_DEADLINE: ContextVar[float | None] = ContextVar("memory_deadline", default=None)


@contextmanager
def memory_deadline(seconds: float | None) -> Iterator[None]:
    """Within this block (and the tasks it starts) every store call answers within `seconds` or fails as
    MemoryUnavailable: on the reply path, no memory is better than a reply held up by a hung server. None lifts
    it (a big read that is allowed to take its time)."""
    token = _DEADLINE.set(seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def current_deadline() -> float | None:
    return _DEADLINE.get()


@dataclass(frozen=True, slots=True)
class HistoryLine:
    speaker: Speaker
    name: str  # display name as shown in the prompt
    text: str
    uid: str | None = None  # Fireside user id of a user line; None for the bot
    account: str | None = None  # "platform:account id" of a user line, for lines stored before a uid existed
    message: str | None = None  # the platform's message id of a user line, so a deleted message can leave


def without_lines(lines: list[HistoryLine], theirs: Callable[[HistoryLine], bool]) -> list[HistoryLine]:
    """The lines minus the matching ones and the bot's reply right after each: how forget and a moderator's
    action take someone's words out of a history (the Redis scripts do the same in Lua)."""
    kept: list[HistoryLine] = []
    dropped = False
    for line in lines:
        if theirs(line):
            dropped = True
        elif dropped and line.speaker == "bot":
            dropped = False
        else:
            dropped = False
            kept.append(line)
    return kept


@dataclass(frozen=True, slots=True)
class Profile:
    uid: str
    names: dict[str, str]  # platform -> display name
    first_seen: float
    last_seen: float
    turns: int


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """A channel's settings over its space's (a Discord server's), typed. Stored as strings in one hash."""

    persona: str | None = None
    enabled: bool = True  # switched off: chat is ignored, commands still work
    free: bool = False  # answer every message, not only mentions (needs the platform to deliver them)
    cadence: float | None = None  # seconds between streamed edits (Discord) or between replies (Twitch)
    catalogs: tuple[str, ...] = ()  # the catalogs recommendations come from here; empty: every catalog
    max_age: int | None = None  # the oldest age rating recommended here; None: no limit
    links: tuple[str, ...] = ()  # hosts or link prefixes the bot may link to here, beside the global allowlist
    ignored: frozenset[str] = frozenset()  # account ids a moderator told the bot to ignore entirely
    strictness: str | None = None  # how hard messages and replies are screened here (None: the bot's default)
    blocked_words: tuple[str, ...] = ()  # words never let through here, beside the bot's own list
    adult: bool = False  # a moderator marked this channel for adults (where the platform can't say)
    raw: Mapping[str, str] = field(default_factory=dict)  # every stored value, for settings not typed here

    @classmethod
    def from_hash(cls, values: Mapping[str, str]) -> ChannelSettings:
        try:
            cadence = float(values["cadence"]) if values.get("cadence") else None
        except ValueError:
            cadence = None
        age = values.get("max_age", "")
        return cls(persona=values.get("persona") or None, enabled=values.get("enabled") != "0",
                   free=values.get("free") == "1", cadence=cadence,
                   catalogs=tuple(n for n in values.get("catalogs", "").split(",") if n),
                   max_age=int(age) if age.isdigit() else None,
                   links=tuple(n for n in values.get("links", "").split(",") if n),
                   ignored=frozenset(n for n in values.get("ignored", "").split(",") if n),
                   strictness=values.get("strictness") or None, adult=values.get("adult") == "1",
                   blocked_words=tuple(w for w in values.get("blocked_words", "").split(",") if w), raw=dict(values))


@dataclass(frozen=True, slots=True)
class TurnContext:
    """Everything one turn reads from memory, fetched in one round trip."""

    uid: str | None  # None when this account has never spoken
    history: tuple[HistoryLine, ...]
    summary: str
    settings: ChannelSettings = ChannelSettings()
    facts: tuple[Fact, ...] = ()  # the speaker's long-term facts, oldest first
    vectors: Mapping[str, Vectors] = field(default_factory=dict)  # fact id -> embedding
    tokens_today: int = 0  # what the model wrote for this speaker today (UTC), for the daily budget


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """Everything one finished turn writes."""

    platform: str
    channel: str
    account_id: str
    uid: str | None  # from load_turn; None on an account's first turn
    display_name: str
    user_text: str
    bot_name: str
    reply: str
    at: float
    # Names the turn in every write of it: a retry of a write Redis already took (a timeout after it arrived)
    # is a no-op, not a second copy.
    turn_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    message_id: str | None = None  # the user's message on the platform (a moderator may delete it)
    tokens: int = 0  # what the model wrote for this turn, added to the speaker's day


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forget_account removed: the user's uid (if they had one), every account that pointed at it, and how
    many history lines went."""

    uid: str | None
    accounts: tuple[str, ...]
    names: tuple[str, ...]
    lines: int


# (platform, channel, lines): the oldest lines, offered for the summary once history passes its budget (they
# stay until set_summary folds them) or cut past twice the budget.
TrimListener = Callable[[str, str, list[HistoryLine]], None]


def utc_day(at: float) -> str:
    return time.strftime("%Y%m%d", time.gmtime(at))


def tokens_today(stored: Sequence[str | None], now: float) -> int:
    """The day's tokens from a profile's (day, day_tokens) fields: nothing when they are from another day."""
    day, spent = stored
    return int(spent or 0) if day == utc_day(now) else 0


class MemoryStore(Protocol):
    on_trim: TrimListener | None  # told about the history lines to fold into the summary

    async def load_turn(self, platform: str, channel: str, account_id: str, space: str | None = None,
                        overheard: tuple[HistoryLine, ...] = ()) -> TurnContext:
        """One read for a turn: channel settings, history, summary, the speaker's uid and facts. `overheard`
        lines are appended to the history first, in the same round trip."""
        ...

    async def record_turn(self, record: TurnRecord) -> str:
        """Store a finished turn atomically per owner; returns the speaker's uid, or "" when they were forgotten
        while the turn was in flight (then nothing of it is stored)."""
        ...

    async def resolve_uid(self, platform: str, account_id: str) -> str | None: ...

    async def claim_uid(self, platform: str, account_id: str) -> str:
        """The account's uid, given one now if it has none (someone who voted in a story before ever chatting)."""
        ...

    async def profile(self, uid: str) -> Profile | None: ...

    async def history(self, platform: str, channel: str) -> tuple[HistoryLine, ...]: ...

    async def summary(self, platform: str, channel: str) -> str: ...

    async def set_summary(self, platform: str, channel: str, text: str,
                          folded: Sequence[HistoryLine] = ()) -> None:
        """Store a channel's summary and, in the same step, take the history lines folded into it off the head
        of the history (those still there, in order)."""
        ...

    async def channel_settings(self, platform: str, channel: str, space: str | None = None) -> ChannelSettings:
        """A channel's settings over its space's (a Discord server's)."""
        ...

    async def set_channel_setting(self, platform: str, channel: str, key: str, value: str | None) -> None:
        """Set one per-channel setting; None removes it."""
        ...

    async def set_space_setting(self, platform: str, space: str, key: str, value: str | None) -> None: ...

    async def forget_account(self, platform: str, account_id: str) -> Forgotten:
        """Delete everything of the user behind this account: their keys, their aliases, and their lines (with
        the bot's reply to each) in every channel history; drops those channels' summaries."""
        ...

    async def drop_lines(self, platform: str, channel: str, *, account: str | None = None,
                         message: str | None = None) -> int:
        """A moderator's action: one message (by its platform id) or every line of one account ("platform:id")
        leaves this channel's history, with the bot's reply right after each. Returns the lines removed."""
        ...

    async def observe(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        """Append chat lines the bot only overheard (not addressed to it) to a channel's history."""
        ...

    async def set_opt_out(self, platform: str, account_id: str, opted_out: bool) -> None: ...

    async def opted_out(self) -> set[str]:
        """Every opted-out account, as "platform:account id"."""
        ...

    async def ping(self) -> None:
        """Raise MemoryUnavailable if the store is unreachable."""
        ...

    async def aclose(self) -> None: ...
