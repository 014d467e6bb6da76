"""The labelled extraction set is what issue 16 asks for (150+ messages, 50+ with no fact, every kind of fact),
its scorer counts a stale or unwanted fact against precision, and the rules alone keep their score on it:
read through the real worker, the real embedder and the in-memory store, with no model at all."""

from __future__ import annotations

from bench.extraction_set import HELD_OUT, MAIN, Score, load, matches, score
from bot.memory.embedder import StaticEmbedder
from bot.memory.extraction import Extractor
from bot.memory.fact_worker import FactWorker
from bot.memory.inmemory import in_memory_stores


def test_the_set_has_the_size_and_the_kinds_the_issue_asks_for() -> None:
    messages = [m for v in load(MAIN) for m in v.messages]
    assert len(messages) >= 150
    assert sum(1 for m in messages if not m.facts and not m.forget) >= 50
    keys = {k for m in messages for k in m.facts}
    for kind in ("home", "origin", "age", "job", "cat", "dog", "sister", "horror"):
        assert kind in keys
    assert sum(len(m.forget) for m in messages) >= 3
    assert len(load(HELD_OUT)) >= 5


def test_the_scorer_counts_stale_duplicate_and_wrong_way_facts_against_precision() -> None:
    assert matches("+hollow knight", "User loves Hollow Knight")
    assert not matches("+hollow knight", "User no longer likes Hollow Knight")
    assert matches("-horror", "User can't stand horror movies") and not matches("-horror", "User loves horror")
    result = Score()
    result.add("theo", {"home": "berlin"}, ["User lives in Paris", "User lives in Berlin", "User lives in Berlin."])
    assert (result.true_facts, result.stored, result.found, result.labels) == (1, 3, 1, 1)
    assert result.wrong == ["theo: User lives in Paris", "theo: User lives in Berlin."]


async def test_the_rules_alone_keep_their_score_on_the_set(embedder: StaticEmbedder) -> None:
    stores = in_memory_stores()
    worker = FactWorker(stores.facts, Extractor(None, embedder, "rules"))  # type: ignore[arg-type]  # never called
    result = await score(worker, load(MAIN), "rules")
    assert result.precision >= 0.95 and result.recall >= 0.95, (result.wrong, result.missed)
