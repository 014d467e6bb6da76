"""Catalog embeddings cached on disk, keyed by the catalog's content digest and the embedder's fingerprint: a
restart, or a second replica on the same disk, ranks at once instead of embedding every item again."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.memory.embedder import StaticEmbedder
from bot.recommend.catalog import Item
from bot.recommend.ranker import Matrix, item_text

log = logging.getLogger(__name__)
KEEP = 16  # cached catalogs kept; older files are removed


def vectors_for(items: Sequence[Item], digest: str, embedder: StaticEmbedder, folder: Path | None) -> Matrix:
    """The items' unit vectors (same order), from the cache when it holds this content, else embedded and stored."""
    path = folder / f"{digest[:32]}-{embedder.fingerprint}.npy" if folder is not None else None
    if path is not None and path.is_file():
        try:
            cached: Matrix = np.load(path, allow_pickle=False)
            if cached.shape == (len(items), embedder.dim) and cached.dtype == np.float32:
                return cached
            log.warning("catalog vector cache %s has the wrong shape; embedding again", path)
        except (OSError, ValueError) as exc:
            log.warning("catalog vector cache %s is unreadable (%s); embedding again", path, exc)
    vectors = embedder.embed([item_text(i) for i in items]).astype(np.float32)
    if path is not None:
        _store(path, vectors)
    return vectors


def _store(path: Path, vectors: Matrix) -> None:
    """Written aside and renamed in, so a crash or a second replica never leaves half a file under the name."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            np.save(out, vectors, allow_pickle=False)
        os.replace(tmp, path)
        old = sorted(path.parent.glob("*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]
        for stale in old:
            stale.unlink(missing_ok=True)
    except OSError as exc:  # a full or read-only disk costs speed on the next start, nothing else
        log.warning("could not cache catalog vectors at %s: %s", path, exc)
