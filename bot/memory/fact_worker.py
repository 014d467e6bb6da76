"""Runs fact extraction off the reply path: user messages queue up per user after their turns are stored,
and are extracted in small batches, so the reply never waits for it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.memory.base import MemoryUnavailable
from bot.memory.extraction import Extractor, Outcome
from bot.memory.facts import FactStore
from inference.errors import InferenceError

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    first: float
    messages: list[str] = field(default_factory=list)
    now: bool = False  # the rules read a fact in one of them: no model call to batch for, so no waiting


class FactWorker:
    def __init__(self, store: FactStore, extractor: Extractor, batch: int = 3, max_wait: float = 15.0,
                 max_users: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.extractor = extractor
        self.batch = batch
        self.max_wait = max_wait
        self.max_users = max_users
        self.clock = clock
        self._pending: dict[str, _Pending] = {}
        self.processed = 0
        self.last: Outcome | None = None
        self._busy = asyncio.Lock()  # drain() waits for an extraction already in flight

    def submit(self, uid: str, text: str) -> None:
        """Called after a turn is stored: cheap, synchronous, never blocks the reply."""
        if uid not in self._pending and len(self._pending) >= self.max_users:
            return  # far behind: drop rather than grow without bound
        entry = self._pending.setdefault(uid, _Pending(self.clock()))
        entry.messages.append(text)
        # "My cat is called Pickle" is in `memory` a second later, not when the batch fills.
        entry.now = entry.now or self.extractor.reads_at_once(text)

    def discard(self, uid: str) -> None:
        """Forget or opt-out: nothing queued for this user may be stored later."""
        self._pending.pop(uid, None)

    def ready(self) -> list[str]:
        now = self.clock()
        return [uid for uid, p in self._pending.items()
                if p.now or len(p.messages) >= self.batch or now - p.first >= self.max_wait]

    async def process(self, uid: str) -> None:
        async with self._busy:
            await self._process(uid)

    async def _process(self, uid: str) -> None:
        entry = self._pending.pop(uid, None)
        if entry is None:
            return
        try:
            facts, vectors = await self.store.facts(uid)
            outcome = await self.extractor.extract(entry.messages, facts, vectors)
            await self.store.apply(uid, outcome.changes, outcome.likes)
            self.processed += len(entry.messages)
            self.last = outcome
            if outcome.rejected:
                log.info("rejected %d candidate facts: %s", len(outcome.rejected), [r for _, r in outcome.rejected])
        except (MemoryUnavailable, InferenceError) as exc:
            log.warning("fact extraction for %s deferred: %s", uid, exc)
            again = self._pending.setdefault(uid, _Pending(self.clock()))
            again.messages[:0] = entry.messages[-20:]

    async def drain(self) -> None:
        async with self._busy:
            for uid in list(self._pending):
                await self._process(uid)

    async def run(self, stop: asyncio.Event, tick: float = 1.0) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=tick)
            for uid in self.ready():
                await self.process(uid)
