"""Crashes, with real processes: the bot killed with SIGKILL between turns replays its journal at the next
start, and Redis killed with SIGKILL (AOF on) keeps every write it acknowledged. Each counts turns lost,
acknowledged writes lost, duplicates and what a person forgotten afterwards left behind: all must be 0."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import redis

from bot.adapters.console import BufferSink
from bot.events import Author, ChatEvent
from bot.memory.keys import Keys
from bot.services.redis_server import RedisServer
from tests.e2e.test_console_interactive import Screen
from tests.support.app import fireside_app
from tests.support.leftovers import leftovers
from tests.support.scripted_llm import Reply, ScriptedLLM


def _chat(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], Screen]:
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "chat", "--jsonl"], cwd=cwd, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    return proc, Screen(proc.stdout)


def _say(proc: subprocess.Popen[str], screen: Screen, user: str, text: str) -> dict[str, object]:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps({"user": user, "text": text}) + "\n")
    proc.stdin.flush()
    return dict(json.loads(screen.wait_for("}\n", timeout=60)))


def test_the_bot_killed_between_turns_loses_no_turn(tmp_path: Path, scripted: ScriptedLLM) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")},
           "FIRESIDE_REDIS__URL": server.url, "FIRESIDE_LLM__BASE_URL": scripted.base_url,
           "FIRESIDE_LLM__MODEL": "scripted", "FIRESIDE_MEMORY__FACTS": "false",
           "FIRESIDE_MODERATION__CLASSIFIER": "false", "FIRESIDE_REDIS__REPLY_DEADLINE": "0.5",
           "FIRESIDE_REDIS__JOURNAL": str(tmp_path / "journal.jsonl"), "PYTHONUNBUFFERED": "1"}
    scripted.script(Reply(["one"]), Reply(["two"]), Reply(["three"]))
    proc, screen = _chat(env, tmp_path)
    try:
        assert _say(proc, screen, "Ann", "first")["stored"] is True
        server.pause()  # Redis hangs: the next turn is answered and journaled
        second = _say(proc, screen, "Bob", "second")
        assert second["reply"] == "two" and second["stored"] is False
        proc.kill()  # SIGKILL between turns: no shutdown, no flush
        proc.wait(timeout=10)
    finally:
        server.resume()
        if proc.poll() is None:
            proc.kill()
    proc, screen = _chat(env, tmp_path)  # the next start replays the journal, before its first turn's write
    try:
        assert _say(proc, screen, "Cy", "third")["stored"] is True
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    client = redis.Redis(port=server.port, decode_responses=True)
    users = [json.loads(x)["t"] for x in client.lrange(Keys().history("console", "local"), 0, -1)]
    client.close()
    try:
        left = asyncio.run(_forget_and_count(scripted, server.url, "bob", "Bob", "second"))
    finally:
        server.stop()
    assert users == ["first", "one", "second", "two", "third", "three"]  # 0 lost, 0 duplicated, in order
    assert left == 0  # Bob, whose turn came back from the journal, forgotten: nothing of him stays


async def _forget_and_count(scripted: ScriptedLLM, url: str, account: str, *words: str) -> int:
    async with fireside_app(scripted.base_url, redis_url=url, memory={"facts": False}) as app:
        await app.forgetter.forget("console", account)
    return await leftovers(url, *words)


async def test_redis_killed_keeps_every_write_it_acknowledged(tmp_path: Path, scripted: ScriptedLLM) -> None:
    server = RedisServer(tmp_path / "redis")  # AOF on, appendfsync always, as the embedded one runs
    server.start()
    try:
        acknowledged = []
        async with fireside_app(scripted.base_url, redis_url=server.url, memory={"facts": False},
                                redis={"history_max": 200}) as app:
            for n in range(30):
                result = await app.dispatch(ChatEvent("console", "local", Author(f"u{n % 3}", f"U{n % 3}"),
                                                      f"line {n}"), BufferSink())
                if getattr(result, "stored", False):
                    acknowledged.append(f"line {n}")
            server.kill()  # SIGKILL at once after the last acknowledged write
        server.start()  # same data folder: the AOF is replayed
        client = redis.Redis(port=server.port, decode_responses=True)
        kept = [json.loads(x)["t"] for x in client.lrange(Keys().history("console", "local"), 0, -1)]
        client.close()
        left = await _forget_and_count(scripted, server.url, "u1", "U1", *(f'"line {n}"' for n in range(1, 30, 3)))
    finally:
        server.stop()
    assert len(acknowledged) == 30 and [a for a in acknowledged if a not in kept] == []  # 0 acknowledged lost
    users = [t for t in kept if t.startswith("line ")]
    assert len(users) == len(set(users))  # 0 duplicates
    assert left == 0  # U1 forgotten after the crash: nothing of theirs stays
