"""Long-term memory costs: Redis bytes per active user after 100 turns, fact-extraction throughput, and the
latency memory adds to the reply path (recall on; extraction runs off the path)."""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections import deque
from pathlib import Path

import redis.asyncio as aioredis

from bench.report import report
from bot.adapters.console import BufferSink
from bot.events import Author, ChatEvent
from bot.memory.keys import Keys
from bot.memory.redis.fact_codec import pack_vector, unpack_vector
from bot.services.redis_server import RedisServer
from tests.support.app import fireside_app
from tests.support.recall_set import top3_agreement
from tests.support.scripted_llm import QUIET_JSON, Reply, ScriptedLLM

USERS, TURNS = 10, 100
TOPICS = ["horror films", "rhythm games", "jazz", "speedruns", "cooking", "cats", "chess", "anime", "hiking", "tea"]


async def bench() -> None:
    llm = ScriptedLLM(default=Reply(["Sounds ", "great!"]), json_default=QUIET_JSON).start()
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis")
        server.start()
        try:
            async with fireside_app(llm.base_url, redis_url=server.url, redis={"history_max": 40}) as app:
                worker = app.fact_worker
                if worker is None:
                    raise SystemExit("no embedder: run `fireside model prepare --embedder-only` first")
                # Each extraction call finds one grounded fact about what the user just said.
                timings, extract_time, extracted = [], 0.0, 0
                for turn in range(TURNS):
                    for u in range(USERS):
                        topic = TOPICS[(u + turn) % len(TOPICS)]
                        text = f"I really enjoy {topic} number {turn}"
                        llm.json_by_name.setdefault("facts", deque()).append(json.dumps({"facts": [
                            {"text": f"User really enjoys {topic} number {turn}", "kind": "preference"}]}))
                        event = ChatEvent("console", "bench", Author(f"user{u}", f"User{u}"), text)
                        t0 = time.perf_counter()
                        await app.dispatch(event, BufferSink())
                        timings.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    before = worker.processed
                    await worker.drain()
                    extract_time += time.perf_counter() - t0
                    extracted += worker.processed - before
                client, k = aioredis.Redis.from_url(server.url, decode_responses=True), Keys()
                per_user, fact_counts = [], []
                for u in range(USERS):
                    uid = str(await client.get(k.alias("console", f"user{u}")))
                    keys = [key async for key in client.scan_iter(match=k.user_pattern(uid))]
                    per_user.append(sum([await client.memory_usage(key) or 0 for key in keys]))
                    fact_counts.append(await client.hlen(k.facts(uid)))
                history = await client.memory_usage(k.history("console", "bench")) or 0
                agreement = top3_agreement(worker.extractor.embedder, lambda v: unpack_vector(pack_vector(v)))
                await client.aclose()
        finally:
            server.stop()
            llm.stop()
    report("memory", [
        ("bytes_per_user_after_100_turns", statistics.mean(per_user),
         f"bytes (Redis MEMORY USAGE, {statistics.mean(fact_counts):.0f} facts each)"),
        ("int8_top3_agreement", agreement,
         "of the fixed queries pick the same top-3 facts with stored int8 vectors as with float32"),
        ("channel_history_bytes", history, "bytes for the shared channel history (40 lines max)"),
        ("extraction_messages_per_second", extracted / extract_time,
         "msg/s (instant scripted model; embedder + Redis)"),
        ("turn_ms_p50_with_memory", statistics.median(timings) * 1000, "ms (recall on, instant model)"),
        ("turn_ms_p95_with_memory", sorted(timings)[int(len(timings) * 0.95)] * 1000, "ms"),
    ])


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    main()
