"""Recommendations for one viewer: the catalogs in service (indexed once per content, shared by every request),
the viewer's taste from their memory, what they were offered before, what viewers with the same likes liked
(this channel's and everyone's); picks from the ranker, with the reason for each. Nothing is stored for a viewer
who opted out."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import UserFacingError
from bot.events import RatingTarget
from bot.memory.base import ChannelSettings, MemoryStore, MemoryUnavailable, memory_deadline
from bot.memory.embedder import StaticEmbedder
from bot.memory.facts import FactStore
from bot.metrics import RECOMMENDATIONS
from bot.recommend.catalog import Item
from bot.recommend.crowd import Crowd
from bot.recommend.intent import KIND_NOUNS
from bot.recommend.pitch import CANDIDATES, Pitched, Pitcher
from bot.recommend.ranker import CatalogIndex, Pick, Ranker, Request, Taste, same_title
from bot.recommend.store import CatalogStore, RecommendationLog
from bot.recommend.vector_cache import vectors_for
from personas.schema import Persona

log = logging.getLogger(__name__)

RECHECK = 30.0  # seconds between checks that the catalogs (and crowds) in service are the ones indexed
EVERYONE = "all"  # the crowd of every viewer, beside each channel's own
CROWDS_KEPT = 256  # channel crowds held in memory at once
SETTLE_WAIT = 10.0  # seconds an ask waits for the viewer's newest words to become likes


PICK = "pick:"  # what a rating button sends as `which`: this prefix and the item's code


def pick_code(item_id: str) -> str:
    """A short stable name for an offered item: a catalog id may be too long for a Discord custom id."""
    return hashlib.blake2b(item_id.encode("utf-8"), digest_size=6).hexdigest()


def rating_targets(picks: Sequence[Pick]) -> tuple[RatingTarget, ...]:
    return tuple(RatingTarget(pick_code(p.item.id), p.item.title) for p in picks)


@dataclass(frozen=True)
class Viewer:
    platform: str
    account_id: str
    name: str
    opted_out: bool = False
    channel: str = ""  # the channel asked in, whose viewers' likes weigh in

    @property
    def scopes(self) -> list[str]:
        return [EVERYONE, *([f"{self.platform}:{self.channel}"] if self.channel else [])]


@dataclass(frozen=True)
class Place:
    """What a channel's moderators chose: the catalogs it recommends from (none: all), and the age limit."""

    catalogs: tuple[str, ...] = ()
    max_age: int | None = None

    @classmethod
    def of(cls, settings: ChannelSettings) -> Place:
        return cls(catalogs=settings.catalogs, max_age=settings.max_age)


class Recommender:
    def __init__(self, catalogs: CatalogStore, memory: MemoryStore, facts: FactStore, history: RecommendationLog,
                 embedder: StaticEmbedder | None, clock: Callable[[], float] = time.monotonic,
                 cache_dir: Path | None = None, pitcher: Pitcher | None = None) -> None:
        self.catalogs = catalogs
        self.settle: Callable[[str], Awaitable[None]] | None = None  # extract a viewer's pending words now
        self.memory = memory
        self.facts = facts
        self.history = history
        self.embedder = embedder
        self.ranker = Ranker(embedder) if embedder is not None else None
        self.clock = clock
        self.cache_dir = cache_dir
        self.pitcher = pitcher or Pitcher(None)
        self._index: CatalogIndex | None = None
        self._digests: tuple[str, ...] = ()
        self._checked = -RECHECK
        # scope -> (when read, the index it maps to, who liked what there, as read)
        self._crowds: OrderedDict[str, tuple[float, CatalogIndex, Crowd, dict[str, list[str]]]] = OrderedDict()

    async def index(self) -> CatalogIndex:
        """Every catalog in service, as one index; rebuilt only when their content changed."""
        if self.embedder is None:
            raise UserFacingError("Recommendations need the memory embedder: run `fireside model prepare`.")
        if self._index is not None and self.clock() - self._checked < RECHECK:
            return self._index
        try:
            names = await self.catalogs.names()
            infos = [info for info in [await self.catalogs.info(n) for n in names] if info is not None]
        except MemoryUnavailable:
            if self._index is None:
                raise
            return self._index  # Redis away: the catalogs as last indexed still serve
        digests = tuple(i.digest for i in infos)
        if self._index is None or digests != self._digests:
            parts: list[tuple[str, str, list[Item]]] = []
            with memory_deadline(None):  # a big catalog may take a while to read: not a hung server
                for info in infos:
                    # Ids are qualified by catalog, so two catalogs may both have an item "1".
                    items = [dataclasses.replace(i, id=f"{info.name}/{i.id}")
                             for i in await self.catalogs.items(info.name)]
                    parts.append((info.name, info.digest, items))
            # Embedding a whole catalog takes a while: off the event loop, so chat goes on meanwhile.
            self._index = await asyncio.to_thread(self._build, parts)
            self._digests = digests
            log.info("indexed %d catalog items from %s", len(self._index.items), ", ".join(names) or "no catalogs")
        self._checked = self.clock()
        return self._index

    def _build(self, parts: list[tuple[str, str, list[Item]]]) -> CatalogIndex:
        assert self.embedder is not None
        dim = self.embedder.dim
        vectors = [vectors_for(items, digest, self.embedder, self.cache_dir) for _, digest, items in parts]
        return CatalogIndex.build([i for _, _, items in parts for i in items], None,
                                  np.concatenate(vectors) if vectors else np.zeros((0, dim), dtype=np.float32),
                                  sources=[name for name, _, items in parts for _ in items])

    async def _crowd(self, index: CatalogIndex, scope: str) -> tuple[Crowd, dict[str, list[str]]]:
        held = self._crowds.get(scope)
        if held is None or held[1] is not index or self.clock() - held[0] >= RECHECK:
            fans = await self.history.fans(scope)
            crowd = await asyncio.to_thread(Crowd.from_ids, index.by_id, len(index.items), fans.values())
            held = (self.clock(), index, crowd, fans)
            self._crowds[scope] = held
        self._crowds.move_to_end(scope)
        while len(self._crowds) > CROWDS_KEPT:
            self._crowds.popitem(last=False)
        return held[2], held[3]

    async def _crowd_signal(self, index: CatalogIndex, viewer: Viewer) -> list[tuple[Crowd, float]]:
        """Everyone's crowd, and this channel's sharing half the weight once it has fans of its own."""
        everyone, _ = await self._crowd(index, EVERYONE)
        if not viewer.channel:
            return [(everyone, 1.0)]
        here, _ = await self._crowd(index, viewer.scopes[1])
        return [(everyone, 0.5), (here, 0.5)] if here.n_users else [(everyone, 1.0)]

    async def _count_as_fan(self, index: CatalogIndex, viewer: Viewer, uid: str, taste: Taste) -> None:
        """Keep what this viewer likes in the catalogs (thumbs-up, likes naming a title) in their crowds."""
        liked = {i for i in taste.liked_items if i in index.by_id}
        liked |= {index.items[n].id for n in (index.by_title.get(same_title(t)) for t, s in taste.likes if s > 0)
                  if n is not None}
        _, known = await self._crowd(index, EVERYONE)
        if set(known.get(uid, [])) != liked:
            await self.history.set_fan(uid, viewer.scopes, sorted(liked))
            known[uid] = sorted(liked)

    async def offer(self, viewer: Viewer, words: str, persona: Persona, place: Place = Place(),
                    k: int = 3) -> Pitched | None:
        """The persona's answer: it chooses `k` of the best candidates and says why, in its voice (or the plain
        template does); what it chose is recorded as offered. None: nothing new to offer."""
        candidates = await self.candidates(viewer, words, place, max(k, CANDIDATES))
        if not candidates:
            return None
        pitched = await self.pitcher.pitch(persona, viewer.name, words, candidates, await self.index(), k)
        await self.record(viewer, pitched.picks)
        return pitched

    async def record(self, viewer: Viewer, picks: list[Pick]) -> None:
        """What was offered becomes the viewer's latest batch ("liked 2"), never offered again."""
        if not picks or viewer.opted_out:
            return
        uid = await self.memory.claim_uid(viewer.platform, viewer.account_id)
        await self.history.add(uid, [p.item.id for p in picks])

    async def candidates(self, viewer: Viewer, words: str, place: Place = Place(), k: int = 3) -> list[Pick]:
        """The best `k` for this viewer and request, nothing recorded (the persona may choose among them)."""
        index = await self.index()
        if not index.items:
            raise UserFacingError("There is nothing to recommend yet: an operator imports a catalog first "
                                  "(fireside catalog import FILE).")
        kinds = index.kind_names
        if place.catalogs:
            kinds = sorted(set(index.kinds[np.isin(index.sources, list(place.catalogs))].tolist()))
            if not kinds:
                raise UserFacingError("The catalogs chosen for this channel aren't in service: a moderator picks "
                                      "others with the catalogs command.")
        kind, mood = split_request(words, kinds)
        asked = _first_word(words)
        if kind is None and asked in KIND_NOUNS:  # a kind the catalogs don't have
            raise UserFacingError(f"I have no {asked} to recommend here. I can recommend: "
                                  f"{', '.join(kinds)}.")
        assert self.ranker is not None
        taste, uid = await self._taste(viewer)
        if uid is not None and not viewer.opted_out:
            await self._count_as_fan(index, viewer, uid, taste)
        request = Request(kind=kind, mood=mood, max_age=place.max_age, catalogs=place.catalogs, k=k)
        picks = self.ranker.rank(index, request, taste, await self._crowd_signal(index, viewer))
        RECOMMENDATIONS.labels("picked" if picks else "none").inc()
        return picks

    async def _settle(self, uid: str) -> None:
        """What the viewer said just before asking ("I love Celeste" and then "what should I play?") may still
        wait in the fact worker's batch: extract it now, within a bound, so the picks hear it."""
        if self.settle is None:
            return
        try:
            await asyncio.wait_for(self.settle(uid), SETTLE_WAIT)
        except Exception as exc:  # the model slow or away: rank from what memory holds already
            log.info("ranking without this viewer's newest words (%s)", type(exc).__name__)

    async def _taste(self, viewer: Viewer) -> tuple[Taste, str | None]:
        if viewer.opted_out:  # from the request alone: nothing read, nothing stored
            return Taste(), None
        uid = await self.memory.resolve_uid(viewer.platform, viewer.account_id)
        if uid is None:
            return Taste(), None
        await self._settle(uid)
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
        if wanted.startswith(PICK):  # a button under an earlier answer: that very item, among all offered
            code = wanted.removeprefix(PICK)
            offered = next((i for i in await self.history.offered(uid) if pick_code(i) == code), None)
            if offered is None or offered not in index.by_id:
                raise UserFacingError("I can't find that pick any more: rate a newer one, or name its title.")
            item = index.items[index.by_id[offered]]
        elif wanted.isdigit():
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
        taste, _ = await self._taste(viewer)
        await self._count_as_fan(index, viewer, uid, taste)
        RECOMMENDATIONS.labels("liked" if liked else "disliked").inc()
        return item


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
    for kind in (first, KIND_NOUNS.get(first, ""), first.rstrip("s")):
        if kind and kind in kinds:
            return kind, " ".join(parts[1:])
    return None, words.strip()

