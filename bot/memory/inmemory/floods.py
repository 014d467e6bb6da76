"""FloodCounts in process memory: the twin of the Redis counters (two apps on one World share them)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.memory.inmemory.world import World


class InMemoryFloodCounts:
    def __init__(self, world: World) -> None:
        self.w = world

    async def exchange(self, spent: Mapping[str, int], window: int, drop: Collection[str] = ()) -> dict[str, int]:
        self.w.check()
        for name in drop:
            self.w.flood_counts.pop((name, window), None)
            self.w.flood_counts.pop((name, window - 1), None)
        for stale in [k for k in self.w.flood_counts if k[1] < window - 1]:
            del self.w.flood_counts[stale]
        totals = {}
        for name, n in spent.items():
            totals[name] = self.w.flood_counts[(name, window)] = self.w.flood_counts.get((name, window), 0) + n
        return totals
