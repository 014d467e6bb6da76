"""The one way tests and benches build a running Fireside core: settings from keyword groups, a model server
URL (our scripted one, or a real vLLM), and Redis, or the in-memory twin of every store."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import Fireside, running
from bot.memory.inmemory import World, in_memory_stores
from bot.settings import load_settings


@asynccontextmanager
async def fireside_app(llm_url: str, *, redis_url: str | None = None, world: World | None = None,
                       model: str = "scripted", **groups: Any) -> AsyncIterator[Fireside]:
    """`redis_url` for a real redis-server; without it the stores live in `world` (or a fresh one). Other
    keyword arguments are settings: memory={"facts": False}, chat={"persona": "critic"}, data_dir=..."""
    llm = {"base_url": llm_url, "model": model, **groups.pop("llm", {})}
    redis = {**({"url": redis_url} if redis_url else {}), **groups.pop("redis", {})}
    with tempfile.TemporaryDirectory() as own:
        # Each app its own retry journal: turns one test leaves unwritten must never be replayed into another.
        redis.setdefault("journal", Path(own) / "pending-turns.jsonl")
        settings = load_settings(llm=llm, redis=redis, **groups)
        stores = None if redis_url else in_memory_stores(settings.redis.history_max, world)
        async with running(settings, progress=lambda _m: None, stores=stores) as app:
            yield app
