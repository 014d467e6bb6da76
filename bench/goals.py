"""The performance goals (issue 13's table and the other issues' targets), each read from a benchmark's figures
in the same run, and the table that says which are met and by how much the others fall short."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Figures = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Goal:
    bench: str
    what: str
    value: Callable[[dict[str, Any]], float]
    target: float
    at_most: bool  # True: lower is better
    unit: str
    short_because: str = ""  # what is known to keep it short, printed under the table when it is

    def verdict(self, figures: Figures) -> tuple[str, str]:
        """(the value as shown, "met" or how far off it is), or ("not run", "") when its bench didn't run."""
        own = figures.get(self.bench)
        if own is None:
            return "not run", ""
        value = self.value(own)
        met = value <= self.target if self.at_most else value >= self.target
        gap = abs(value - self.target)
        return f"{_num(value)} {self.unit}", "met" if met else f"short by {_num(gap)} {self.unit}"


def _num(x: float) -> str:
    """Three significant figures, never in exponent form (11,353 bytes, not 1.14e+04)."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


GOALS = (
    Goal("vllm_latency", "first visible text on the console, against vLLM's own time to first token (mean)",
         lambda f: f["console_ttft_s_mean"] / f["vllm_ttft_s_mean"], 1.7, True, "×"),
    Goal("vllm_latency", "prefix-cache hit rate, 4 users taking turns in one channel",
         lambda f: 100 * f["prefix_cache_hit_rate"], 85.0, False, "%",
         "each fold of old history into the summary is a request whose prompt shares nothing with the chat's, "
         "and the new summary near the top of the prompt breaks the prefix once per fold (89 % in a run "
         "with no fold)"),
    Goal("memory", "Redis bytes per active user after 100 turns, 14 facts",
         lambda f: f["bytes_per_user_after_100_turns"], 12_000, True, "bytes"),
    Goal("memory", "queries whose top-3 facts are the same with int8 vectors as with float32",
         lambda f: 100 * f["int8_top3_agreement"], 95.0, False, "%"),
    Goal("engine_overhead", "engine CPU per turn over a bare client call (p50)",
         lambda f: f["engine_overhead_ms_p50"], 1.2, True, "ms",
         "the OpenAI SDK's parsing of each streamed chunk and the per-turn screens (the largest costs in the last "
         "profile) are still on the reply path"),
    Goal("engine_overhead", "turns per second, one process, 16 channels",
         lambda f: f["turns_per_second_16_channels"], 400, False, "turns/s",
         "the same per-turn engine CPU as the goal above, on one process's event loop"),
    Goal("reply_discipline", "replies within the persona's sentence limit, 50 turns on SmolLM2",
         lambda f: 100 * f["within_limit_after"], 95.0, False, "%"),
    Goal("extraction", "fact extraction precision, hybrid, on the labelled set with SmolLM2",
         lambda f: 100 * f["precision_hybrid_set"], 90.0, False, "%"),
    Goal("extraction", "fact extraction recall, hybrid, on the labelled set with SmolLM2",
         lambda f: 100 * f["recall_hybrid_set"], 80.0, False, "%"),
    Goal("recommend", "a recommendation over 100,000 items (p50)", lambda f: f["rank_ms_p50_100000"], 10.0, True,
         "ms"),
    Goal("redis_faults", "reply latency added while Redis hangs (the worst turn)",
         lambda f: f["added_s_max_hung"], 1.0, True, "s"),
)


def table(figures: Figures) -> str:
    rows = [(g.what, *g.verdict(figures), f"{'≤' if g.at_most else '≥'} {g.target:,g} {g.unit}") for g in GOALS]
    head = ("goal", "this run", "verdict", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    why = [f"- {g.what}: {g.short_because}" for g, r in zip(GOALS, rows, strict=True)
           if r[2].startswith("short") and g.short_because]
    return "\n".join(lines + (["", "why short:", *why] if why else []))
