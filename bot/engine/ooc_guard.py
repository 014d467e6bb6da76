"""The out-of-character guard: catches assistant boilerplate, leaked system prompt and a wrong name,
sentence by sentence as the reply streams, before the sentence is shown."""

from __future__ import annotations

import re

from bot.text.sentences import SENTENCE_END
from personas.schema import Persona

_BOILERPLATE = re.compile(
    r"\b(as an ai\b|an ai (language )?model|a language model|large language model|i am an ai\b|i'm an ai\b|"
    r"ai assistant|virtual assistant|i'?m (just )?an? (helpful )?assistant|i am (just )?an? (helpful )?assistant|"
    r"i (cannot|can't|can not) (assist|help) with (that|this)|my (training|programming) (data|does not|doesn't)|"
    r"openai|chatgpt|smollm|hugging ?face|trained by|designed to (assist|help) (users|you)|"
    r"\bi(?:'m| am)\b[^.!?\n]{0,40}\b(?:ai|a\.i\.|artificial intelligence|chatbot|language model)\b)",
    re.IGNORECASE,
)
# "My name is X" / "call me X" anywhere; "I am X" / "I'm X" only when the name ends the clause ("I'm Sam's
# friend" and "I am Happy to help" are not introductions).
_SELF_NAME = re.compile(
    r"\b(?i:my name is|call me)\s+([A-Z][\w-]{1,30})|\b(?i:i am|i'm)\s+([A-Z][\w-]{1,30})(?=\s*[,.!?;:]|\s*$)")
LEAK_WORDS = 8
MAX_HOLD = 120  # characters held back at most while waiting for a sentence to end
# Words that follow "I am" without being a name.
_NOT_NAMES = {"Sorry", "Glad", "Happy", "Here", "So", "Not", "Just", "Still", "Always", "Very", "Really", "Going",
              "Sure", "Ready", "Back", "Fine", "Good", "Excited", "The", "A", "An", "Your", "Yours", "Afraid",
              "Curious", "Listening", "Thinking", "Okay", "OK", "Honored", "Thrilled", "Proud", "Certain"}


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


class OOCGuard:
    """check(sentence) -> the reason it is out of character, or None."""

    def __init__(self, persona: Persona, instructions: str) -> None:
        self.names = {persona.name.lower(), *(n.lower() for n in persona.fireside.nicknames)}
        if persona.nickname:
            self.names.add(persona.nickname.lower())
        self.names.update(part.lower() for part in persona.name.split())
        # What a leak would repeat: the instructions, not the example dialogue (echoing style is fine).
        self._leak = _shingles(instructions, LEAK_WORDS)

    def check(self, sentence: str) -> str | None:
        if _BOILERPLATE.search(sentence):
            return "assistant_boilerplate"
        if self._leak and _shingles(sentence, LEAK_WORDS) & self._leak:
            return "prompt_leak"
        for match in _SELF_NAME.finditer(sentence):
            name = match.group(1) or match.group(2)
            if name not in _NOT_NAMES and name.lower() not in self.names:
                return "wrong_name"
        return None


class SentenceGate:
    """Holds streamed text until a sentence ends, then releases it if the guard lets it pass."""

    def __init__(self, guard: OOCGuard) -> None:
        self.guard = guard
        self._buffer = ""
        self.released = False  # whether any text has been shown yet
        self.violation: str | None = None

    def feed(self, text: str) -> str:
        if self.violation:
            return ""
        self._buffer += text
        out: list[str] = []
        while True:
            m = SENTENCE_END.search(self._buffer)
            if m is not None:
                cut = m.end()
            elif len(self._buffer) >= MAX_HOLD and (space := self._buffer.rfind(" ")) > 0:
                cut = space + 1  # a run-on sentence: check and show it in pieces rather than hold it all
            else:
                break
            sentence, self._buffer = self._buffer[:cut], self._buffer[cut:]
            if not self._pass(sentence):
                return "".join(out)
            out.append(sentence)
        if _BOILERPLATE.search(self._buffer):
            # No need to wait for the sentence to end: stop generating now.
            self.violation = "assistant_boilerplate"
            self._buffer = ""
        return "".join(out)

    def flush(self) -> str:
        rest, self._buffer = self._buffer, ""
        if self.violation or not rest:
            return ""
        return rest if self._pass(rest) else ""

    def _pass(self, sentence: str) -> bool:
        reason = self.guard.check(sentence)
        if reason is not None:
            self.violation = reason
            self._buffer = ""
            return False
        if sentence.strip():
            self.released = True
        return True
