"""Every store in process memory: the twin of the Redis stores that the same contract suite runs, so router,
command and engine tests can run fast. Not for production: nothing survives a restart or a second replica."""

from __future__ import annotations

from bot.memory.inmemory.catalogs import InMemoryCatalogStore, InMemoryRecommendationLog
from bot.memory.inmemory.floods import InMemoryFloodCounts
from bot.memory.inmemory.leases import InMemoryLeaseStore
from bot.memory.inmemory.operations import InMemoryAuditLog, InMemoryTokenStore
from bot.memory.inmemory.people import InMemoryFactStore, InMemoryIdentity
from bot.memory.inmemory.stories import InMemoryStoryStore
from bot.memory.inmemory.turns import InMemoryMemoryStore
from bot.memory.inmemory.world import World
from bot.memory.stores import Stores

__all__ = ["World", "in_memory_stores"]


def in_memory_stores(history_max: int = 40, world: World | None = None) -> Stores:
    w = world or World()
    return Stores(memory=InMemoryMemoryStore(w, history_max), facts=InMemoryFactStore(w),
                  identity=InMemoryIdentity(w), audit=InMemoryAuditLog(w), tokens=InMemoryTokenStore(w),
                  stories=InMemoryStoryStore(w), catalogs=InMemoryCatalogStore(w),
                  recommended=InMemoryRecommendationLog(w), floods=InMemoryFloodCounts(w),
                  leases=InMemoryLeaseStore(w))
