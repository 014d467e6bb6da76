"""The ranker's latency for one request (request and taste embedded, scores over the whole catalog, the crowd
signal from 20,000 viewers' likes, filters, MMR; not the model's pitch), over 10,000 and 100,000 items.
The items' vectors are random unit vectors of the
embedder's size: the ranker's cost doesn't depend on what they mean, and embedding 100,000 titles is an import's
one-time cost (not measured here)."""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from bench.report import report
from bot.memory.embedder import EmbedderMissing, StaticEmbedder
from bot.recommend.catalog import Item
from bot.recommend.crowd import Crowd
from bot.recommend.ranker import CatalogIndex, Ranker, Request, Taste
from bot.services.model_server import embedder_dir
from bot.settings import load_settings

KINDS = ("game", "film", "series", "music", "book")
MOODS = ("something cozy to relax", "a hard platformer", "scary space horror", "funny and short", "")
REQUESTS = 200


def catalog(n: int, dim: int, seed: int = 7) -> CatalogIndex:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ages = rng.choice([-1, 0, 7, 12, 13, 16, 17, 18], size=n)
    items = [Item(id=f"i{i}", title=f"Title {i}", kind=KINDS[i % len(KINDS)], age=None if ages[i] < 0 else
                  int(ages[i]), popularity=float(rng.pareto(1.5))) for i in range(n)]
    return CatalogIndex.build(items, embedder=None, vectors=vectors)


VIEWERS, LIKES_EACH = 20_000, 20


def crowd(n: int, seed: int = 11) -> Crowd:
    """Viewers' likes skewed toward popular items, as real ones are."""
    rng = np.random.default_rng(seed)
    return Crowd(n, (np.minimum(rng.zipf(1.3, LIKES_EACH) - 1, n - 1).tolist() for _ in range(VIEWERS)))


def timings(index: CatalogIndex, ranker: Ranker, everyone: Crowd) -> list[float]:
    taste = Taste(likes=(("Celeste", 1.0), ("cozy farming games", 0.8), ("horror", -0.9)),
                  liked_items=("i1", "i5", "i40", "i999"), offered=tuple(f"i{i}" for i in range(0, 300, 7)))
    out = []
    for r in range(REQUESTS):
        request = Request(kind=KINDS[r % len(KINDS)] if r % 3 else None, mood=MOODS[r % len(MOODS)],
                          max_age=13 if r % 2 else None, k=3)
        started = time.perf_counter()
        picks = ranker.rank(index, request, taste, [(everyone, 1.0)])
        out.append((time.perf_counter() - started) * 1000)
        assert len(picks) == 3
    return out


def main() -> None:
    try:
        embedder = StaticEmbedder.load(embedder_dir(load_settings()))
    except EmbedderMissing as exc:
        sys.exit(f"{exc}")
    ranker = Ranker(embedder)
    rows = []
    for n in (10_000, 100_000):
        index = catalog(n, embedder.dim)
        everyone = crowd(n)
        timings(index, ranker, everyone)  # warm up
        ms = sorted(timings(index, ranker, everyone))
        rows.append((f"rank_ms_p50_{n}", statistics.median(ms), f"ms per request over {n:,} items"))
        rows.append((f"rank_ms_p95_{n}", ms[int(len(ms) * 0.95)], "ms (95th percentile)"))
    report("recommend", rows)


if __name__ == "__main__":
    main()
