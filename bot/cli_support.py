"""What every `fireside` command shares: progress lines on stderr, the settings, and writing a file whole."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.settings import Settings, load_settings


def progress(message: str) -> None:
    print(f"fireside: {message}", file=sys.stderr, flush=True)


def settings(**overrides: object) -> Settings:
    return load_settings(**overrides)


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
