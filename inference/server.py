"""Start a vLLM server in its own process group, wait until it is healthy, and stop it cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inference.profiles import ServeProfile

Progress = Callable[[str], None]

# Log lines that mark a start-up stage, so a newcomer sees why a CPU start takes a minute.
_STAGES = (
    ("non-default args", "parsing arguments"),
    ("Initializing a V1 LLM engine", "starting the engine process"),
    ("Loading weights", "loading weights"),
    ("Loading model weights took", "weights loaded"),
    ("KV cache", "allocating the KV cache"),
    ("Compiling", "compiling the model graph (slow on CPU)"),
    ("Starting vLLM API server", "starting the HTTP server"),
    ("Application startup complete", "ready"),
)


class ServerStartError(RuntimeError):
    """vLLM did not become healthy; the message carries the tail of its log."""


@dataclass
class ServerConfig:
    model_dir: Path
    served_name: str
    host: str = "127.0.0.1"
    port: int = 8000
    eager: bool = True
    python: str = sys.executable
    log_path: Path | None = None
    extra_args: tuple[str, ...] = ()


def build_command(cfg: ServerConfig, profile: ServeProfile) -> list[str]:
    cmd = [
        cfg.python, "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(cfg.model_dir),
        "--served-model-name", cfg.served_name,
        "--host", cfg.host,
        "--port", str(cfg.port),
        *profile.args,
    ]
    if cfg.eager:
        cmd.append("--enforce-eager")
    cmd.extend(cfg.extra_args)
    return cmd


class VLLMServer:
    """One vLLM process group. Stopping signals the whole group: the engine and worker are children."""

    def __init__(self, cfg: ServerConfig, profile: ServeProfile, cache_dir: Path) -> None:
        self.cfg = cfg
        self.profile = profile
        self.cache_dir = cache_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = cfg.log_path or (cache_dir / f"vllm-{cfg.port}.log")

    @property
    def base_url(self) -> str:
        return f"http://{self.cfg.host}:{self.cfg.port}/v1"

    def start(self) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.profile.env, "VLLM_CACHE_ROOT": str(self.cache_dir / "vllm-cache")}
        log = self.log_path.open("wb")
        try:
            self.proc = subprocess.Popen(
                build_command(self.cfg, self.profile), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )
        finally:
            log.close()

    def wait_healthy(self, timeout: float = 420.0, progress: Progress | None = None) -> None:
        start = time.monotonic()
        seen: set[str] = set()
        health = f"http://{self.cfg.host}:{self.cfg.port}/health"
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise ServerStartError(f"vLLM exited with code {self.proc.returncode}.\n{self.log_tail()}")
            if progress is not None:
                for stage in self._new_stages(seen):
                    progress(f"[{time.monotonic() - start:5.0f}s] vLLM: {stage}")
            if _http_ok(health):
                return
            if time.monotonic() - start > timeout:
                raise ServerStartError(f"vLLM was not healthy after {timeout:.0f}s.\n{self.log_tail()}")
            time.sleep(0.5)

    def stop(self, grace: float = 20.0) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        finally:
            # The engine and worker may outlive the API server: make sure the group is gone.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def _new_stages(self, seen: set[str]) -> list[str]:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        found = []
        for marker, label in _STAGES:
            if marker not in seen and marker in text:
                seen.add(marker)
                found.append(label)
        return found


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False
