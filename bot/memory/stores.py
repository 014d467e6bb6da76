"""Every store the bot keeps, as one bundle the composition root builds (on Redis, or in memory for tests)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.memory.audit import AuditLog
from bot.memory.base import MemoryStore
from bot.memory.facts import FactStore
from bot.memory.flood_counts import FloodCounts
from bot.memory.identity import IdentityStore
from bot.memory.leases import LeaseStore
from bot.memory.tokens import TokenStore
from bot.recommend.store import CatalogStore, RecommendationLog
from bot.story.store import StoryStore


@dataclass
class Stores:
    memory: MemoryStore
    facts: FactStore
    identity: IdentityStore
    audit: AuditLog
    tokens: TokenStore
    stories: StoryStore
    catalogs: CatalogStore  # no personal data: nothing in it for forget
    recommended: RecommendationLog  # per viewer, in their slot: forget_account erases it
    # Per limiter and minute, under digests; a forgotten person's are dropped by the flood guard (forget's
    # account listener) and every count expires within minutes.
    floods: FloodCounts
    leases: LeaseStore  # replicas and channels, no one's data: nothing in it for forget
    async def ping(self) -> None:
        await self.memory.ping()

    async def aclose(self) -> None:
        await self.memory.aclose()  # one pool (or one dict) behind every store
