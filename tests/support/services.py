"""Start the real services the suite needs (redis-server, vLLM), or say clearly why they are missing."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Under CI a missing service fails the run; locally the test is skipped with the reason."""
    if IN_CI:
        pytest.fail(f"required service missing under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def prepared_model_dir() -> Path:
    data = Path(os.environ.get("FIRESIDE_DATA_DIR", Path.home() / ".local" / "share" / "fireside"))
    return data / "models" / "smollm2-135m-instruct"


def vllm_python() -> str:
    return os.environ.get("FIRESIDE_LLM__SERVER_PYTHON") or sys.executable


def prepared_embedder_dir() -> Path:
    data = Path(os.environ.get("FIRESIDE_DATA_DIR", Path.home() / ".local" / "share" / "fireside"))
    return data / "models" / "static-minilm-l6"


def data_dir_with_embedder(data_dir: Path) -> Path:
    """A fresh data folder that shares the prepared embedder (a link: no copy, no second preparation)."""
    models = data_dir / "models"
    models.mkdir(parents=True)
    (models / "static-minilm-l6").symlink_to(prepared_embedder_dir(), target_is_directory=True)
    return data_dir
