"""The real servers a benchmark runs against: vLLM serving the prepared SmolLM2 (or FIRESIDE_TEST_LLM_URL), a
fresh redis-server, and vLLM's /metrics read as sums."""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.services.redis_server import RedisServer, free_port
from inference.prepare import verify
from inference.profiles import CPU
from inference.server import ServerConfig, VLLMServer

SERVED = "smollm2-135m-instruct"


@contextmanager
def real_servers(compiled: bool = False) -> Iterator[tuple[str, str]]:
    """(vLLM base URL, Redis URL), both stopped on the way out."""
    data = Path(os.environ.get("FIRESIDE_DATA_DIR", Path.home() / ".local" / "share" / "fireside"))
    model = data / "models" / "smollm2-135m-instruct"
    if not verify(model):
        sys.exit(f"no prepared model at {model}: run `fireside model prepare` first")
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        base = os.environ.get("FIRESIDE_TEST_LLM_URL")
        if base is None:
            cfg = ServerConfig(model_dir=model, served_name=SERVED, port=free_port(), eager=not compiled,
                               log_path=Path(tmp) / "vllm.log")
            server = VLLMServer(cfg, CPU, cache_dir=data / "cache")
            server.start()
            server.wait_healthy(timeout=900)
            base = server.base_url
        redis_server = RedisServer(Path(tmp) / "redis")
        redis_server.start()
        try:
            yield base, redis_server.url
        finally:
            redis_server.stop()
            if server is not None:
                server.stop()


def metrics(base: str) -> dict[str, float]:
    """vLLM's Prometheus counters, summed over their labels."""
    text = urllib.request.urlopen(base.removesuffix("/v1") + "/metrics", timeout=10).read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name_labels, value = line.rsplit(" ", 1)
        name = name_labels.split("{", 1)[0]
        try:
            out[name] = out.get(name, 0.0) + float(value)
        except ValueError:
            continue
    return out


def hit_rate(before: dict[str, float], after: dict[str, float]) -> tuple[float, float]:
    """(prefix-cache hit rate of prompt tokens, prompt tokens) between two readings."""
    queries = after.get("vllm:prefix_cache_queries_total", 0.0) - before.get("vllm:prefix_cache_queries_total", 0.0)
    hits = after.get("vllm:prefix_cache_hits_total", 0.0) - before.get("vllm:prefix_cache_hits_total", 0.0)
    return (hits / queries if queries else 0.0), after.get("vllm:prompt_tokens_total", 0.0) - before.get(
        "vllm:prompt_tokens_total", 0.0)
