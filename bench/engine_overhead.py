"""Engine overhead per turn (real Redis, instant scripted model) against a bare client call to the same
model; turns per second for one process; Redis round trips per turn."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from contextlib import aclosing
from pathlib import Path

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
            # The reply path alone: fact extraction (off the path) is measured by bench.memory.
            # Bare client: the same scripted model, no engine, no Redis.
            client = OpenAIChatClient(llm.base_url, "scripted")
            msgs = [ChatMessage("system", "x"), ChatMessage("user", "u: hi")]
            bare = []
            for _ in range(TURNS):
                t0 = time.perf_counter()
                async with aclosing(client.stream_chat(msgs, Sampling())) as stream:
                    async for _delta in stream:
                        pass
                bare.append(time.perf_counter() - t0)
            await client.aclose()

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

                # Throughput: many channels at once, one process.
                t0 = time.perf_counter()
                await asyncio.gather(*(
                    app.dispatch(ChatEvent("console", f"ch{i % 16}", Author(f"u{i}", f"U{i}"), "hi"), BufferSink())
                    for i in range(TURNS)))
                tput = TURNS / (time.perf_counter() - t0)
        finally:
            redis_server.stop()
            llm.stop()

    bare_ms = statistics.median(bare) * 1000
    engine_ms = statistics.median(engine) * 1000
    report("engine_overhead", [
        ("bare_client_turn_ms_p50", bare_ms, "ms"),
        ("engine_turn_ms_p50", engine_ms, "ms"),
        ("engine_overhead_ms_p50", engine_ms - bare_ms, "ms"),
        ("engine_to_bare_ratio", engine_ms / bare_ms, "x"),
        ("turns_per_second_16_channels", tput, "turns/s"),
        ("redis_round_trips_per_turn", trips / TURNS, "round trips on the reply path (incl. 8 first turns)"),
        ("redis_round_trips_per_known_speaker_turn", (trips - USERS * 3) / known, "round trips (read + write)"),
        ("redis_round_trips_background_per_turn", background / TURNS, "round trips (summary folds)"),
    ])


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    main()
