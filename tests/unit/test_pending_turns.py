"""The retry buffer for turn writes: one flush at a time, a journal that outlives the process, drops counted,
and forget purging waiting turns from memory and from the journal."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from bot.memory.base import MemoryUnavailable, TurnRecord
from bot.memory.pending_turns import PendingTurns


def rec(text: str, account: str = "ann") -> TurnRecord:
    return TurnRecord(platform="twitch", channel="100", account_id=account, uid=None, display_name=account,
                      user_text=text, bot_name="Pip", reply="ok", at=1.0)


class Store:
    def __init__(self) -> None:
        self.written: list[str] = []
        self.down = False
        self.gate: asyncio.Event | None = None

    async def write(self, record: TurnRecord) -> str:
        if self.down:
            raise MemoryUnavailable("down")
        if self.gate is not None:
            await self.gate.wait()
        self.written.append(record.user_text)
        return "uid"


def writes(outcome: str) -> float:
    return REGISTRY.get_sample_value("fireside_turn_writes_total", {"outcome": outcome}) or 0.0


async def test_two_flushes_at_once_write_each_turn_once_in_order() -> None:
    store = Store()
    store.gate = asyncio.Event()
    pending = PendingTurns(store.write)
    pending.add(rec("one"))
    pending.add(rec("two"))
    flushes = asyncio.gather(pending.flush(), pending.flush())
    await asyncio.sleep(0.01)
    store.gate.set()
    assert sorted(await flushes) == [0, 2]
    assert store.written == ["one", "two"] and len(pending) == 0


async def test_the_journal_outlives_the_process_and_is_emptied_once_written(tmp_path: Path) -> None:
    journal = tmp_path / "journal" / "pending.jsonl"
    store = Store()
    store.down = True
    first = PendingTurns(store.write, journal)
    first.add(rec("kept across a crash"))
    first.add(rec("and this"))
    await first.flush()
    assert journal.stat().st_mode & 0o777 == 0o600  # users' words: the owner's alone
    del first  # the process dies without flushing
    store.down = False
    again = PendingTurns(store.write, journal)
    assert len(again) == 2
    assert await again.flush() == 2 and store.written == ["kept across a crash", "and this"]
    assert not journal.exists()
    assert len(PendingTurns(store.write, journal)) == 0  # nothing to replay twice


async def test_a_damaged_journal_line_is_skipped_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal = tmp_path / "pending.jsonl"
    store = Store()
    store.down = True
    PendingTurns(store.write, journal).add(rec("whole"))
    with journal.open("a") as fh:
        fh.write('{"platform": "twitch", "chan')  # cut by a crash mid-write
    with caplog.at_level(logging.WARNING):
        replayed = PendingTurns(store.write, journal)
    assert len(replayed) == 1 and "skipped line 2" in caplog.text


async def test_a_full_buffer_drops_the_oldest_and_counts_it(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    store = Store()
    store.down = True
    before = writes("dropped")
    pending = PendingTurns(store.write, tmp_path / "p.jsonl", limit=2)
    with caplog.at_level(logging.ERROR):
        for text in ("a", "b", "c"):
            pending.add(rec(text))
    assert writes("dropped") - before == 1 and "dropped the oldest" in caplog.text
    assert [r.user_text for r in PendingTurns(store.write, tmp_path / "p.jsonl")._queue] == ["b", "c"]


async def test_forget_purges_waiting_turns_and_their_journal_lines(tmp_path: Path) -> None:
    journal = tmp_path / "p.jsonl"
    store = Store()
    store.down = True
    pending = PendingTurns(store.write, journal)
    pending.add(rec("my address is 12 Elm St", account="ann"))
    pending.add(rec("hello", account="bob"))
    pending.purge_account("twitch:ann")
    assert "Elm" not in journal.read_text()
    store.down = False
    await pending.flush()
    assert store.written == ["hello"]


async def test_the_timer_writes_waiting_turns_when_nobody_speaks() -> None:
    store = Store()
    store.down = True
    pending = PendingTurns(store.write)
    pending.add(rec("waiting"))
    stop = asyncio.Event()
    timer = asyncio.ensure_future(pending.run(stop, every=0.01))
    store.down = False
    for _ in range(200):
        if store.written:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await timer
    assert store.written == ["waiting"]
