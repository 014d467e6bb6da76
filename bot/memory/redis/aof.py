"""After a forget, the words are erased from Redis's append-only file too: a background rewrite (BGREWRITEAOF)
is scheduled, at most one per interval; forgets in between are covered by the next one. A managed Redis that
refuses the command is logged once and counted: there the provider's own retention decides."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisClusterException, RedisError, ResponseError

from bot.metrics import AOF_REWRITES

log = logging.getLogger(__name__)
MIN_GAP = 600.0  # seconds between two rewrites: each one copies the whole dataset
BUSY_POLLS = 600  # seconds, at most, waiting for a rewrite already running


class AofRewrites:
    def __init__(self, client: aioredis.Redis, min_gap: float = MIN_GAP,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._r = client
        self.min_gap = min_gap
        self.clock = clock
        self._last = -min_gap
        self._scheduled: asyncio.Task[None] | None = None
        self._running = False  # past its wait: the rewrite may have forked already
        self._again = False  # a forget came while it ran: its words need the next rewrite
        self.refused = False  # the server said no (managed Redis): not asked again

    def request(self) -> None:
        """Erase what forget removed from the AOF soon: now, or when the gap since the last rewrite ends."""
        if self.refused:
            return
        if self._scheduled is not None and not self._scheduled.done():
            self._again = self._again or self._running  # one still waiting covers this forget too
            return
        self._schedule()

    def _schedule(self) -> None:
        wait = max(0.0, self._last + self.min_gap - self.clock())
        self._running = False
        self._scheduled = asyncio.ensure_future(self._rewrite_after(wait))

    async def _rewrite_after(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._running, self._again = True, False
        self._last = self.clock()
        await self._rewrite_everywhere()  # (it logs its own failures; a cancel at close ends here)
        if self._again and not self.refused:
            self._schedule()

    async def _rewrite_everywhere(self) -> None:
        try:
            nodes = await self._nodes()
            refused = 0
            for node in nodes:
                try:
                    await self._rewrite(node)
                except ResponseError:
                    refused += 1
                    if refused == len(nodes):
                        raise
                except (RedisError, RedisClusterException, OSError) as exc:  # one node away: the others go on
                    AOF_REWRITES.labels("failed").inc()
                    log.warning("could not ask a Redis node to rewrite its append-only file: %s", exc)
        except ResponseError as exc:
            self.refused = True
            AOF_REWRITES.labels("refused").inc()
            log.warning("Redis refused BGREWRITEAOF (%s): forgotten words leave its append-only file only when "
                        "the server rewrites it on its own", exc)
        except (RedisError, RedisClusterException, OSError) as exc:
            AOF_REWRITES.labels("failed").inc()
            log.warning("could not ask Redis to rewrite its append-only file: %s", exc)

    async def _nodes(self) -> list[dict[str, Any]]:
        """Where to ask: the one server, or every node of a cluster, replicas too (each keeps its own file)."""
        if isinstance(self._r, aioredis.RedisCluster):
            await self._r.initialize()
            return [{"target_nodes": node} for node in self._r.get_nodes()]
        return [{}]

    async def _rewrite(self, node: dict[str, Any]) -> None:
        if not await self._aof_on(node):
            return  # nothing on disk to rewrite
        # A rewrite already running forked before this forget: its file may hold the words. Wait it out,
        # then start one of our own.
        for _ in range(BUSY_POLLS):
            if not await self._rewriting(node):
                break
            await asyncio.sleep(1.0)
        # By name: a cluster client can only route BGREWRITEAOF given its node.
        await self._r.execute_command("BGREWRITEAOF", **node)  # type: ignore[no-untyped-call]
        AOF_REWRITES.labels("started").inc()

    async def _rewriting(self, node: dict[str, Any]) -> bool:
        try:
            info = await self._r.info("persistence", **node)
        except ResponseError:
            return False
        return bool(info.get("aof_rewrite_in_progress"))

    async def _aof_on(self, node: dict[str, Any]) -> bool:
        try:
            info = await self._r.info("persistence", **node)
        except ResponseError:
            return True  # INFO refused too (managed): try the rewrite and learn from its answer
        return bool(info.get("aof_enabled"))

    async def aclose(self) -> None:
        if self._scheduled is not None and not self._scheduled.done():
            self._scheduled.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduled
