"""How much of a streaming reply waits before it is shown: three words (the last may still be growing), and
more only while a check could still be completing on the words held (an out-of-character phrase, a
self-introduction, a run of the instructions' own words, a masked link). What the guard catches is never shown,
and nothing shown is taken back: Discord's edits stay visible to logging bots."""

from __future__ import annotations

import re

import regex  # type: ignore[import-untyped]  # partial matching: "could more text still make this a match?"

from bot.engine.ooc_guard import BOILERPLATE, LEAK_WORD, LEAK_WORDS, SELF_NAME, OOCGuard
from bot.safety.links import MASKED_LINK
from bot.text.sentences import SENTENCE_END
from bot.text.words import word_starts

# The checks that need more context hold for themselves (below); the window only has to keep a word whole and
# give a two-word phrase of the word lists its second word before the first shows.
HOLD_WORDS = 3
MAX_HOLD = 160  # characters held at most: a pattern that never completes can't hold a reply back for long
_LETTERS = re.compile(r"(?:(?<!\S)\S(?:\s+|\Z))+\Z")  # a trailing run of one-character words: "f u c"
# Checks whose match may still be completing at the end of the text: held back from where the match began.
_PARTIALS = tuple(regex.compile(p.pattern, regex.IGNORECASE if p.flags & re.IGNORECASE else 0)
                  for p in (BOILERPLATE, SELF_NAME, MASKED_LINK))


class HoldBack:
    """feed(delta) -> the text that may be shown now; flush() at the end. `violation` once the guard stops it."""

    def __init__(self, guard: OOCGuard, words: int = HOLD_WORDS) -> None:
        self.guard = guard
        self.words = words
        self._shown = ""  # the open sentence's text already released
        self._held = ""
        self.released = False  # whether any text has been shown yet
        self.violation: str | None = None

    @property
    def sentence(self) -> str:
        """The open sentence so far, the held words included: what the guard judges."""
        return self._shown + self._held

    @property
    def held(self) -> str:
        """What still waits: the content screen reads it ahead of each release."""
        return self._held

    def feed(self, text: str) -> str:
        if self.violation:
            return ""
        self._held += text
        out: list[str] = []
        while (end := SENTENCE_END.search(self._held)) is not None:
            part, rest = self._held[:end.end()], self._held[end.end():]
            if not self._pass(self._shown + part, final=True):
                return "".join(out)
            out.append(part)
            self._shown, self._held = "", rest
        if self._held and not self._pass(self.sentence, final=False):
            return "".join(out)
        cut = self._cut()
        if cut:
            part, self._held = self._held[:cut], self._held[cut:]
            self._shown += part
            out.append(part)
        released = "".join(out)
        if released.strip():
            self.released = True
        return released

    def flush(self) -> str:
        rest, self._held = self._held, ""
        if self.violation or not rest or not self._pass(self._shown + rest, final=True):
            return ""
        self._shown = ""
        if rest.strip():
            self.released = True
        return rest

    def _pass(self, sentence: str, final: bool) -> bool:
        reason = self.guard.check(sentence, final=final)
        if reason is None:
            return True
        self.violation = reason
        self._held = ""
        return False

    def _cut(self) -> int:
        """Where the held text splits into what shows now and what still waits (0: all waits). Always at the
        start of a word: a word (a URL, a spelled-out phrase's letter) is judged and shown whole or not at all."""
        held, base = self._held, len(self._shown)
        starts = word_starts(held)
        cut = starts[-self.words] if len(starts) > self.words else 0
        sentence = self._shown + held
        for pattern in _PARTIALS:
            for m in pattern.finditer(sentence, partial=True):
                # A match still completing at the end waits from where it began; none is ever split.
                if m.partial or m.end() >= len(sentence.rstrip()) or m.start() - base < cut < m.end() - base:
                    cut = min(cut, max(0, m.start() - base))
        for hold_from in (self._instruction_run(sentence), _spelled_out(sentence)):
            if hold_from is not None:
                cut = min(cut, max(0, hold_from - base))
        if len(held) - cut > MAX_HOLD:  # a run-on: released at a word, whatever may still be completing
            cut = max(cut, next((s for s in starts if len(held) - s <= MAX_HOLD), starts[-1] if starts else 0))
        return cut

    def _instruction_run(self, sentence: str) -> int | None:
        """Where the longest trailing run of words that the instructions also contain begins (the guard needs
        LEAK_WORDS of them in a row to call it a leak): it waits, whatever the window."""
        words = [(m.group(), m.start()) for m in LEAK_WORD.finditer(sentence.lower())]
        for k in range(min(LEAK_WORDS, len(words)), 1, -1):
            for tail in (words[-k:], words[-k - 1:-1]):  # the last word may still be growing
                if len(tail) == k and self.guard.echoes(tuple(w for w, _ in tail)):
                    return tail[0][1]
        return None


def _spelled_out(sentence: str) -> int | None:
    """Where a trailing run of one-letter words begins ("f u c"): the word lists join them, so they wait."""
    run = _LETTERS.search(sentence)
    return run.start() if run is not None and len(run.group().split()) > 1 else None
