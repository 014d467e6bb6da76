"""Redis failing under a live conversation, on the real redis-server: hung (SIGSTOP) it holds up no reply and
loses no turn; every turn lands once, in order, when it answers again."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import Author, ChatEvent
from bot.services.redis_server import RedisServer
from tests.support.app import fireside_app
from tests.support.scripted_llm import Reply, ScriptedLLM


async def turn(app: Fireside, who: str, text: str) -> tuple[BufferSink, object]:
    sink = BufferSink()
    result = await app.dispatch(ChatEvent("console", "local", Author(who.lower(), who), text), sink)
    return sink, result


async def written(app: Fireside) -> None:
    for _ in range(100):  # the breaker's few seconds, then the retry buffer's flush
        await app.engine.flush_pending()
        if not app.engine.pending_writes:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{app.engine.pending_writes} turns still wait")


async def test_a_hung_redis_holds_up_no_reply_and_loses_no_turn(redis_server: RedisServer, redis_url: str,
                                                                scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["one"]), Reply(["two"]), Reply(["three"]), Reply(["four"]))
    async with fireside_app(scripted.base_url, redis_url=redis_url, redis={"reply_deadline": 0.5}) as app:
        sink, first = await turn(app, "Ann", "before")
        assert sink.text == "one" and getattr(first, "stored", None) is True
        trips = REGISTRY.get_sample_value("fireside_redis_breaker_trips_total") or 0.0
        redis_server.pause()
        try:
            replies = [await turn(app, "Bob", "while it hangs"), await turn(app, "Cy", "still hung")]
        finally:
            redis_server.resume()
        # The first call past its deadline opened the breaker: later calls failed at once, not after a timeout.
        assert (REGISTRY.get_sample_value("fireside_redis_breaker_trips_total") or 0.0) - trips == 1
        # Answered without memory: the replies came, their writes were journaled.
        assert [(s.text, s.error, getattr(r, "stored", None)) for s, r in replies] == [
            ("two", None, False), ("three", None, False)]
        await written(app)
        sink, _ = await turn(app, "Dee", "after")
        assert sink.text == "four"
        history = [(h.name, h.text) for h in await app.memory.history("console", "local")]
    assert history == [("Ann", "before"), ("Pip", "one"), ("Bob", "while it hangs"), ("Pip", "two"),
                       ("Cy", "still hung"), ("Pip", "three"), ("Dee", "after"), ("Pip", "four")]
