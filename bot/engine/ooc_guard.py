"""The out-of-character guard: catches assistant boilerplate, leaked system prompt and a wrong name,
on the open sentence as the reply streams (the hold-back keeps what it could still catch from being shown)."""

from __future__ import annotations

import re

from bot.text.words import whole_words_end
from personas.schema import Persona

BOILERPLATE = re.compile(
    r"\b(as an ai\b|an ai (language )?model|a language model|large language model|i am an ai\b|i'm an ai\b|"
    r"ai assistant|virtual assistant|i'?m (just )?an? (helpful )?assistant|i am (just )?an? (helpful )?assistant|"
    r"i (cannot|can't|can not) (assist|help) with (that|this)|my (training|programming) (data|does not|doesn't)|"
    r"openai|chatgpt|smollm|hugging ?face|trained by|designed to (assist|help) (users|you)|"
    r"\bi(?:'m| am)\b[^.!?\n]{0,40}\b(?:ai|a\.i\.|artificial intelligence|chatbot|language model)\b)",
    re.IGNORECASE,
)
# "My name is X" / "call me X" anywhere; "I am X" / "I'm X" only when the name ends the clause ("I'm Sam's
# friend" and "I am Happy to help" are not introductions).
SELF_NAME = re.compile(
    r"\b(?i:my name is|call me)\s+([A-Z][\w-]{1,30})|\b(?i:i am|i'm)\s+([A-Z][\w-]{1,30})(?=\s*[,.!?;:]|\s*$)")
LEAK_WORDS = 8
# Words that follow "I am" without being a name.
_NOT_NAMES = {"Sorry", "Glad", "Happy", "Here", "So", "Not", "Just", "Still", "Always", "Very", "Really", "Going",
              "Sure", "Ready", "Back", "Fine", "Good", "Excited", "The", "A", "An", "Your", "Yours", "Afraid",
              "Curious", "Listening", "Thinking", "Okay", "OK", "Honored", "Thrilled", "Proud", "Certain"}


LEAK_WORD = re.compile(r"[a-z0-9']+")  # a word, as a leak is counted in words (lower case)


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = LEAK_WORD.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


class OOCGuard:
    """check(sentence) -> the reason it is out of character, or None."""

    def __init__(self, persona: Persona, instructions: str) -> None:
        self.names = {persona.name.lower(), *(n.lower() for n in persona.fireside.nicknames)}
        if persona.nickname:
            self.names.add(persona.nickname.lower())
        self.names.update(part.lower() for part in persona.name.split())
        # What a leak would repeat: runs of the instructions' words, not the example dialogue (echoing style is
        # fine). LEAK_WORDS of them in a row is a leak; a reply ending in a shorter run may be on its way to one.
        self._runs = {run for n in range(1, LEAK_WORDS + 1) for run in _shingles(instructions, n)}

    def echoes(self, words: tuple[str, ...]) -> bool:
        """Whether these words (lower case) run in a row in the instructions."""
        return words in self._runs

    def check(self, sentence: str, final: bool = True) -> str | None:
        """Why `sentence` is out of character, or None. Not `final`: more of it may follow, so a name that ends
        the text so far ("I'm Sam" -> "I'm Sam's friend") is not judged yet, nor a word still being written."""
        if not final:
            sentence = sentence[:whole_words_end(sentence)]
        if BOILERPLATE.search(sentence):
            return "assistant_boilerplate"
        if self._runs and _shingles(sentence, LEAK_WORDS) & self._runs:
            return "prompt_leak"
        for match in SELF_NAME.finditer(sentence):
            if not final and not sentence[match.end():].strip():
                continue
            name = match.group(1) or match.group(2)
            if name not in _NOT_NAMES and name.lower() not in self.names:
                return "wrong_name"
        return None
