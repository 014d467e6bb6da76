"""Split a reply to fit a platform's message limit: at paragraphs, then sentences, then words, and never
inside a code block (a block longer than the limit is closed and reopened around the cut)."""

from __future__ import annotations

import re

from bot.text.sentences import sentence_ends

_FENCE = re.compile(r"```")


def _code_ranges(text: str) -> list[tuple[int, int, str]]:
    """(start, end, language) of each fenced block; an unclosed fence runs to the end."""
    ranges = []
    marks = [m.start() for m in _FENCE.finditer(text)]
    for i in range(0, len(marks), 2):
        start = marks[i]
        end = marks[i + 1] + 3 if i + 1 < len(marks) else len(text)
        lang = text[start + 3:text.find("\n", start) if "\n" in text[start:] else start + 3].strip()
        ranges.append((start, end, lang))
    return ranges


def _inside(pos: int, ranges: list[tuple[int, int, str]]) -> tuple[int, int, str] | None:
    for r in ranges:
        if r[0] < pos < r[1]:
            return r
    return None


def _best_cut(text: str, limit: int, ranges: list[tuple[int, int, str]]) -> int:
    window = text[:limit + 1]
    candidates: list[list[int]] = [
        [m.end() for m in re.finditer(r"\n\s*\n", window)],
        sentence_ends(window),
        [m.end() for m in re.finditer(r"\s+", window)],
    ]
    for level in candidates:
        ok = [c for c in level if 0 < c <= limit and _inside(c, ranges) is None]
        if ok:
            return max(ok)
    return 0


def split_message(text: str, limit: int) -> list[str]:
    if limit < 20:
        raise ValueError("limit too small to split sensibly")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        ranges = _code_ranges(rest)
        cut = _best_cut(rest, limit, ranges)
        if cut == 0:
            block = _inside(limit, ranges) or _inside(1, ranges)
            if block is not None and block[0] > 0:
                cut = block[0]  # end the chunk just before the code block
            elif block is not None:
                # One code block longer than the limit: cut at a line inside it, close and reopen the fence.
                reopen = f"```{block[2]}\n"
                room = limit - 4
                nl = rest.rfind("\n", len(reopen), room)
                cut = nl + 1 if nl > 0 else room
                chunks.append(rest[:cut].rstrip("\n") + "\n```")
                rest = reopen + rest[cut:]
                continue
            else:
                cut = limit  # one enormous word: a hard cut is all that is left
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks
