"""The LeaseStore contract, against Redis, the three-node cluster and the in-memory twin: a lease has one holder
at a time, only its holder renews or drops it, it runs out on its own, and a pool lists the replicas alive."""

from __future__ import annotations

import asyncio

from bot.memory.stores import Stores

CHANNELS = ["twitch:101", "twitch:102", "twitch:103"]


async def test_a_lease_has_one_holder_and_only_it_renews_or_drops_it(stores: Stores) -> None:
    leases = stores.leases
    assert await leases.acquire(CHANNELS[:2], "A", 30) == set(CHANNELS[:2])
    assert await leases.acquire(CHANNELS, "B", 30) == {CHANNELS[2]}  # A's are left alone
    assert await leases.acquire(CHANNELS[:2], "A", 30) == set(CHANNELS[:2])  # renewed by its holder
    assert await leases.holders(CHANNELS) == {CHANNELS[0]: "A", CHANNELS[1]: "A", CHANNELS[2]: "B"}
    await leases.release(CHANNELS, "B")  # B drops only its own
    assert await leases.holders(CHANNELS) == {CHANNELS[0]: "A", CHANNELS[1]: "A", CHANNELS[2]: None}
    await leases.release([CHANNELS[0]], "A")
    assert await leases.acquire(CHANNELS, "B", 30) == {CHANNELS[0], CHANNELS[2]}


async def test_a_lease_not_renewed_runs_out_and_its_old_holder_cannot_drop_the_new_one(stores: Stores) -> None:
    leases = stores.leases
    assert await leases.acquire([CHANNELS[0]], "A", 0.2) == {CHANNELS[0]}
    await asyncio.sleep(0.35)
    assert await leases.holders([CHANNELS[0]]) == {CHANNELS[0]: None}
    assert await leases.acquire([CHANNELS[0]], "B", 30) == {CHANNELS[0]}
    await leases.release([CHANNELS[0]], "A")  # A comes back from a pause and lets go of what it had
    assert await leases.holders([CHANNELS[0]]) == {CHANNELS[0]: "B"}
    assert await leases.acquire([CHANNELS[0]], "A", 30) == set()


async def test_a_pool_lists_the_replicas_alive(stores: Stores) -> None:
    leases = stores.leases
    assert await leases.heartbeat("twitch", "B", 30) == ["B"]
    assert await leases.heartbeat("twitch", "A", 0.2) == ["A", "B"]
    assert await leases.heartbeat("discord", "C", 30) == ["C"]  # pools are apart
    await asyncio.sleep(0.35)
    assert await leases.heartbeat("twitch", "B", 30) == ["B"]  # A's heartbeat ran out
    await leases.heartbeat("twitch", "A", 30)
    await leases.leave("twitch", "A")
    assert await leases.heartbeat("twitch", "B", 30) == ["B"]
