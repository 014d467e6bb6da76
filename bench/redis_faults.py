"""How much a hung Redis (SIGSTOP) adds to a reply: turns timed with Redis answering, then while it hangs (the
first turn pays the reply deadline and opens the breaker; the rest fail fast), and whether every turn was
written once Redis answered again (real redis-server, instant scripted model)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import report
from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import Author, ChatEvent
from bot.services.redis_server import RedisServer
from tests.support.app import fireside_app
from tests.support.scripted_llm import QUIET_JSON, Reply, ScriptedLLM

TURNS = 20


async def timed(app: Fireside, n: int) -> float:
    sink = BufferSink()
    started = time.perf_counter()
    await app.dispatch(ChatEvent("console", "bench", Author(f"u{n % 4}", f"U{n % 4}"), f"hello {n}"), sink)
    return time.perf_counter() - started


async def bench() -> list[tuple[str, Any, str]]:
    llm = ScriptedLLM(default=Reply(["Sure", ", ", "friend", "!"]), json_default=QUIET_JSON).start()
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp))
        server.start()
        try:
            async with fireside_app(llm.base_url, redis_url=server.url, memory={"facts": False},
                                    redis={"history_max": 200}) as app:
                normal = [await timed(app, n) for n in range(TURNS)]
                server.pause()
                try:
                    hung = [await timed(app, TURNS + n) for n in range(TURNS)]
                finally:
                    server.resume()
                waited = time.perf_counter()
                while app.engine.pending_writes and time.perf_counter() - waited < 30:
                    await app.engine.flush_pending()
                    await asyncio.sleep(0.2)
                lines = await app.memory.history("console", "bench")
        finally:
            server.stop()
            llm.stop()
    users = [line.text for line in lines if line.speaker == "user"]
    lost = sum(1 for n in range(2 * TURNS) if f"hello {n}" not in users)
    duplicated = len(users) - len(set(users))
    base = statistics.median(normal)
    return [
        ("turns", 2 * TURNS, f"turns: {TURNS} with Redis answering, {TURNS} while it hangs (SIGSTOP)"),
        ("reply_s_p50_normal", base, "s"),
        ("added_s_first_hung_turn", hung[0] - base, "s (pays the reply deadline, opens the breaker)"),
        ("added_s_p50_hung", statistics.median(hung) - base, "s (the breaker open: calls fail at once)"),
        ("added_s_max_hung", max(hung) - base, "s (a probe after the breaker's 5 s pays the deadline again)"),
        ("turns_lost", lost, "turns not in the history once Redis answered again"),
        ("duplicates", duplicated, "turns written twice"),
    ]


def main() -> None:
    report("redis_faults", asyncio.run(bench()))


if __name__ == "__main__":
    main()
