"""The data behind every in-memory store, in one object; `down` makes every call fail as if the server
were gone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.memory.audit import AuditEntry
from bot.memory.base import HistoryLine, MemoryUnavailable
from bot.memory.embedder import Vectors
from bot.memory.facts import Fact, Like
from bot.memory.tokens import TokenMap
from bot.recommend.store import CatalogInfo

Channel = tuple[str, str]


@dataclass
class World:
    """All the data, shared by the stores; `down` makes every call fail as if the server were gone."""

    down: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # "platform:account" -> uid
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_aliases: dict[str, set[str]] = field(default_factory=dict)
    user_channels: dict[str, set[str]] = field(default_factory=dict)
    histories: dict[Channel, list[HistoryLine]] = field(default_factory=dict)
    summaries: dict[Channel, str] = field(default_factory=dict)
    channel_settings: dict[Channel, dict[str, str]] = field(default_factory=dict)
    space_settings: dict[Channel, dict[str, str]] = field(default_factory=dict)
    opt_outs: set[str] = field(default_factory=set)
    facts: dict[str, dict[str, Fact]] = field(default_factory=dict)
    vectors: dict[str, dict[str, Vectors]] = field(default_factory=dict)
    fact_log: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    likes: dict[str, dict[str, Like]] = field(default_factory=dict)
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (account, expiry)
    audit: dict[Channel, list[AuditEntry]] = field(default_factory=dict)
    tokens: dict[str, TokenMap] = field(default_factory=dict)
    stories: dict[Channel, str] = field(default_factory=dict)  # story JSON
    votes: dict[Channel, dict[str, str]] = field(default_factory=dict)  # voter -> "scene:choice"
    story_logs: dict[Channel, list[str]] = field(default_factory=dict)
    suggestions: dict[Channel, dict[str, str]] = field(default_factory=dict)  # account -> Suggestion JSON
    catalogs: dict[str, tuple[dict[str, str], CatalogInfo]] = field(default_factory=dict)  # name -> items, info
    recommended: dict[str, list[str]] = field(default_factory=dict)  # uid -> item ids offered, newest first
    recommended_latest: dict[str, list[str]] = field(default_factory=dict)  # uid -> the last batch, in order
    ratings: dict[str, dict[str, bool]] = field(default_factory=dict)  # uid -> item id -> liked
    fans: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # crowd scope -> uid -> liked item ids
    turn_ids: set[str] = field(default_factory=set)  # turns written, so a retried write adds nothing
    flood_counts: dict[tuple[str, int], int] = field(default_factory=dict)  # (limiter digest, minute) -> turns
    leases: dict[str, tuple[str, float]] = field(default_factory=dict)  # lease -> (owner replica, expiry)
    replicas: dict[str, dict[str, float]] = field(default_factory=dict)  # pool -> replica -> heartbeat expiry
    # Tombstones (what forget leaves so that work in flight writes nothing): a forgotten uid; an account and
    # when it was forgotten. They name only what is gone, and dump() leaves them out.
    gone_uids: set[str] = field(default_factory=set)
    gone_accounts: dict[str, float] = field(default_factory=dict)

    def check(self) -> None:
        if self.down:
            raise MemoryUnavailable("in-memory store switched off")

    def dump(self) -> str:
        """Everything stored, as text: lets a test check that a forgotten person left no trace."""
        return repr({k: v for k, v in vars(self).items() if k not in ("down", "gone_uids", "gone_accounts")})
