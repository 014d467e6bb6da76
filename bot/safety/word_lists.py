"""Word lists matched fast, with better-profanity's own rules: its words, its leetspeak ("@" for "a", "$" for
"s", "*" for a vowel...), its word characters, and its joining of neighbouring words ("f u c k", "hand job").
better-profanity compares each word of a text against every listed word in Python (about 15 ms for one
62-character sentence here); this looks each candidate up by a key that every leetspeak spelling of a word
shares, then compares the few listed words under that key exactly, in better-profanity's own VaryingString."""

from __future__ import annotations

from better_profanity import Profanity
from better_profanity.constants import ALLOWED_CHARACTERS
from better_profanity.varying_string import VaryingString


class FastWordList:
    """contains(text): whether any listed word (or phrase) is in `text`, as Profanity.contains_profanity says."""

    def __init__(self, profanity: Profanity) -> None:
        self._canon = _canonical_map(profanity.CHARS_MAPPING)
        self._by_key: dict[str, list[VaryingString]] = {}
        for listed in profanity.CENSOR_WORDSET:
            self._by_key.setdefault(self._key(str(listed)), []).append(listed)
        self._joins = max(1, profanity.MAX_NUMBER_COMBINATIONS)  # how many following words may join a word

    def contains(self, text: str) -> bool:
        words = _words(text)
        for i, (word, _) in enumerate(words):
            if self._listed(word.lower()):
                return True
            joined = with_separators = word.lower()
            for nxt, separator in words[i + 1:i + 1 + self._joins]:
                joined += nxt.lower()
                with_separators += (separator + nxt).lower()
                if self._listed(joined) or self._listed(with_separators):
                    return True
        return False

    def _listed(self, candidate: str) -> bool:
        found = self._by_key.get(self._key(candidate))
        return found is not None and any(listed == candidate for listed in found)

    def _key(self, text: str) -> str:
        return text.translate(self._canon)


def _canonical_map(mapping: dict[str, tuple[str, ...]]) -> dict[int, str]:
    """Every character that may stand for another (in either direction, through shared substitutes) maps to one
    representative, so all spellings of a word share a key. Lossy on purpose: the exact test comes after."""
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for letter, subs in mapping.items():
        for sub in subs:
            if len(sub) == 1:
                parent[find(sub)] = find(letter)
    return {ord(c): find(c) for c in parent if find(c) != c}


def _words(text: str) -> list[tuple[str, str]]:
    """The text's words as better-profanity splits them, each with the characters that came before it."""
    words: list[tuple[str, str]] = []
    word, gap = "", ""
    for char in text:
        if char in ALLOWED_CHARACTERS:
            word += char
        else:
            if word:
                words.append((word, gap))
                word, gap = "", ""
            gap += char
    if word:
        words.append((word, gap))
    return words
