"""Fair queueing for the model server's concurrency limit: when every slot is busy, the next free slot goes
round-robin across groups (platforms, and background work), then across lanes (channels) within a group, and
in arrival order within a lane. One busy Twitch chat then waits behind itself, not in front of Discord."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar

BACKGROUND = ("background", "background")  # fact extraction, summaries, anything not started by a chat event
_LANE: ContextVar[tuple[str, str]] = ContextVar("fireside_inference_lane", default=BACKGROUND)

WaitListener = Callable[[str, float], None]  # (group, seconds waited for a slot)


def current_lane() -> tuple[str, str]:
    """(group, lane) of the model calls made here: which channel they serve, for routing and fairness."""
    return _LANE.get()


@contextlib.contextmanager
def inference_lane(group: str, lane: str) -> Iterator[None]:
    """Model calls made inside this block (and in tasks started from it) queue in `lane` of `group`."""
    token = _LANE.set((group, lane))
    try:
        yield
    finally:
        _LANE.reset(token)


class FairSlots:
    """`size` slots. Free slots are taken at once; past that, waiters are served round-robin as above."""

    def __init__(self, size: int, on_wait: WaitListener | None = None) -> None:
        self.free = size
        self.on_wait = on_wait
        # group -> lane -> waiters; each OrderedDict is rotated as it is served, which is the round-robin.
        self._groups: OrderedDict[str, OrderedDict[str, deque[asyncio.Future[None]]]] = OrderedDict()

    @property
    def waiting(self) -> int:
        return sum(len(q) for lanes in self._groups.values() for q in lanes.values())

    async def acquire(self) -> None:
        group, lane = _LANE.get()
        if self.free > 0 and not self._groups:
            self.free -= 1
            self._waited(group, 0.0)
            return
        began = time.monotonic()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._groups.setdefault(group, OrderedDict()).setdefault(lane, deque()).append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as it was cancelled (a queue timeout): pass it on
            else:
                self._remove(group, lane, waiter)
            raise
        self._waited(group, time.monotonic() - began)

    def release(self) -> None:
        while self._groups:
            group, lanes = next(iter(self._groups.items()))
            lane, waiters = next(iter(lanes.items()))
            waiter = waiters.popleft()
            if waiters:
                lanes.move_to_end(lane)
            else:
                del lanes[lane]
            if lanes:
                self._groups.move_to_end(group)
            else:
                del self._groups[group]
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to it: `free` is not touched
                return
        self.free += 1

    def _remove(self, group: str, lane: str, waiter: asyncio.Future[None]) -> None:
        lanes = self._groups.get(group)
        waiters = lanes.get(lane) if lanes is not None else None
        if lanes is None or waiters is None:
            return
        with contextlib.suppress(ValueError):
            waiters.remove(waiter)
        if not waiters:
            del lanes[lane]
        if not lanes:
            del self._groups[group]

    def _waited(self, group: str, seconds: float) -> None:
        if self.on_wait is not None:
            self.on_wait(group, seconds)
