"""Channel leases between replicas, on the in-memory twin of the lease store and one shared clock: the channels
are shared out evenly, each has one replica at every moment, a replica that dies is replaced once its leases
run out, and one that can't reach Redis stops serving before another may take over."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.adapters.channel_leases import ChannelLeases, plan
from bot.memory.inmemory import World
from bot.memory.inmemory.leases import InMemoryLeaseStore
from tests.support.clock import FakeClock as Clock

CHANNELS = ["101", "102", "103", "104", "105"]


class Replica:
    def __init__(self, name: str, world: World, clock: Clock, fail: set[str] | None = None) -> None:
        self.serving: set[str] = set()
        self.fail = fail or set()
        self.leases = ChannelLeases(InMemoryLeaseStore(world, clock=clock), "twitch", name, ttl=15, clock=clock)
        self.leases.channels = list(CHANNELS)
        self.leases.on_gain = self.gain
        self.leases.on_lose = self.lose

    async def gain(self, channel: str) -> None:
        if channel in self.fail:
            raise RuntimeError("Twitch refused the subscription")
        self.serving.add(channel)

    async def lose(self, channel: str) -> None:
        self.serving.discard(channel)


def once_each(*replicas: Replica) -> None:
    """No channel is served twice, and what each replica serves is what it says it owns."""
    for r in replicas:
        assert r.serving == {c for c in CHANNELS if r.leases.owns(c)}
    served = [c for r in replicas for c in r.serving]
    assert len(served) == len(set(served)), served


def test_the_plan_is_even_and_moves_few_channels_when_a_replica_joins() -> None:
    channels = [str(i) for i in range(100, 160)]
    two = plan(channels, ["a", "b"])
    assert sorted(list(two.values()).count(r) for r in "ab") == [30, 30]
    three = plan(channels, ["a", "b", "c"])
    assert sorted(list(three.values()).count(r) for r in "abc") == [20, 20, 20]
    moved = sum(two[c] != three[c] for c in channels)
    assert moved <= 30, moved  # about a third, not all of them
    assert plan(channels, ["b", "a"]) == two  # the order the replicas are listed in changes nothing


async def test_two_replicas_share_the_channels_and_one_takes_over_when_the_other_dies() -> None:
    world, clock = World(), Clock()
    a, b = Replica("a", world, clock), Replica("b", world, clock)
    await a.leases.tick()
    assert a.serving == set(CHANNELS)  # alone: every channel
    await b.leases.tick()
    once_each(a, b)
    assert b.serving == set()  # a holds them all until it hands some over
    for _ in range(2):
        clock.now += 5
        await a.leases.tick()
        once_each(a, b)
        await b.leases.tick()
        once_each(a, b)
    assert a.serving | b.serving == set(CHANNELS)
    assert sorted([len(a.serving), len(b.serving)]) == [2, 3]

    # a dies: nothing renews its leases. b takes them once they run out, not before.
    gone = set(a.serving)
    a.serving.clear()
    clock.now += 5
    await b.leases.tick()
    assert b.serving.isdisjoint(gone)
    for _ in range(4):
        clock.now += 5
        await b.leases.tick()
    assert b.serving == set(CHANNELS)


async def test_a_replica_that_cannot_reach_redis_stops_serving_before_its_leases_run_out() -> None:
    world, clock = World(), Clock()
    a, b = Replica("a", world, clock), Replica("b", world, clock)
    await a.leases.tick()
    world.down = True
    clock.now += 5
    await a.leases.tick()  # renewal failed, but the leases are still good
    assert a.leases.owns("101") and a.serving == set(CHANNELS)
    clock.now += 8
    assert not a.leases.owns("101")  # past 80 % of the lease's life: no longer trusted
    await a.leases.tick()
    assert a.serving == set()
    world.down = False
    clock.now += 3  # the leases ran out
    await b.leases.tick()
    assert b.serving == set(CHANNELS)
    once_each(a, b)


async def test_a_channel_the_platform_refuses_is_left_to_another_replica() -> None:
    world, clock = World(), Clock()
    a = Replica("a", world, clock, fail={"103"})
    await a.leases.tick()
    assert a.serving == set(CHANNELS) - {"103"}
    b = Replica("b", world, clock)
    for _ in range(3):  # free for three ticks: whatever the plan says, b takes it
        clock.now += 5
        await a.leases.tick()
        await b.leases.tick()
    assert "103" in b.serving and "103" not in a.serving
    once_each(a, b)


async def test_a_graceful_stop_frees_the_channels_at_once() -> None:
    world, clock = World(), Clock()
    a, b = Replica("a", world, clock), Replica("b", world, clock)
    await a.leases.tick()
    stop = asyncio.Event()
    stop.set()
    await a.leases.run(stop)  # one last tick, then let go
    assert a.serving == set() and world.leases == {} and world.replicas["twitch"] == {}
    await b.leases.tick()
    assert b.serving == set(CHANNELS)


async def _never_both(a: ChannelLeases, b: ChannelLeases, work: Any) -> set[str]:
    """Runs `work` while watching, every 10 ms, for a channel both replicas say they serve."""
    both: set[str] = set()

    async def watch() -> None:
        while True:
            both.update(c for c in CHANNELS if a.owns(c) and b.owns(c))
            await asyncio.sleep(0.01)

    watching = asyncio.ensure_future(watch())
    await work
    watching.cancel()
    return both


def _slow(leases: ChannelLeases) -> None:
    async def subscribe(_c: str) -> None:
        await asyncio.sleep(0.02)

    async def unsubscribe(_c: str) -> None:
        await asyncio.sleep(0.2)  # three requests to Twitch

    leases.on_gain, leases.on_lose = subscribe, unsubscribe


async def _slow_pair(clock: Clock) -> tuple[InMemoryLeaseStore, ChannelLeases, ChannelLeases]:
    """Two replicas whose unsubscribing takes a while; a has taken every channel."""
    store = InMemoryLeaseStore(World(), clock=clock)
    a, b = (ChannelLeases(store, "twitch", n, ttl=15, clock=clock) for n in "ab")
    a.channels = b.channels = list(CHANNELS)
    _slow(a), _slow(b)
    await a.tick()
    return store, a, b


async def test_a_hand_off_stops_answering_before_the_lease_is_free() -> None:
    store, a, b = await _slow_pair(Clock())
    await store.heartbeat("twitch", "b", 15)  # b is alive

    async def both_tick() -> None:
        handing = asyncio.ensure_future(a.tick())
        await asyncio.sleep(0.05)  # a is still dropping its subscriptions
        await b.tick()
        await handing

    assert await _never_both(a, b, both_tick()) == set()
    assert a.owned | b.owned == set(CHANNELS) and b.owned


async def test_a_late_tick_never_revives_channels_another_replica_took() -> None:
    clock = Clock()
    _store, a, b = await _slow_pair(clock)
    clock.now += 16  # a paused past its leases' life
    await b.tick()
    assert await _never_both(a, b, a.tick()) == set()
    assert b.owned == set(CHANNELS) and a.owned == set()
