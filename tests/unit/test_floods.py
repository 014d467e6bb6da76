"""Token buckets refill with time; a channel over its limit hears one "busy" line a minute, then silence."""

from __future__ import annotations

from typing import Any

from bot.adapters.console import BufferSink
from bot.events import Author, ChatEvent
from bot.safety.floods import BUSY, FloodGuard, FloodLimits, TokenBuckets
from tests.support.clock import FakeClock


def test_a_bucket_refills_at_its_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(burst=2, per_minute=6, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [True, True, False]
    clock.now += 9
    assert not buckets.take("a")  # 0.9 of a token
    clock.now += 1
    assert buckets.take("a") and not buckets.take("a")
    assert buckets.take("b")  # every key its own bucket


async def test_a_busy_channel_hears_one_word_then_silence_and_the_model_is_never_asked() -> None:
    clock = FakeClock()
    guard = FloodGuard(FloodLimits(channel_burst=2, channel_per_minute=1, user_burst=100), clock)
    asked: list[str] = []

    async def turn(event: ChatEvent, sink: Any) -> str:
        asked.append(event.text)
        return "reply"

    sinks = [BufferSink() for _ in range(5)]
    for n, sink in enumerate(sinks):
        await guard(turn, ChatEvent("twitch", "100", Author(str(n), f"v{n}"), f"hi {n}"), sink)
    assert asked == ["hi 0", "hi 1"]
    assert [s.text for s in sinks[2:]] == [BUSY, "", ""]
    clock.now += 61
    await guard(turn, ChatEvent("twitch", "100", Author("9", "v9"), "later"), BufferSink())
    assert asked[-1] == "later"



async def test_limits_shared_through_counts_close_a_viewer_everywhere_and_survive_redis_going_away() -> None:
    from bot.memory.inmemory import World
    from bot.memory.inmemory.floods import InMemoryFloodCounts

    world, clock, wall = World(), FakeClock(), FakeClock()
    wall.now = 600.0
    limits = FloodLimits(user_burst=4, user_per_minute=0.01)
    one, two = (FloodGuard(limits, clock, shared=InMemoryFloodCounts(world), wall=wall) for _ in range(2))
    asked: list[str] = []

    async def turn(event: ChatEvent, sink: Any) -> None:
        asked.append(event.text)

    def said(text: str) -> ChatEvent:
        return ChatEvent("discord", "1", Author("7", "Al"), text)

    for guard in (one, two, one, two):
        await guard(turn, said("hi"), BufferSink())
    await one.sync()
    await two.sync()
    await one.sync()  # it let nothing new through, and still learns the total
    await one(turn, said("again"), BufferSink())
    assert asked == ["hi"] * 4
    wall.now += 60  # a new minute: open again
    clock.now += 60
    world.down = True
    await one.sync()  # and Redis away: no error, each process keeps to its own limits
    await one(turn, said("a new minute"), BufferSink())
    assert asked[-1] == "a new minute"
