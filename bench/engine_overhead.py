"""Engine overhead per turn (real Redis, instant scripted model) against two anchors measured in the same run: a
bare streamed client call with each turn's own messages, and a bare Redis pipeline with a turn's commands;
turns per second for one process; Redis round trips per turn."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from contextlib import aclosing
from pathlib import Path

import redis.asyncio as aioredis

from bench.report import report
from bot.adapters.console import BufferSink
from bot.events import Author, ChatEvent
from bot.services.redis_server import RedisServer
from inference.client import OpenAIChatClient
from inference.types import ChatMessage, Sampling
from tests.support.app import fireside_app
from tests.support.roundtrips import RoundTrips
from tests.support.scripted_llm import QUIET_JSON, Reply, ScriptedLLM

TURNS = 400
USERS = 8


async def bench() -> None:
    llm = ScriptedLLM(default=Reply(["Sure", ", ", "friend", "!"]), json_default=QUIET_JSON).start()
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = RedisServer(Path(tmp))
        redis_server.start()
        try:
            async with fireside_app(llm.base_url, redis_url=redis_server.url, redis={"history_max": 40},
                                    memory={"facts": False}) as app:
                engine = []
                with RoundTrips() as rt:
                    for i in range(TURNS):
                        event = ChatEvent("console", "bench", Author(f"user{i % USERS}", f"User{i % USERS}"),
                                          f"message number {i} about games")
                        t0 = time.perf_counter()
                        await app.dispatch(event, BufferSink())
                        engine.append(time.perf_counter() - t0)
                    await app.summariser.drain()
                    # The turns ran in this task; the summariser folds trimmed history in its own.
                    trips, background = rt.in_task(asyncio.current_task()), rt.count - rt.in_task(
                        asyncio.current_task())
                    known = TURNS - USERS  # a new speaker's first turn also claims a uid
                # The anchors replay what the engine's turns sent: their own messages, so that the ratio measures
                # the engine and not the prompt's size.
                sent = [[ChatMessage(m["role"], m["content"]) for m in r.body["messages"]] for r in llm.requests]

                # Throughput: many channels at once, one process.
                t0 = time.perf_counter()
                await asyncio.gather(*(
                    app.dispatch(ChatEvent("console", f"ch{i % 16}", Author(f"u{i}", f"U{i}"), "hi"), BufferSink())
                    for i in range(TURNS)))
                tput = TURNS / (time.perf_counter() - t0)
            bare = await bare_calls(llm.base_url, sent)
            bare_redis = await bare_pipelines(redis_server.url)
        finally:
            redis_server.stop()
            llm.stop()

    bare_ms = statistics.median(bare) * 1000
    engine_ms = statistics.median(engine) * 1000
    redis_ms = statistics.median(bare_redis) * 1000
    report("engine_overhead", [
        ("bare_client_turn_ms_p50", bare_ms, "ms (a bare streamed call with each turn's own messages)"),
        ("bare_redis_turn_ms_p50", redis_ms, "ms (a bare pipelined read and write, a turn's commands)"),
        ("engine_turn_ms_p50", engine_ms, "ms"),
        ("engine_overhead_ms_p50", engine_ms - bare_ms, "ms"),
        ("engine_to_bare_ratio", engine_ms / bare_ms, "x"),
        ("engine_overhead_beyond_both_anchors_ms_p50", engine_ms - bare_ms - redis_ms, "ms (the engine's own work)"),
        ("turns_per_second_16_channels", tput, "turns/s"),
        ("redis_round_trips_per_turn", trips / TURNS, "round trips on the reply path (incl. 8 first turns)"),
        ("redis_round_trips_per_known_speaker_turn", (trips - USERS * 3) / known, "round trips (read + write)"),
        ("redis_round_trips_background_per_turn", background / TURNS, "round trips (summary folds)"),
    ])


async def bare_calls(base_url: str, sent: list[list[ChatMessage]]) -> list[float]:
    """The bare client: the same scripted model and messages, no engine, no Redis."""
    client = OpenAIChatClient(base_url, "scripted")
    times = []
    try:
        for i in range(TURNS):
            t0 = time.perf_counter()
            async with aclosing(client.stream_chat(sent[i % len(sent)], Sampling())) as stream:
                async for _delta in stream:
                    pass
            times.append(time.perf_counter() - t0)
    finally:
        await client.aclose()
    return times


async def bare_pipelines(url: str) -> list[float]:
    """The bare Redis anchor: a turn's reads in one pipeline and its writes in another, by hand, no scripts."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    times = []
    try:
        for i in range(TURNS):
            t0 = time.perf_counter()
            async with client.pipeline(transaction=False) as pipe:
                pipe.get("anchor:alias")
                pipe.lrange("anchor:hist", 0, -1)
                pipe.get("anchor:summary")
                for key in ("anchor:settings", "anchor:facts", "anchor:vectors"):
                    pipe.hgetall(key)
                pipe.hmget("anchor:profile", "day", "day_tokens")
                await pipe.execute()
            async with client.pipeline(transaction=False) as pipe:
                pipe.rpush("anchor:hist", f"user line {i}", "bot line")
                pipe.ltrim("anchor:hist", -40, -1)
                pipe.hset("anchor:profile", mapping={"last_seen": str(i), "day": "20261129"})
                pipe.hincrby("anchor:profile", "turns", 1)
                await pipe.execute()
            times.append(time.perf_counter() - t0)
    finally:
        await client.aclose()
    return times


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    main()
