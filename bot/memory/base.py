"""The MemoryStore interface and the records it stores: what the engine needs, not how Redis holds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Speaker = Literal["user", "bot"]


@dataclass(frozen=True, slots=True)
class HistoryLine:
    speaker: Speaker
    name: str  # display name as shown in the prompt
    text: str
    uid: str | None = None  # Fireside user id of a user line; None for the bot
    account: str | None = None  # "platform:account id" of a user line, for lines stored before a uid existed


@dataclass(frozen=True, slots=True)
class Profile:
    uid: str
    names: dict[str, str]  # platform -> display name
    first_seen: float
    last_seen: float
    turns: int


@dataclass(frozen=True, slots=True)
class TurnContext:
    """Everything one turn reads from memory, fetched in one round trip."""

    uid: str | None  # None when this account has never spoken
    history: tuple[HistoryLine, ...]
    summary: str
    channel_settings: dict[str, str] = field(default_factory=dict)  # persona choice and the like


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


class MemoryStore(Protocol):
    async def load_turn(self, platform: str, channel: str, account_id: str,
                        space: str | None = None) -> TurnContext: ...

    async def record_turn(self, record: TurnRecord) -> str:
        """Store a finished turn atomically per owner; returns the speaker's uid."""
        ...

    async def resolve_uid(self, platform: str, account_id: str) -> str | None: ...

    async def profile(self, uid: str) -> Profile | None: ...

    async def history(self, platform: str, channel: str) -> tuple[HistoryLine, ...]: ...

    async def channel_settings(self, platform: str, channel: str, space: str | None = None) -> dict[str, str]:
        """A channel's settings over its space's (a Discord server's)."""
        ...

    async def set_channel_setting(self, platform: str, channel: str, key: str, value: str | None) -> None:
        """Set one per-channel setting; None removes it."""
        ...

    async def set_space_setting(self, platform: str, space: str, key: str, value: str | None) -> None: ...

    async def forget_account(self, platform: str, account_id: str) -> int:
        """Delete everything of the user behind this account; returns the history lines removed."""
        ...

    async def observe(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        """Append chat lines the bot only overheard (not addressed to it) to a channel's history."""
        ...

    async def set_opt_out(self, platform: str, account_id: str, opted_out: bool) -> None: ...

    async def opted_out(self) -> set[str]:
        """Every opted-out account, as "platform:account id"."""
        ...

    async def ping(self) -> None:
        """Raise if the store is unreachable."""
        ...

    async def aclose(self) -> None: ...
