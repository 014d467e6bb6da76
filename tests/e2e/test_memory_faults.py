"""Memory going away, on the in-memory twin (fast): nothing overheard or said is lost, and the reply still
arrives."""

from __future__ import annotations

import pytest

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import Author, ChatEvent
from bot.memory.inmemory import World


@pytest.fixture
def app(memory_app: Fireside) -> Fireside:
    return memory_app


async def test_overheard_chat_waits_while_memory_is_away(app: Fireside, world: World) -> None:
    app.ingestor.add(ChatEvent("twitch", "100", Author("8", "Bob"), "did you see that jump", addressed=False))
    world.down = True
    sink = BufferSink()
    await app.dispatch(ChatEvent("twitch", "100", Author("7", "Sam"), "hi"), sink)
    assert sink.text == "Hello there!" and sink.error is None  # answered without memory
    await app.ingestor.flush()  # still away: the lines stay buffered
    world.down = False
    await app.ingestor.flush()
    await app.engine.flush_pending()
    texts = [h.text for h in await app.memory.history("twitch", "100")]
    assert texts == ["did you see that jump", "hi", "Hello there!"]


async def test_turns_in_two_channels_flushing_the_retry_buffer_at_once(app: Fireside, world: World) -> None:
    # Both turns find the same waiting record and write it while the other does: it must be written once, and
    # neither good reply may turn into an apology (the old flush popped the queue twice: IndexError).
    import asyncio

    world.down = True
    await app.dispatch(ChatEvent("twitch", "100", Author("7", "Sam"), "first"), BufferSink())
    assert app.engine.pending_writes == 1
    world.down = False
    memory = app.engine.memory
    real = memory.record_turn

    async def slow(record: object) -> str:
        await asyncio.sleep(0.05)
        return await real(record)  # type: ignore[arg-type]

    memory.record_turn = slow  # type: ignore[method-assign]
    sinks = [BufferSink(), BufferSink()]
    await asyncio.gather(app.dispatch(ChatEvent("twitch", "100", Author("8", "Ann"), "second"), sinks[0]),
                         app.dispatch(ChatEvent("twitch", "200", Author("9", "Bo"), "third"), sinks[1]))
    assert [s.error for s in sinks] == [None, None] and [s.text for s in sinks] == ["Hello there!"] * 2
    assert [h.text for h in await app.memory.history("twitch", "100")] == ["first", "Hello there!", "second",
                                                                          "Hello there!"]
    assert app.engine.pending_writes == 0


async def test_chat_jsonl_says_whether_each_turn_was_stored(app: Fireside, world: World) -> None:
    import io
    import json

    from bot.adapters.console import ConsoleAdapter

    async def turn(text: str) -> dict[str, object]:
        out = io.StringIO()
        adapter = ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdout=out,
                                 stdin=io.StringIO(json.dumps({"user": "Sam", "text": text}) + "\n"))
        await adapter.run(app.dispatch)
        return dict(json.loads(out.getvalue()))

    world.down = True
    assert (await turn("while Redis is away"))["stored"] is False
    world.down = False
    assert (await turn("and back"))["stored"] is True
    assert "stored" not in await turn("/help")  # a command is no turn
