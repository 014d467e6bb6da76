"""The Grafana dashboard (deploy/grafana/fireside.json) queries only what exists: every fireside_* series is one
of the bot's metrics, with the labels the query groups by; every vllm:* series is checked against a real vLLM's
/metrics (the vllm-marked test)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import Counter, Gauge, Histogram

import bot.metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "fireside.json"
_SERIES = re.compile(r"\b(fireside_[a-z_]+|vllm:[a-z_:]+)")
_GROUPED = re.compile(r"\bby \(([^)]*)\) \((?:rate|increase)?\(?(fireside_[a-z_]+|vllm:[a-z_:]+)")


def queries() -> list[str]:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in board["panels"] for t in p["targets"]]


def ours() -> dict[str, tuple[str, ...]]:
    """Every series name the bot exports -> its label names (a histogram adds `le` to its buckets)."""
    out: dict[str, tuple[str, ...]] = {}
    for metric in vars(bot.metrics).values():
        if not isinstance(metric, Counter | Gauge | Histogram):
            continue
        name, labels = metric._name, tuple(metric._labelnames)  # prometheus-client keeps them there
        if isinstance(metric, Counter):
            out[name + "_total"] = labels
        elif isinstance(metric, Histogram):
            out.update({name + "_bucket": (*labels, "le"), name + "_count": labels, name + "_sum": labels})
        else:
            out[name] = labels
    return out


def test_every_fireside_series_exists_with_the_labels_it_is_grouped_by() -> None:
    exported = ours()
    used = {s for q in queries() for s in _SERIES.findall(q) if s.startswith("fireside_")}
    assert used, "the dashboard should chart the bot"
    assert used <= set(exported), used - set(exported)
    for query in queries():
        for labels, series in _GROUPED.findall(query):
            if series.startswith("fireside_"):
                wanted = {x.strip() for x in labels.split(",")}
                assert wanted <= set(exported[series]), (query, exported[series])


def test_the_dashboard_covers_what_the_issue_lists() -> None:
    text = " ".join(queries())
    for series in ("fireside_messages_in_total", "fireside_reply_first_text_seconds_bucket", "fireside_reply_seconds",
                   "fireside_turns_in_flight", "fireside_flood_refusals_total", "fireside_inference_errors_total",
                   "fireside_redis_errors_total", "fireside_tokens_total", "fireside_story_votes_total",
                   "fireside_recommendations_total", "fireside_turn_writes_total", "vllm:time_to_first_token_seconds",
                   "vllm:generation_tokens_total", "vllm:prefix_cache_hits_total", "vllm:kv_cache_usage_perc",
                   "vllm:num_requests_waiting"):
        assert series in text, series


@pytest.mark.vllm
def test_every_vllm_series_exists_on_a_real_vllm(vllm_url: str) -> None:
    body: Any = urllib.request.urlopen(vllm_url.removesuffix("/v1") + "/metrics", timeout=30).read().decode()
    served = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line and not line.startswith("#")}
    used = {s for q in queries() for s in _SERIES.findall(q) if s.startswith("vllm:")}
    assert used and used <= served, used - served
