"""Where words begin and end in streamed text, with any whitespace as the break (a tab or a no-break space
separates words as a space does): shared by the reply's hold-back, the guard and the content screen."""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")
_LAST_BREAK = re.compile(r"\s(?=\S*\Z)")


def whole_words_end(text: str) -> int:
    """Where the text's whole words end: after its last whitespace (the word after it may still be growing)."""
    last = _LAST_BREAK.search(text)
    return last.end() if last is not None else 0


def word_starts(text: str) -> list[int]:
    return [m.start() for m in _WORD.finditer(text)]


def words_back(text: str, offset: int, count: int) -> int:
    """Where the `count` words before `offset` begin (for phrases that span the edge of what was read). It
    reads back from `offset` in growing steps, not the whole text: a streamed reply asks on every piece."""
    span = 64
    while True:
        low = max(0, offset - span)
        starts = word_starts(text[low:offset])
        # One start more than asked for: the first in the window may be the cut-off tail of a longer word.
        if len(starts) > count or low == 0:
            return low + starts[-count] if len(starts) >= count else 0
        span *= 4
