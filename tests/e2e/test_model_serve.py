"""`fireside model serve` against a stand-in vLLM: stages, health, and a clean stop of the whole group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bot.services.redis_server import free_port


def _fake_vllm(tmp_path: Path) -> Path:
    """A python that runs a tiny 'vllm.entrypoints.openai.api_server' with a child process, like vLLM's engine."""
    pkg = tmp_path / "fakevllm" / "vllm" / "entrypoints" / "openai"
    pkg.mkdir(parents=True)
    for d in (pkg.parent.parent, pkg.parent, pkg):
        (d / "__init__.py").write_text("")
    (pkg / "api_server.py").write_text(textwrap.dedent("""
        import http.server, subprocess, sys, time
        port = int(sys.argv[sys.argv.index("--port") + 1])
        print("non-default args: fake", flush=True)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open(sys.argv[sys.argv.index("--model") + 1] + "/child.pid", "w").write(str(child.pid))
        print("Loading weights", flush=True)
        time.sleep(0.5)
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
            def log_message(self, *a): pass
        print("Application startup complete", flush=True)
        http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
    """))
    wrapper = tmp_path / "python-with-fake-vllm"
    wrapper.write_text(f"#!/bin/sh\nPYTHONPATH={tmp_path / 'fakevllm'} exec {sys.executable} \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper


def test_serve_shows_stages_and_sigterm_stops_the_whole_group(tmp_path: Path) -> None:
    python = _fake_vllm(tmp_path)
    model = tmp_path / "model"
    model.mkdir()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")},
           "FIRESIDE_LLM__SERVER_PYTHON": str(python), "FIRESIDE_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "model", "serve", "--model", str(model),
                             "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "ready:" in line:
            break
    text = "".join(lines)
    assert "vLLM: loading weights" in text and f"127.0.0.1:{port}/v1" in text
    child = int((model / "child.pid").read_text())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    time.sleep(0.5)
    assert not _running(child), "vLLM's child process outlived the server"


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's PID 1 may never reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state
