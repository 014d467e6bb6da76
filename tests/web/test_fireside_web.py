"""`fireside web` from the operator's side: it prints a one-time sign-in link on the terminal (not in a log), the
link signs a browser in once, the admin token file is private, and a port another process holds is a clear
error that names the setting."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.services.redis_server import free_port
from tests.support.scripted_llm import ScriptedLLM


def _env(tmp_path: Path, redis_url: str, scripted: ScriptedLLM, port: int) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")}
    return {**base, "FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_LLM__BASE_URL": scripted.base_url,
            "FIRESIDE_LLM__MODEL": "scripted", "FIRESIDE_DATA_DIR": str(tmp_path / "data"),
            "FIRESIDE_WEB__PORT": str(port), "FIRESIDE_MEMORY__FACTS": "false"}


def test_fireside_web_prints_a_link_that_signs_in_once(tmp_path: Path, redis_url: str, scripted: ScriptedLLM) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "web"], env=_env(tmp_path, redis_url, scripted, port),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stderr is not None
        link = None
        deadline = time.monotonic() + 120
        while link is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, f"fireside web ended: {proc.wait()}"
            found = re.search(r"(http://localhost:\d+/signin\?code=\S+)", line)
            link = found.group(1) if found else None
        assert link is not None
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            first = browser.get(link.replace("localhost", "127.0.0.1"))
            assert first.status_code == 303 and first.headers["location"] == "/channels"
            assert browser.get("/channels").status_code == 200
        with httpx.Client() as other:
            assert other.get(link.replace("localhost", "127.0.0.1")).status_code == 403  # used already
        token = tmp_path / "data" / "web" / "admin-token"
        assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
        assert token.read_text().strip() not in link
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_port_in_use_names_the_setting(tmp_path: Path, redis_url: str, scripted: ScriptedLLM) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "bot.cli", "web"], env=_env(tmp_path, redis_url, scripted, port),
                              capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stderr
    assert "FIRESIDE_WEB__PORT" in done.stderr and "Traceback" not in done.stderr
