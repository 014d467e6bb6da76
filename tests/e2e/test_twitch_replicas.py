"""Two Twitch bot processes share four channels through leases in a real Redis: each channel is served by
exactly one of them, a message there is answered once, and when one process is killed the other takes its
channels over once their leases run out (tests/support/twitch_replica.py is each process)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

CHANNELS = ["101", "102", "103", "104"]
LEASE = 2.0  # seconds: short, so the take-over comes quickly
WAIT = 60.0  # the most any step may take on a slow machine (a failure, not a speed check)
ROOT = Path(__file__).resolve().parents[2]


class Replica:
    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.serving: set[str] = set()
        self.sent: list[tuple[str, str]] = []
        self.closed = False
        self.may_exit = False
        self.changed = asyncio.Event()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            event = json.loads(line)
            kind = event["event"]
            if kind == "subscribed":
                assert event["channel"] not in self.serving, f"{self.name} subscribed twice to {event['channel']}"
                self.serving.add(event["channel"])
            elif kind == "unsubscribed":
                self.serving.discard(event["channel"])
            elif kind == "sent":
                self.sent.append((event["channel"], event["text"]))
            elif kind == "closed":
                self.closed = True
            self.changed.set()

    async def chat(self, channel: str, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"channel": channel, "text": text}) + "\n").encode())
        await self.proc.stdin.drain()


async def until(replicas: list[Replica], condition: Callable[[], bool], what: str) -> None:
    async def wait() -> None:
        while not condition():
            for r in replicas:
                r.changed.clear()
                assert r.proc.returncode is None or r.may_exit, f"{r.name} exited ({r.proc.returncode})"
            await asyncio.wait([asyncio.ensure_future(r.changed.wait()) for r in replicas], timeout=0.5,
                               return_when=asyncio.FIRST_COMPLETED)

    try:
        await asyncio.wait_for(wait(), WAIT)
    except TimeoutError:
        raise AssertionError(f"never: {what} ({[(r.name, sorted(r.serving)) for r in replicas]})") from None


@pytest.fixture
async def start(redis_url: str) -> AsyncIterator[Callable[[str], asyncio.Future[Replica]]]:
    started: list[Replica] = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    async def launch(name: str) -> Replica:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.twitch_replica", redis_url, name, str(LEASE), *CHANNELS,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT)
        replica = Replica(name, proc)
        started.append(replica)
        return replica

    yield lambda name: asyncio.ensure_future(launch(name))
    for r in started:
        if r.proc.returncode is None:
            r.proc.kill()
            await r.proc.wait()
        r.reader.cancel()


def once_each(a: Replica, b: Replica) -> bool:
    return a.serving | b.serving == set(CHANNELS) and not a.serving & b.serving


async def test_two_processes_share_the_channels_and_one_takes_over_when_the_other_is_killed(
        start: Callable[[str], asyncio.Future[Replica]]) -> None:
    a = await start("replica-a")
    await until([a], lambda: a.serving == set(CHANNELS), "the first replica serves every channel")
    b = await start("replica-b")
    both = [a, b]
    await until(both, lambda: once_each(a, b) and len(a.serving) == len(b.serving) == 2,
                "the channels are shared out two and two")

    for channel in CHANNELS:  # each process hears every message (both subscribed once): one answers
        for r in both:
            await r.chat(channel, f"hello @fireside_bot from {channel}")
    await until(both, lambda: len(a.sent) + len(b.sent) >= 4, "an answer in each channel")
    await asyncio.sleep(0.5)  # (a second answer, if one were coming, would arrive now)
    answered = Counter(channel for channel, _ in a.sent + b.sent)
    assert answered == Counter(CHANNELS), answered
    assert {c for c, _ in a.sent} == a.serving and all("replica-a answers" in t for _, t in a.sent)

    a.may_exit = True
    a.proc.kill()  # no goodbye: its leases must run out
    await a.proc.wait()
    await until([b], lambda: b.serving == set(CHANNELS), "the survivor serves every channel")
    b.sent.clear()
    for channel in CHANNELS:
        await b.chat(channel, f"still there @fireside_bot? ({channel})")
    await until([b], lambda: len(b.sent) >= 4, "the survivor answers everywhere")
    assert Counter(c for c, _ in b.sent) == Counter(CHANNELS)


async def test_a_replica_that_stops_gracefully_hands_its_channels_over_at_once(
        start: Callable[[str], asyncio.Future[Replica]]) -> None:
    a = await start("replica-a")
    await until([a], lambda: a.serving == set(CHANNELS), "the first replica serves every channel")
    b = await start("replica-b")
    await until([a, b], lambda: once_each(a, b) and len(b.serving) == 2, "the channels are shared out")
    assert a.proc.stdin is not None
    a.may_exit = True
    a.proc.stdin.close()  # end of input: the process closes the bot and lets go of its leases
    await until([a], lambda: a.closed, "the replica stops")
    await until([b], lambda: b.serving == set(CHANNELS), "the other one serves every channel")
