"""Votes that arrive together go to Redis together: a Twitch vote burst is hundreds of `!vote` messages handled
side by side, and one round trip each would make Redis latency the ceiling. Each vote waits for its batch, so
a caller still learns whether its vote was stored (or the error, if Redis went away)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# Run a batch: (hash key -> [(voter, stored vote), ...] in arrival order) in one round trip.
Writer = Callable[[dict[str, list[tuple[str, str]]]], Awaitable[None]]
MAX_BATCH = 2000  # votes in one round trip; more wait for the next


class VoteBatch:
    def __init__(self, write: Writer) -> None:
        self.write = write
        self._pending: list[tuple[str, str, str, asyncio.Future[None]]] = []
        self._scheduled = False
        # One batch on the wire at a time, in the order they were made: a viewer who votes 1 then 2 in quick
        # succession ends on 2 even when the two votes fall in different batches.
        self._order = asyncio.Lock()
        self.batches = 0  # round trips made, for the bench and the tests

    async def add(self, key: str, voter: str, choice: str) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((key, voter, choice, done))
        if not self._scheduled:
            # After the votes already on their way in this turn of the loop have joined the batch.
            self._scheduled = True
            loop.call_soon(self._flush_soon)
        await done

    def _flush_soon(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        if self._pending:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_soon)
        task = asyncio.ensure_future(self._run(batch))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _run(self, batch: list[tuple[str, str, str, asyncio.Future[None]]]) -> None:
        by_key: dict[str, list[tuple[str, str]]] = {}
        for key, voter, choice, _ in batch:
            by_key.setdefault(key, []).append((voter, choice))
        self.batches += 1
        try:
            async with self._order:
                await self.write(by_key)
        except BaseException as exc:
            for *_, done in batch:
                if not done.done():
                    done.set_exception(exc if isinstance(exc, Exception) else RuntimeError("vote batch cancelled"))
            return
        for *_, done in batch:
            if not done.done():
                done.set_result(None)
