"""Recommendations for one viewer: the catalogs in service (indexed once per content, shared by every request),
the viewer's taste from their memory, what they were offered before; picks from the ranker, said in plain
words with the reason for each. Nothing is stored for a viewer who opted out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import UserFacingError
from bot.memory.base import MemoryStore
from bot.memory.embedder import StaticEmbedder
from bot.memory.facts import FactStore
from bot.metrics import RECOMMENDATIONS
from bot.recommend.catalog import Item
from bot.recommend.ranker import CatalogIndex, Pick, Ranker, Request, Taste
from bot.recommend.store import CatalogStore, RecommendationLog

log = logging.getLogger(__name__)

RECHECK = 30.0  # seconds between checks that the catalogs in service are the ones indexed


@dataclass(frozen=True)
class Viewer:
    platform: str
    account_id: str
    name: str
    opted_out: bool = False


class Recommender:
    def __init__(self, catalogs: CatalogStore, memory: MemoryStore, facts: FactStore, history: RecommendationLog,
                 embedder: StaticEmbedder | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.catalogs = catalogs
        self.memory = memory
        self.facts = facts
        self.history = history
        self.embedder = embedder
        self.ranker = Ranker(embedder) if embedder is not None else None
        self.clock = clock
        self._index: CatalogIndex | None = None
        self._digests: tuple[str, ...] = ()
        self._checked = -RECHECK

    async def index(self) -> CatalogIndex:
        """Every catalog in service, as one index; rebuilt only when their content changed."""
        if self.embedder is None:
            raise UserFacingError("Recommendations need the memory embedder: run `fireside model prepare`.")
        if self._index is not None and self.clock() - self._checked < RECHECK:
            return self._index
        names = await self.catalogs.names()
        infos = [await self.catalogs.info(n) for n in names]
        digests = tuple(i.digest for i in infos if i is not None)
        if self._index is None or digests != self._digests:
            items: list[Item] = []
            for name in names:
                items.extend(await self.catalogs.items(name))
            # Embedding a whole catalog takes a while: off the event loop, so chat goes on meanwhile.
            self._index = await asyncio.to_thread(CatalogIndex.build, items, self.embedder)
            self._digests = digests
            log.info("indexed %d catalog items from %s", len(items), ", ".join(names) or "no catalogs")
        self._checked = self.clock()
        return self._index

    async def recommend(self, viewer: Viewer, words: str, max_age: int | None = None, k: int = 3) -> list[Pick]:
        index = await self.index()
        if not index.items:
            raise UserFacingError("There is nothing to recommend yet: an operator imports a catalog first "
                                  "(fireside catalog import FILE).")
        kind, mood = split_request(words, index.kind_names)
        asked = _first_word(words)
        if kind is None and asked in _COMMON_KINDS:  # a kind the catalogs don't have
            raise UserFacingError(f"I have no {asked} to recommend here. I can recommend: "
                                  f"{', '.join(index.kind_names)}.")
        assert self.ranker is not None
        taste, uid = await self._taste(viewer)
        picks = self.ranker.rank(index, Request(kind=kind, mood=mood, max_age=max_age, k=k), taste)
        if not picks:
            RECOMMENDATIONS.labels("none").inc()
            return []
        if uid is not None and not viewer.opted_out:
            await self.history.add(uid, [p.item.id for p in picks])
        RECOMMENDATIONS.labels("picked").inc()
        return picks

    async def _taste(self, viewer: Viewer) -> tuple[Taste, str | None]:
        if viewer.opted_out:  # from the request alone: nothing read, nothing stored
            return Taste(), None
        uid = await self.memory.resolve_uid(viewer.platform, viewer.account_id)
        if uid is None:
            return Taste(), None
        likes = await self.facts.likes(uid)
        offered = await self.history.offered(uid)
        rated = await self.history.ratings(uid)
        return Taste(likes=tuple((like.thing, like.strength) for like in likes), offered=tuple(offered),
                     liked_items=tuple(i for i, up in rated.items() if up),
                     disliked_items=tuple(i for i, up in rated.items() if not up)), uid

    async def rate(self, viewer: Viewer, which: str, liked: bool) -> Item:
        """A thumbs-up or down from the viewer on one of their latest picks (by its number) or on any catalog
        title; it shapes what comes next at once."""
        if viewer.opted_out:
            raise UserFacingError("You've opted out, so I keep no ratings of yours.")
        index = await self.index()
        uid = await self.memory.claim_uid(viewer.platform, viewer.account_id)
        latest = await self.history.latest(uid)
        wanted = which.strip()
        item: Item | None = None
        if wanted.isdigit():
            n = int(wanted)
            if not latest:
                raise UserFacingError("Ask for a recommendation first; then rate it by its number.")
            if not 1 <= n <= len(latest) or latest[n - 1] not in index.by_id:
                raise UserFacingError(f"Your last picks are numbered 1 to {len(latest)}.")
            item = index.items[index.by_id[latest[n - 1]]]
        else:
            found = index.find(wanted)
            if found is None:
                raise UserFacingError(f"I don't know a title {wanted[:60]!r}: give its number from your last picks.")
            item = found
        await self.history.rate(uid, item.id, liked)
        RECOMMENDATIONS.labels("liked" if liked else "disliked").inc()
        return item


# Words viewers use for kinds, mapped to a catalog's usual kind names.
_COMMON_KINDS = {"game": "game", "games": "game", "film": "film", "films": "film", "movie": "film",
                 "movies": "film", "series": "series", "show": "series", "shows": "series", "music": "music",
                 "song": "music", "songs": "music", "album": "music", "stream": "stream", "streams": "stream",
                 "book": "book", "books": "book", "anime": "series"}


def _first_word(words: str) -> str:
    parts = words.split()
    if parts and parts[0].lower() in ("a", "an", "some"):
        parts = parts[1:]
    return parts[0].lower().strip(",.!?") if parts else ""


def split_request(words: str, kinds: list[str]) -> tuple[str | None, str]:
    """(kind, mood) from what the viewer typed: a first word naming a kind the catalog has ("games", "a movie")
    is the kind; the rest is the mood."""
    parts = words.split()
    if parts and parts[0].lower() in ("a", "an", "some"):
        parts = parts[1:]
    if not parts:
        return None, ""
    first = _first_word(words)
    for kind in (first, _COMMON_KINDS.get(first, ""), first.rstrip("s")):
        if kind and kind in kinds:
            return kind, " ".join(parts[1:])
    return None, words.strip()


def pitch(picks: list[Pick], name: str) -> str:
    """The answer in plain words: each title from the catalog, with its reason (the model's voice comes later)."""
    lines = []
    for n, pick in enumerate(picks, 1):
        item = pick.item
        year = f", {item.year}" if item.year else ""
        link = f" {item.url}" if item.url else ""
        lines.append(f"{n}. {item.title} ({item.kind}{year}): {pick.reason}.{link}")
    return f"{name}, you might enjoy: " + " ".join(lines)
