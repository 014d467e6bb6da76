"""Fair slots: round-robin across groups, then lanes; a waiter that gives up leaves the queue and never a slot."""

from __future__ import annotations

import asyncio

import pytest

from inference.fair_slots import FairSlots, inference_lane


async def _take(slots: FairSlots, group: str, lane: str, order: list[str], hold: asyncio.Event) -> None:
    with inference_lane(group, lane):
        await slots.acquire()
    order.append(f"{group}/{lane}")
    await hold.wait()
    slots.release()


async def test_waiters_are_served_round_robin_across_groups_then_lanes() -> None:
    slots, order, hold = FairSlots(1), [], asyncio.Event()
    tasks = [asyncio.ensure_future(_take(slots, "twitch", "a", order, hold))]
    await asyncio.sleep(0)
    for group, lane in [("twitch", "a"), ("twitch", "a"), ("twitch", "b"), ("discord", "x"), ("background", "bg")]:
        tasks.append(asyncio.ensure_future(_take(slots, group, lane, order, hold)))
    await asyncio.sleep(0)
    assert slots.waiting == 5
    hold.set()
    await asyncio.gather(*tasks)
    assert order == ["twitch/a", "twitch/a", "discord/x", "background/bg", "twitch/b", "twitch/a"]
    assert slots.free == 1 and slots.waiting == 0


async def test_a_waiter_that_gives_up_leaves_the_queue_and_the_slot_passes_on() -> None:
    slots = FairSlots(1)
    await slots.acquire()
    with inference_lane("twitch", "a"), pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await slots.acquire()
    assert slots.waiting == 0
    later = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    slots.release()
    await later  # handed the slot straight on
    slots.release()
    assert slots.free == 1


async def test_a_slot_granted_while_its_waiter_is_cancelled_is_not_lost() -> None:
    slots = FairSlots(1)
    await slots.acquire()
    waiter = asyncio.ensure_future(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # granted...
    waiter.cancel()  # ...and cancelled before it ran
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert slots.free == 1
