"""Turns whose write Redis has not acknowledged: kept in order, journaled to a local file that outlives a crash
or a restart, and written again on a timer and before each new turn. Writes are idempotent by turn id, so a
retry of a write that Redis had in fact taken adds nothing. Forget and opt-out purge them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.memory.base import MemoryUnavailable, TurnRecord, account_key
from bot.metrics import PENDING_TURNS, TURN_WRITES

log = logging.getLogger(__name__)

Write = Callable[[TurnRecord], Awaitable[str]]
FLUSH_EVERY = 5.0  # seconds between retries while turns wait


class PendingTurns:
    def __init__(self, write: Write, journal: Path | None = None, limit: int = 1000) -> None:
        self._write = write
        self.journal = journal
        self.limit = limit
        self._queue: deque[TurnRecord] = deque()
        self._lock = asyncio.Lock()  # one flush at a time: two would write one record twice and pop twice
        if journal is not None:
            self._queue.extend(self._replay(journal))
            if self._queue:
                log.warning("%d turns from before the restart wait to be written (journal %s)", len(self._queue),
                            journal)
        PENDING_TURNS.set(len(self._queue))

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, record: TurnRecord) -> None:
        """Keep a turn whose write failed; journaled before this returns."""
        TURN_WRITES.labels("deferred").inc()
        self._queue.append(record)
        if len(self._queue) > self.limit:
            lost = self._queue.popleft()
            TURN_WRITES.labels("dropped").inc()
            log.error("the retry buffer holds %d turns, its limit: dropped the oldest (%s:%s at %.0f); raise "
                      "FIRESIDE_REDIS__PENDING_LIMIT or bring Redis back", self.limit, lost.platform, lost.channel,
                      lost.at)
            self._rewrite()
        else:
            self._append(record)
        PENDING_TURNS.set(len(self._queue))

    async def flush(self) -> int:
        """Write what waits, oldest first, until Redis fails again. Returns how many were written."""
        written = 0
        async with self._lock:
            while self._queue:
                record = self._queue[0]
                try:
                    await self._write(record)
                except MemoryUnavailable:
                    break
                # A purge may have taken it out meanwhile: remove this record, not whatever is first now.
                with contextlib.suppress(ValueError):
                    self._queue.remove(record)
                written += 1
            if written:
                TURN_WRITES.labels("retried").inc(written)
                self._rewrite()
                PENDING_TURNS.set(len(self._queue))
        return written

    async def run(self, stop: asyncio.Event, every: float = FLUSH_EVERY) -> None:
        """Retry on a timer, so waiting turns are written when Redis returns even if nobody speaks."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if self._queue:
                try:
                    await self.flush()
                except Exception:  # never let the timer die: the next tick tries again
                    log.exception("retrying the pending turn writes failed")

    async def settle(self) -> None:
        """Wait for a flush in flight (forget must not erase before a write it already began has landed)."""
        async with self._lock:
            return

    def purge_account(self, account: str) -> None:
        """Forget or opt-out: this account's waiting turns are never written."""
        self._purge(lambda r: account_key(r.platform, r.account_id) == account)

    def purge_uid(self, uid: str) -> None:
        self._purge(lambda r: r.uid == uid)

    def purge(self, doomed: Callable[[TurnRecord], bool]) -> None:
        """A moderator's action: the matching waiting turns are never written."""
        self._purge(doomed)

    def _purge(self, doomed: Callable[[TurnRecord], bool]) -> None:
        kept = deque(r for r in self._queue if not doomed(r))
        if len(kept) != len(self._queue):
            TURN_WRITES.labels("purged").inc(len(self._queue) - len(kept))
            self._queue = kept
            self._rewrite()  # their words leave the local journal too
            PENDING_TURNS.set(len(self._queue))

    # -- the journal: one JSON line per waiting turn; rewritten whole (aside, then renamed) when turns leave

    def _append(self, record: TurnRecord) -> None:
        if self.journal is None:
            return
        try:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(dataclasses.asdict(record), ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            log.error("could not journal a pending turn to %s (it is kept in memory only): %s", self.journal, exc)

    def _rewrite(self) -> None:
        if self.journal is None:
            return
        try:
            if not self._queue:
                self.journal.unlink(missing_ok=True)
                return
            aside = self.journal.with_suffix(".tmp")
            fd = os.open(aside, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for record in self._queue:
                    fh.write(json.dumps(dataclasses.asdict(record), ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(aside, self.journal)
        except OSError as exc:
            log.error("could not rewrite the pending-turn journal %s: %s", self.journal, exc)

    @staticmethod
    def _replay(journal: Path) -> list[TurnRecord]:
        try:
            lines = journal.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.error("could not read the pending-turn journal %s: %s", journal, exc)
            return []
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(TurnRecord(**json.loads(line)))
            except (ValueError, TypeError) as exc:  # a line cut by a crash mid-write, or damaged
                log.warning("skipped line %d of the pending-turn journal %s: %s", number, journal, exc)
        return records
