"""Count tokens as the served model does, from its own tokenizer.json (the `tokenizers` library, no torch), for
budgets fixed when a persona loads: lorebook entries. Without the file it counts about 4 characters a token,
and says so, since that is far off for emoji, code or other scripts."""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path

from tokenizers import Tokenizer

log = logging.getLogger(__name__)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


class ServedTokenCounter:
    """Callable text -> tokens. `exact` says whether the served model's tokenizer is behind it."""

    def __init__(self, where: Path | None = None) -> None:
        self._tokenizer: Tokenizer | None = None
        self._count = functools.lru_cache(maxsize=8192)(self._tokens)
        if where is not None:
            self.load(where)

    @property
    def exact(self) -> bool:
        return self._tokenizer is not None

    def load(self, where: Path) -> bool:
        """Use the tokenizer.json at `where` (the file, or the model folder that holds it). False if absent."""
        path = where / "tokenizer.json" if where.is_dir() else where
        if not path.is_file():
            return False
        try:
            self._tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises its own untyped error for a malformed file
            raise ValueError(f"{path}: not a tokenizer.json the tokenizers library can read ({exc})") from exc
        self._count.cache_clear()
        return True

    def __call__(self, text: str) -> int:
        return self._count(text)

    def _tokens(self, text: str) -> int:
        if self._tokenizer is None:
            return estimate_tokens(text)
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
