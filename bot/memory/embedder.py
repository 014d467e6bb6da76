"""The one embedder for memory and recommendations: a static token-embedding table (distilled once from
MiniLM by `fireside model prepare`) and a fast tokenizer. numpy only, no torch; thousands of texts a second."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

Vectors = npt.NDArray[np.float32]


class EmbedderMissing(RuntimeError):
    """The embedding table was never prepared."""


class StaticEmbedder:
    def __init__(self, table: npt.NDArray[np.float16], tokenizer: Tokenizer, max_tokens: int = 256) -> None:
        self.table = table.astype(np.float32)
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        self.dim = int(table.shape[1])
        self._special = {tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")} - {None}

    @functools.cached_property
    def fingerprint(self) -> str:
        """Short digest of the table: vectors cached on disk are only reused with the same embedder."""
        return hashlib.sha256(self.table.tobytes()).hexdigest()[:12]

    @classmethod
    def load(cls, folder: Path) -> StaticEmbedder:
        table_path, tok_path = folder / "embeddings.npy", folder / "tokenizer.json"
        if not table_path.is_file() or not tok_path.is_file():
            raise EmbedderMissing(f"no embedder at {folder}: run `fireside model prepare`")
        json.loads((folder / "config.json").read_text())  # a readable config is part of a finished folder
        return cls(np.load(table_path), Tokenizer.from_file(str(tok_path)))

    def embed(self, texts: list[str]) -> Vectors:
        """Unit vectors, one row per text (a zero row for a text with no known tokens)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch(texts, add_special_tokens=False)):
            ids = [t for t in enc.ids if t not in self._special]
            if ids:
                out[i] = self.table[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        result: Vectors = out / np.where(norms == 0, 1.0, norms)
        return result

    def embed_one(self, text: str) -> Vectors:
        row: Vectors = self.embed([text])[0]
        return row
