"""With the real vLLM serving SmolLM2: time to first token as the console sees it against vLLM's own TTFT
(from /metrics), and the prefix-cache hit rate our prompt layout gets while several users take turns."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from bench.real_servers import SERVED, hit_rate, metrics, real_servers
from bench.report import report
from bot.events import Author, ChatEvent, RatingTarget
from bot.metrics import OOC_REPLIES
from tests.support.app import fireside_app

USERS = ["alice", "bob", "carol", "dave"]
LINES = ["what game are you playing today?", "I just beat the second boss!", "any tips for the ice level?",
         "that jump was wild", "what should we name the cat?", "I love rhythm games", "go left at the fork!"]


class TimedSink:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.first: float | None = None

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        return None

    async def write(self, delta: str) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.t0

    async def finish(self) -> None:
        return None

    async def fail(self, message: str) -> None:
        print(f"  turn failed: {message}", file=sys.stderr)

    async def confirm(self, question: str, command_hint: str) -> bool:
        return False

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        return None

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        return False

    async def attach(self, filename: str, content: str) -> bool:
        return False


def flagged() -> float:
    """Replies the out-of-character guard caught so far in this process (every reason and action)."""
    return sum(s.value for m in OOC_REPLIES.collect() for s in m.samples if s.name.endswith("_total"))


async def run_channel(base_url: str, redis_url: str, turns: int) -> list[float]:
    # Facts off: background extraction would share the model and blur the chat path's own latency.
    ttfts = []
    async with fireside_app(base_url, redis_url=redis_url, model=SERVED, redis={"history_max": 40},
                            memory={"facts": False},
                            llm={"max_tokens": 32, "first_token_timeout": 300.0, "total_timeout": 600.0}) as app:
        for i in range(turns):
            user = USERS[i % len(USERS)]
            sink = TimedSink()
            await app.dispatch(ChatEvent("console", "bench", Author(user, user.title()), LINES[i % len(LINES)]), sink)
            if sink.first is not None:
                ttfts.append(sink.first)
    return ttfts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=24)
    parser.add_argument("--compiled", action="store_true")
    args, _ = parser.parse_known_args()
    with real_servers(args.compiled) as (base, redis_url):
        before, flagged_before = metrics(base), flagged()
        ttfts = asyncio.run(run_channel(base, redis_url, args.turns))
        after, flags = metrics(base), flagged() - flagged_before

    def delta(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    ttft_count = max(delta("vllm:time_to_first_token_seconds_count"), 1)
    server_ttft = delta("vllm:time_to_first_token_seconds_sum") / ttft_count
    rate, _ = hit_rate(before, after)
    report("vllm_latency", [
        ("turns", len(ttfts), f"turns, {len(USERS)} users taking turns in one channel"),
        ("console_ttft_s_p50", statistics.median(ttfts), "s"),
        ("console_ttft_s_mean", statistics.fmean(ttfts), "s"),
        ("vllm_ttft_s_mean", server_ttft, "s (from /metrics)"),
        ("client_side_ttft_overhead_s", statistics.fmean(ttfts) - server_ttft, "s"),
        ("prefix_cache_hit_rate", rate, "of prompt tokens"),
        # Seen beside the hit rate, so that a layout that warms the cache but puts SmolLM2 out of character shows.
        ("guard_flagged_share", flags / max(len(ttfts), 1), "of replies caught out of character (same run)"),
        ("prompt_tokens_per_turn", delta("vllm:prompt_tokens_total") / max(len(ttfts), 1), "tokens"),
    ])


if __name__ == "__main__":
    main()
