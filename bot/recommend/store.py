"""The CatalogStore interface: named catalogs, shared by every bot replica, replaced whole on import (readers see
the old catalog or the new one, never a mix), and left alone when the same content comes again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.recommend.catalog import Catalog, Item


@dataclass(frozen=True)
class CatalogInfo:
    name: str
    count: int
    kinds: dict[str, int]
    digest: str
    source: str  # the file it came from
    imported_at: float


class CatalogStore(Protocol):
    async def put(self, catalog: Catalog, source: str, at: float) -> bool:
        """Put this catalog in service under its name; False (nothing written) when that content already is."""
        ...

    async def items(self, name: str) -> list[Item]: ...

    async def info(self, name: str) -> CatalogInfo | None: ...

    async def names(self) -> list[str]: ...

    async def delete(self, name: str) -> bool: ...


HISTORY_KEEP = 200  # recommendations remembered per viewer, so none is offered twice


class RecommendationLog(Protocol):
    """What was recommended to each viewer (in their own slot of memory: forget erases it with the rest)."""

    async def offered(self, uid: str) -> list[str]:
        """Item ids, newest first."""
        ...

    async def add(self, uid: str, item_ids: list[str]) -> None:
        """Record a batch of picks: it becomes the viewer's latest (what "liked 2" refers to)."""
        ...

    async def latest(self, uid: str) -> list[str]:
        """The last batch of picks, in the order they were offered."""
        ...

    async def rate(self, uid: str, item_id: str, liked: bool) -> None:
        """A thumbs-up or down on an item; the latest word on it counts."""
        ...

    async def ratings(self, uid: str) -> dict[str, bool]:
        """item id -> liked."""
        ...

    async def fans(self, scope: str) -> dict[str, list[str]]:
        """uid -> the catalog item ids they like, among the viewers of one scope ("all", or "platform:channel")."""
        ...

    async def set_fan(self, uid: str, scopes: Sequence[str], liked: Sequence[str]) -> None:
        """What this viewer likes, counted in these scopes' crowds (none liked: taken out of them)."""
        ...
