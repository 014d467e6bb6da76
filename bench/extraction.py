"""Fact extraction with the real SmolLM2 on the labelled set (bench/data/extraction_set.yaml), one run for each
extractor: the model alone, the hybrid (the rules first, the model for the rest) and the rules alone; the
precision and recall of what each viewer's memory holds at the end, the model calls each made, and the
hybrid's misses by name. The same figures on the held-out set (written after the rules) and on the blind set
(written by someone who never saw them); each was used once to mend the rules afterwards."""

from __future__ import annotations

import asyncio
import time

from bench.extraction_set import BLIND, HELD_OUT, MAIN, Score, Viewer, load, score
from bench.real_servers import SERVED, metrics, real_servers
from bench.report import report
from tests.support.app import fireside_app

MODES = ("model", "hybrid", "rules")


async def run(base: str, redis_url: str, mode: str, sets: dict[str, list[Viewer]]) -> dict[str, tuple[Score, float]]:
    """set -> (score, model requests)"""
    out: dict[str, tuple[Score, float]] = {}
    async with fireside_app(base, redis_url=redis_url, model=SERVED, memory={"extraction": mode},
                            llm={"first_token_timeout": 300.0, "total_timeout": 600.0}) as app:
        if app.fact_worker is None:
            raise SystemExit("no memory embedder: run `fireside model prepare` first")
        for name, viewers in sets.items():
            before = metrics(base).get("vllm:request_success_total", 0.0)
            result = await score(app.fact_worker, viewers, f"{mode}-{name}")
            out[name] = result, metrics(base).get("vllm:request_success_total", 0.0) - before
    return out


def main() -> None:
    sets = {"set": load(MAIN), "heldout": load(HELD_OUT), "blind": load(BLIND)}
    runs: dict[str, dict[str, tuple[Score, float]]] = {}
    seconds: dict[str, float] = {}
    with real_servers() as (base, redis_url):
        for mode in MODES:
            started = time.monotonic()
            runs[mode] = asyncio.run(run(base, redis_url, mode, sets))
            seconds[mode] = time.monotonic() - started
    for name in sets:
        hybrid = runs["hybrid"][name][0]
        for kind, items in (("stored but not wanted", hybrid.wrong), ("wanted but not stored", hybrid.missed)):
            print(f"hybrid on the {name}, {kind} ({len(items)}):" + "".join(f"\n  {item}" for item in items[:15]))
    rows: list[tuple[str, object, str]] = []
    for name, viewers in sets.items():
        messages = [m for v in viewers for m in v.messages]
        negatives = sum(1 for m in messages if not m.facts and not m.forget)
        rows.append((f"messages_{name}", len(messages), f"from {len(viewers)} viewers, {negatives} with no fact; "
                                                        f"{runs['hybrid'][name][0].labels} facts wanted at the end"))
        for mode in MODES:
            result, calls = runs[mode][name]
            rows += [(f"precision_{mode}_{name}", result.precision, f"of {result.stored} stored facts, wanted"),
                     (f"recall_{mode}_{name}", result.recall, "of the wanted facts, stored"),
                     (f"model_calls_{mode}_{name}", calls, "requests to vLLM (extraction and decisions)")]
    rows += [(f"seconds_{mode}", seconds[mode], "both sets") for mode in MODES]
    report("extraction", rows)


if __name__ == "__main__":
    main()
