"""Count Redis round trips: every write of packed commands to a socket is one (a pipeline is one write).
Counted per asyncio task, so a turn's own round trips can be told from background work (summaries)."""

from __future__ import annotations

import asyncio
from collections import Counter

from redis.asyncio.connection import Connection


class RoundTrips:
    def __init__(self) -> None:
        self.count = 0
        self.by_task: Counter[asyncio.Task[object] | None] = Counter()
        self._orig = Connection.send_packed_command

    def __enter__(self) -> RoundTrips:
        counter = self
        orig = self._orig

        async def counting(conn: Connection, command: object, check_health: bool = True) -> None:
            counter.count += 1
            counter.by_task[asyncio.current_task()] += 1
            await orig(conn, command, check_health)  # type: ignore[arg-type]

        Connection.send_packed_command = counting  # type: ignore[assignment,method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Connection.send_packed_command = self._orig  # type: ignore[method-assign]

    def in_task(self, task: asyncio.Task[object] | None) -> int:
        return self.by_task[task]
