"""The ranker: which catalog items to offer one viewer, and why. Scores come from the request (kind, mood),
the viewer's taste (likes and dislikes from memory, feedback on earlier picks), what viewers with the same likes
liked (the crowd) and a popularity prior, in one matrix-vector product over the catalog's embeddings plus the
crowd's sparse pass; filters drop other kinds and catalogs, items above the channel's age limit, what the viewer
dislikes and what was already offered; MMR keeps the picks different from each other.
Every reason is computed here, never by the model."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.memory.embedder import StaticEmbedder
from bot.recommend.catalog import Item
from bot.recommend.crowd import Crowd

Matrix = npt.NDArray[np.float32]
CANDIDATES = 50  # the best-scoring items MMR chooses among
MMR_LAMBDA = 0.7  # relevance against difference from what is already picked
LIKE_REASON = 0.45  # how similar an item must be to a like for that like to be its reason
SAME_THING = 0.97  # items this similar are editions of one thing: one of them is offered at most


@dataclass(frozen=True)
class Taste:
    """What a viewer has told Fireside: (thing, strength -1..1) from memory, and feedback on earlier picks."""

    likes: tuple[tuple[str, float], ...] = ()
    liked_items: tuple[str, ...] = ()  # item ids given a thumbs-up
    disliked_items: tuple[str, ...] = ()  # item ids given a thumbs-down
    offered: tuple[str, ...] = ()  # item ids already recommended to them


@dataclass(frozen=True)
class Request:
    kind: str | None = None
    mood: str = ""
    max_age: int | None = None  # the channel's limit; None: no limit
    catalogs: tuple[str, ...] = ()  # the catalogs the channel recommends from; empty: all
    k: int = 3


@dataclass(frozen=True)
class Pick:
    item: Item
    score: float
    reason: str  # in plain words, from the numbers: which like it matches, or what the request asked
    because: str = ""  # the viewer's own like (or liked pick) behind it, when there is one


@dataclass
class Weights:
    mood: float = 1.0
    likes: float = 1.0
    dislikes: float = 0.7
    popularity: float = 0.15
    crowd: float = 1.0  # items liked by viewers who liked the same things


@dataclass
class CatalogIndex:
    """One catalog, ready to rank: unit vectors for every item, and their kinds, ages and popularity."""

    items: list[Item]
    vectors: Matrix
    kinds: npt.NDArray[np.str_]
    ages: npt.NDArray[np.int16]  # -1: unrated
    popularity: Matrix  # 0..1
    sources: npt.NDArray[np.str_]  # the catalog each item comes from
    by_title: dict[str, int] = field(default_factory=dict)
    by_id: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, items: Sequence[Item], embedder: StaticEmbedder | None, vectors: Matrix | None = None,
              sources: Sequence[str] | None = None) -> CatalogIndex:
        """`vectors`, when given, are the items' embeddings from the cache (same order); `sources` name the
        catalog of each item."""
        if vectors is None:
            if embedder is None:
                raise ValueError("a catalog index needs the embedder or the items' vectors")
            vectors = embedder.embed([item_text(i) for i in items]).astype(np.float32)
        raw = np.array([max(0.0, i.popularity) for i in items], dtype=np.float32)
        pop = np.log1p(raw)
        pop = pop / pop.max() if len(pop) and pop.max() > 0 else np.zeros(len(items), dtype=np.float32)
        return cls(items=list(items), vectors=vectors, kinds=np.array([i.kind for i in items], dtype=np.str_),
                   ages=np.array([-1 if i.age is None else i.age for i in items], dtype=np.int16),
                   popularity=pop.astype(np.float32),
                   sources=np.array(list(sources) if sources is not None else [""] * len(items), dtype=np.str_),
                   by_title={same_title(i.title): n for n, i in enumerate(items)},
                   by_id={i.id: n for n, i in enumerate(items)})

    def find(self, title: str) -> Item | None:
        n = self.by_title.get(same_title(title))
        return self.items[n] if n is not None else None

    @property
    def kind_names(self) -> list[str]:
        return sorted(set(self.kinds.tolist()))


def item_text(item: Item) -> str:
    """What an item's embedding is made of: its title, kind, genres and tags, and its description."""
    words = " ".join([*item.genres, *item.tags])
    return f"{item.title}. {item.kind}. {words}. {item.description}"[:1000]


def same_title(title: str) -> str:
    """A title as compared: case, punctuation and spacing don't count."""
    return re.sub(r"[^\w]+", " ", title.lower()).strip()


class Ranker:
    def __init__(self, embedder: StaticEmbedder, weights: Weights | None = None) -> None:
        self.embedder = embedder
        self.weights = weights or Weights()

    def rank(self, index: CatalogIndex, request: Request, taste: Taste,
             crowds: Sequence[tuple[Crowd, float]] = ()) -> list[Pick]:
        """`crowds`: who liked what (this channel's viewers, everyone's), each with its share of the signal."""
        if not index.items:
            return []
        w = self.weights
        positive = [(t, s) for t, s in taste.likes if s > 0]
        negative = [(t, -s) for t, s in taste.likes if s < 0]
        like_vecs = self._vectors(index, [t for t, _ in positive])
        query = np.zeros(index.vectors.shape[1], dtype=np.float32)
        mood = self.embedder.embed_one(request.mood) if request.mood.strip() else None
        if mood is not None:
            query += w.mood * mood
        if positive:
            strengths = np.array([s for _, s in positive], dtype=np.float32)
            query += w.likes * (strengths @ like_vecs) / max(1.0, float(strengths.sum()))
        liked = [index.vectors[index.by_id[i]] for i in taste.liked_items if i in index.by_id]
        if liked:
            query += w.likes * np.mean(liked, axis=0)
        bad = [*self._vectors(index, [t for t, _ in negative])]
        bad += [index.vectors[index.by_id[i]] for i in taste.disliked_items if i in index.by_id]
        if bad:
            query -= w.dislikes * np.mean(bad, axis=0)
        # One pass over the catalog: the query folds every signal, since similarity is linear in it.
        scores = index.vectors @ query + w.popularity * index.popularity
        seeds = self._seeds(index, taste, positive)
        for crowd, share in crowds:
            if share > 0 and crowd.n_users:
                scores += (w.crowd * share) * crowd.scores(seeds)
        keep = self._allowed(index, request, taste, positive, negative)
        scores = np.where(keep, scores, -np.inf)
        allowed = int(keep.sum())
        if allowed == 0:
            return []
        top = min(CANDIDATES, allowed)
        candidates = np.argpartition(-scores, top - 1)[:top]
        candidates = candidates[np.argsort(-scores[candidates])]
        chosen = self._mmr(index, candidates, scores, request.k)
        return [self._explain(index, n, float(scores[n]), positive, like_vecs, request, seeds, crowds)
                for n in chosen]

    @staticmethod
    def _seeds(index: CatalogIndex, taste: Taste, positive: list[tuple[str, float]]) -> list[int]:
        """The catalog items the viewer is known to like: thumbs-up picks, and likes that name a title."""
        out = [index.by_id[i] for i in taste.liked_items if i in index.by_id]
        out += [n for n in (index.by_title.get(same_title(t)) for t, _ in positive) if n is not None]
        return out

    def _vectors(self, index: CatalogIndex, things: list[str]) -> Matrix:
        """A like that names a catalog item takes that item's own vector; anything else is embedded."""
        if not things:
            return np.zeros((0, index.vectors.shape[1]), dtype=np.float32)
        out = self.embedder.embed(things).astype(np.float32)
        for row, thing in enumerate(things):
            n = index.by_title.get(same_title(thing))
            if n is not None:
                out[row] = index.vectors[n]
        return out

    def _allowed(self, index: CatalogIndex, request: Request, taste: Taste, positive: list[tuple[str, float]],
                 negative: list[tuple[str, float]]) -> npt.NDArray[np.bool_]:
        keep = np.ones(len(index.items), dtype=bool)
        if request.kind:
            keep &= index.kinds == request.kind.lower()
        if request.max_age is not None:
            keep &= index.ages <= request.max_age
        if request.catalogs:
            keep &= np.isin(index.sources, list(request.catalogs))
        # Not what they already have (a like naming the item), dislike, or were offered before.
        for thing, _ in (*positive, *negative):
            n = index.by_title.get(same_title(thing))
            if n is not None:
                keep[n] = False
        for item_id in (*taste.disliked_items, *taste.liked_items, *taste.offered):
            n = index.by_id.get(item_id)
            if n is not None:
                keep[n] = False
        return keep

    def _mmr(self, index: CatalogIndex, candidates: npt.NDArray[np.intp], scores: Matrix, k: int) -> list[int]:
        chosen: list[int] = []
        pool = list(candidates)
        relevance = scores[candidates]
        spread = float(relevance.max() - relevance.min()) or 1.0
        while pool and len(chosen) < k:
            best, best_value = -1, -np.inf
            for n in pool:
                similar = max((float(index.vectors[n] @ index.vectors[c]) for c in chosen), default=0.0)
                if similar >= SAME_THING:
                    continue
                value = MMR_LAMBDA * (float(scores[n]) - float(relevance.min())) / spread - (1 - MMR_LAMBDA) * similar
                if value > best_value:
                    best, best_value = int(n), value
            if best < 0:
                break
            chosen.append(best)
            pool.remove(best)
        return chosen

    def _explain(self, index: CatalogIndex, n: int, score: float, positive: list[tuple[str, float]],
                 like_vecs: Matrix, request: Request, seeds: list[int],
                 crowds: Sequence[tuple[Crowd, float]]) -> Pick:
        item = index.items[n]
        if positive:
            sims = like_vecs @ index.vectors[n]
            best = int(np.argmax(sims))
            if float(sims[best]) >= LIKE_REASON:
                like = positive[best][0]
                return Pick(item, score, f"because you told me you love {like}", because=like)
        for crowd, share in crowds:
            found = crowd.neighbour(n, seeds) if share > 0 and crowd.n_users else None
            if found is not None:
                liked = index.items[found[0]].title
                who = "a viewer" if found[1] == 1 else f"{found[1]} viewers"
                return Pick(item, score, f"{who} who loved {liked}, as you do, loved it too", because=liked)
        if request.mood.strip():
            return Pick(item, score, mood_reason(item, request.mood))
        if index.popularity[n] > 0.5:
            return Pick(item, score, f"one of the most loved {item.kind}s here")
        return Pick(item, score, f"a {item.kind} worth a look")


def mood_reason(item: Item, mood: str) -> str:
    """Why an item fits the request, in few words: the item's own genres or tags that the request named ("it's a
    roguelike, as you asked"), the request itself when it is short, else no echo of a whole chat line."""
    asked = {_stem(w) for w in _WORD.findall(mood.lower())}
    hits: dict[str, str] = {}  # the stemmed words -> the item's own label, one label per meaning
    for label in (*item.genres, *item.tags):
        stems = [_stem(w) for w in _WORD.findall(label.lower())]
        if stems and all(s in asked for s in stems):
            hits.setdefault(" ".join(stems), label)
    if hits:
        return f"it's {' and '.join(list(hits.values())[:2])}, as you asked"
    short = " ".join(mood.split())
    if len(short.split()) <= MOOD_ECHO_WORDS and len(short) <= 60:
        return f"it fits what you asked for: {short}"
    return "it fits what you asked for"


MOOD_ECHO_WORDS = 6  # a longer request is a chat line: not quoted back
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _stem(word: str) -> str:
    """Plural and a few spellings folded, enough to meet a catalog's genre words ("roguelikes", "cosy")."""
    word = {"cosy": "cozy", "scary": "horror", "funny": "comedy", "sci": "scifi"}.get(word, word)
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
