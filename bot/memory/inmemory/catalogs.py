"""CatalogStore in process memory."""

from __future__ import annotations

from collections.abc import Sequence

from bot.memory.inmemory.world import World
from bot.recommend.catalog import Catalog, Item
from bot.recommend.store import HISTORY_KEEP, CatalogInfo


class InMemoryCatalogStore:
    def __init__(self, world: World) -> None:
        self.w = world

    async def put(self, catalog: Catalog, source: str, at: float) -> bool:
        self.w.check()
        held = self.w.catalogs.get(catalog.name)
        if held is not None and held[1].digest == catalog.digest:
            return False
        info = CatalogInfo(name=catalog.name, count=len(catalog.items), kinds=catalog.kinds, digest=catalog.digest,
                           source=source, imported_at=at)
        self.w.catalogs[catalog.name] = ({i.id: i.to_json() for i in catalog.items}, info)
        return True

    async def items(self, name: str) -> list[Item]:
        self.w.check()
        held = self.w.catalogs.get(name)
        return sorted((Item.from_json(v) for v in held[0].values()), key=lambda i: i.id) if held else []

    async def info(self, name: str) -> CatalogInfo | None:
        self.w.check()
        held = self.w.catalogs.get(name)
        return held[1] if held else None

    async def names(self) -> list[str]:
        self.w.check()
        return sorted(self.w.catalogs)

    async def delete(self, name: str) -> bool:
        self.w.check()
        return self.w.catalogs.pop(name, None) is not None


class InMemoryRecommendationLog:
    def __init__(self, world: World) -> None:
        self.w = world

    async def offered(self, uid: str) -> list[str]:
        self.w.check()
        return list(self.w.recommended.get(uid, []))

    async def add(self, uid: str, item_ids: list[str]) -> None:
        self.w.check()
        held = self.w.recommended.setdefault(uid, [])
        held[:0] = list(reversed(item_ids))
        del held[HISTORY_KEEP:]
        self.w.recommended_latest[uid] = list(item_ids)

    async def latest(self, uid: str) -> list[str]:
        self.w.check()
        return list(self.w.recommended_latest.get(uid, []))

    async def rate(self, uid: str, item_id: str, liked: bool) -> None:
        self.w.check()
        self.w.ratings.setdefault(uid, {})[item_id] = liked

    async def ratings(self, uid: str) -> dict[str, bool]:
        self.w.check()
        return dict(self.w.ratings.get(uid, {}))

    async def fans(self, scope: str) -> dict[str, list[str]]:
        self.w.check()
        return {uid: list(ids) for uid, ids in self.w.fans.get(scope, {}).items()}

    async def set_fan(self, uid: str, scopes: Sequence[str], liked: Sequence[str]) -> None:
        self.w.check()
        for scope in scopes:
            if liked:
                self.w.fans.setdefault(scope, {})[uid] = list(liked)
            else:
                self.w.fans.get(scope, {}).pop(uid, None)
