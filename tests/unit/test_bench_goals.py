"""`python -m bench`'s goals table: met, short by how much, or not run; an unknown benchmark is a clear error."""

from __future__ import annotations

import subprocess
import sys

from bench.goals import table


def test_each_goal_is_met_short_by_how_much_or_not_run() -> None:
    shown = table({"engine_overhead": {"engine_overhead_ms_p50": 6.0, "turns_per_second_16_channels": 450.0},
                   "redis_faults": {"added_s_max_hung": 1.5}, "memory": {"bytes_per_user_after_100_turns": 13_480.5,
                                                                         "int8_top3_agreement": 0.986}})
    rows = {line.split("  ")[0]: line for line in shown.splitlines()[2:]}
    assert "short by 4.8 ms" in rows["engine CPU per turn over a bare client call (p50)"]
    assert "met" in rows["turns per second, one process, 16 channels"]
    assert "short by 0.5 s" in rows["reply latency added while Redis hangs (the worst turn)"]
    assert "13,480 bytes" in rows["Redis bytes per active user after 100 turns, 14 facts"]
    assert "short by 1,480 bytes" in rows["Redis bytes per active user after 100 turns, 14 facts"]
    assert "98.6 %" in rows["queries whose top-3 facts are the same with int8 vectors as with float32"]
    assert "not run" in rows["prefix-cache hit rate, 4 users taking turns in one channel"]
    why = shown.split("why short:")[1]
    assert "OpenAI SDK's parsing" in why and "bytes" not in why  # a reason for each goal short, none for the met


def test_an_unknown_benchmark_is_named_and_nothing_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "nope"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no benchmark nope" in done.stderr
