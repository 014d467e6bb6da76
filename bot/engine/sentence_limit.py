"""A persona's sentence limit on a streamed reply: the text passes until its Nth sentence ends, and the reply
ends there (the engine then closes the stream, which stops generation on the server and saves its tokens)."""

from __future__ import annotations

from bot.text.sentences import SENTENCE_END


class SentenceLimit:
    """feed(text) -> what may pass; `reached` once the last allowed sentence has ended. No limit: all passes."""

    def __init__(self, max_sentences: int | None) -> None:
        self.max = max_sentences
        self.reached = False
        self._count = 0
        self._open = ""  # the text since the last sentence end: an end needs the whitespace after it to show

    def feed(self, text: str) -> str:
        if self.max is None or not text:
            return text
        if self.reached:
            return ""
        seen = len(self._open)
        self._open += text
        start = 0
        for m in SENTENCE_END.finditer(self._open):
            if self._open[start:m.start()].strip():  # a blank line between actions is no sentence
                self._count += 1
                if self._count == self.max:
                    self.reached = True
                    # Up to the closing punctuation (and quotes or brackets), not the whitespace after it.
                    end = m.start() + len(m.group().rstrip())
                    return self._open[seen:end] if end > seen else ""
            start = m.end()
        self._open = self._open[start:]
        return text
