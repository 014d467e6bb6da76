"""The interactive console as a person uses it: streamed reply, /as, and Ctrl-C stopping a reply."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import redis

from bot.memory.keys import Keys
from tests.support.scripted_llm import Reply, ScriptedLLM


class Screen:
    """Collects what the process prints, from a reader thread, so the test can wait for text."""

    def __init__(self, stream: IO[str]) -> None:
        self.text = ""
        self._pos = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        while ch := stream.read(1):
            with self._lock:
                self.text += ch

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        """Wait until `needle` appears after what earlier waits consumed; return the text up to it."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = self.text.find(needle, self._pos)
                if found >= 0:
                    chunk = self.text[self._pos : found + len(needle)]
                    self._pos = found + len(needle)
                    return chunk
            if time.monotonic() > deadline:
                raise AssertionError(f"did not see {needle!r}; got {self.text[self._pos:]!r}")
            time.sleep(0.02)


def test_ctrl_c_stops_the_reply_and_stores_nothing(tmp_path: Path, redis_url: str, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["Hi ", "Alice!"]), Reply(["word "] * 400, delay=0.03))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")},
           "FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_LLM__BASE_URL": scripted.base_url,
           "FIRESIDE_LLM__MODEL": "scripted", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "chat", "--user", "Alice"], cwd=tmp_path, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    screen = Screen(proc.stdout)
    try:
        screen.wait_for("Alice> ")
        proc.stdin.write("hello\n")
        proc.stdin.flush()
        assert "Pip: Hi Alice!" in screen.wait_for("Alice> ")

        proc.stdin.write("/as Bob\n")
        proc.stdin.flush()
        screen.wait_for("Bob> ")
        proc.stdin.write("tell me everything\n")
        proc.stdin.flush()
        screen.wait_for("word word ")
        proc.send_signal(signal.SIGINT)
        out = screen.wait_for("Bob> ")
        assert "[reply stopped; nothing was stored for it]" in out
        assert scripted.wait_disconnected()

        proc.stdin.write("/quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    history = client.lrange(Keys().history("console", "local"), 0, -1)
    client.close()
    assert len(history) == 2  # Alice's turn; nothing of Bob's stopped one
