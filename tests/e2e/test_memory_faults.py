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
