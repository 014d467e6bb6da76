"""The one rule for where a sentence ends, shared by message splitting (Discord's 2000 characters), fitting a
Twitch reply, and the out-of-character guard that checks a streamed reply sentence by sentence."""

from __future__ import annotations

import re
from itertools import pairwise

# Closing punctuation (runs like "?!" and "..." included), then any closing quotes, brackets or the "*" of a
# markdown action ("*smiles.*"), then whitespace; or a line break. A sentence ends only once whitespace follows,
# so a streamed "3." waits for the next character to tell "3.5" from an ending.
SENTENCE_END = re.compile(r"[.!?…]+[\"')\]*]*\s+|\n")


def sentence_ends(text: str) -> list[int]:
    """The cut points: just after each sentence's closing punctuation and the whitespace that follows it."""
    return [m.end() for m in SENTENCE_END.finditer(text)]


def split_sentences(text: str) -> list[str]:
    """The sentences of a finished text, stripped; the last one may lack closing punctuation."""
    cuts = [0, *sentence_ends(text), len(text)]
    return [part.strip() for a, b in pairwise(cuts) if (part := text[a:b]).strip()]
