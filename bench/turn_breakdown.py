"""Where the time of one turn goes, with the real vLLM serving SmolLM2 and a real Redis: the stages before the
model is asked (middleware, the turn's one Redis read, prompt assembly with its token count), the model's own
time to first token, the hold-back before the first words show, and the write after the reply."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from bench.real_servers import SERVED, real_servers
from bench.report import report
from bench.vllm_latency import LINES, USERS, TimedSink
from bot.events import Author, ChatEvent
from tests.support.app import fireside_app

Stages = dict[str, list[float]]


def _timed(stages: Stages, name: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            stages[name].append(time.perf_counter() - started)

    return wrapper


class _Marks:
    """When the model was asked and when its first token came, for the turn in progress."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.asked = self.first = 0.0

    async def stream_chat(self, messages: Any, sampling: Any) -> AsyncGenerator[str, None]:
        self.asked, self.first = time.perf_counter(), 0.0
        async for delta in self.llm.stream_chat(messages, sampling):
            if not self.first:
                self.first = time.perf_counter()
            yield delta


async def run(base_url: str, redis_url: str, turns: int) -> Stages:
    stages: Stages = defaultdict(list)
    async with fireside_app(base_url, redis_url=redis_url, model=SERVED, redis={"history_max": 40},
                            memory={"facts": False},
                            llm={"max_tokens": 32, "first_token_timeout": 300.0, "total_timeout": 600.0}) as app:
        engine = app.engine
        for owner, method, stage in ((engine.memory, "load_turn", "redis_read"),
                                     (engine.memory, "record_turn", "redis_write"), (engine.budget, "fit", "prompt")):
            setattr(owner, method, _timed(stages, stage, getattr(owner, method)))  # on this instance only
        marks = _Marks(engine.llm)
        engine.llm = marks
        for i in range(turns):
            user = USERS[i % len(USERS)]
            sink = TimedSink()
            began = len(stages["redis_read"])
            await app.dispatch(ChatEvent("console", "breakdown", Author(user, user.title()), LINES[i % len(LINES)]),
                               sink)
            if sink.first is None or not marks.first or len(stages["redis_read"]) == began:
                continue
            shown = sink.t0 + sink.first
            stages["model_ttft"].append(marks.first - marks.asked)
            stages["hold_back"].append(shown - marks.first)
            stages["first_text"].append(sink.first)
            before_model = marks.asked - sink.t0
            stages["before_read"].append(before_model - stages["redis_read"][-1] - stages["prompt"][-1])
    return stages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=24)
    args, _ = parser.parse_known_args()
    with real_servers() as (base, redis_url):
        stages = asyncio.run(run(base, redis_url, args.turns))

    def ms(name: str) -> float:
        return statistics.fmean(stages[name]) * 1000

    report("turn_breakdown", [
        ("turns", len(stages["first_text"]), "turns, 4 users taking turns in one channel (console)"),
        ("router_and_screens_ms", ms("before_read"), "ms: middleware, the content screen of the message, locks"),
        ("redis_read_ms", ms("redis_read"), "ms: the turn's one read"),
        ("prompt_ms", ms("prompt"), "ms: assembly and the token count (vLLM's /tokenize when near the limit)"),
        ("model_ttft_ms", ms("model_ttft"), "ms: asked to first token, as the client sees it"),
        ("hold_back_ms", ms("hold_back"), "ms: first token to first words shown (the guard's window)"),
        ("first_text_ms", ms("first_text"), "ms: the message in to the first words shown (the sum)"),
        ("redis_write_ms", ms("redis_write"), "ms: the turn's one write, after the reply"),
    ])


if __name__ == "__main__":
    main()
