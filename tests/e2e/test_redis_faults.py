"""Redis failing under a live conversation, on the real redis-server: hung (SIGSTOP) it holds up no reply and
loses no turn; every turn lands once, in order, when it answers again, and a forget afterwards leaves nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client import REGISTRY

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import Author, ChatEvent
from bot.services.redis_server import RedisServer
from tests.support.app import fireside_app
from tests.support.leftovers import leftovers
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
        await app.forgetter.forget("console", "bob")  # his turn went through the journal
    assert history == [("Ann", "before"), ("Pip", "one"), ("Bob", "while it hangs"), ("Pip", "two"),
                       ("Cy", "still hung"), ("Pip", "three"), ("Dee", "after"), ("Pip", "four")]
    assert await leftovers(redis_url, "Bob", "while it hangs") == 0


async def test_shutdown_finishes_replies_in_flight_takes_no_new_turn_and_journals_what_redis_cannot_take(
        redis_server: RedisServer, redis_url: str, scripted: ScriptedLLM, tmp_path: Path) -> None:
    journal = tmp_path / "pending.jsonl"
    scripted.script(Reply(["slow ", "but ", "whole"], delay=0.2))
    async with fireside_app(scripted.base_url, redis_url=redis_url, shutdown_grace=5,
                            redis={"reply_deadline": 0.5, "journal": journal}) as app:
        slow = asyncio.ensure_future(turn(app, "Ann", "tell me"))
        await asyncio.sleep(0.1)
        draining = asyncio.ensure_future(app.router.drain(5))
        await asyncio.sleep(0)
        late_sink, late = await turn(app, "Bob", "me too")  # after SIGTERM: not taken, no model call
        assert late is None and late_sink.text == "" and len(scripted.requests) == 1
        assert await draining == 0
        sink, result = await slow
        assert sink.text == "slow but whole" and getattr(result, "stored", None) is True
        app.router.closing = False  # one more turn, while Redis hangs, left for the shutdown to flush
        redis_server.pause()
        scripted.script(Reply(["kept"]))
        sink, result = await turn(app, "Cy", "remember me")
        assert sink.text == "kept" and getattr(result, "stored", None) is False
        # Leaving the app is the shutdown: bounded with Redis hung; the turn stays in the journal.
    redis_server.resume()
    assert "remember me" in journal.read_text()
