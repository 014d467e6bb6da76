"""What goes in and out of the model, screened for abuse: the operator's and the channel's blocked words (matched
through leetspeak and stretched letters, with better-profanity's rules: word_lists.py), its stock list of slurs
and swearing (normal and strict; fiction words such as "kill" allowed), and a classifier whose weights ship
inside its wheel (alt-profanity-check: a linear model over character n-grams, scored in abuse_classifier.py).
Strictness is set per server or channel. The classifier loads in a thread at start; until then, and where it
can't load, the word lists alone decide."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from better_profanity import Profanity

from bot.events import ChatEvent, ReplySink
from bot.memory.base import ChannelSettings
from bot.metrics import CONTENT_BLOCKED
from bot.safety import abuse_classifier
from bot.safety.moderation import FICTION_WORDS
from bot.safety.word_lists import FastWordList
from bot.text.sentences import SENTENCE_END
from bot.text.words import whole_words_end, words_back

log = logging.getLogger(__name__)

Strictness = Literal["off", "lenient", "normal", "strict"]
LEVELS: tuple[Strictness, ...] = ("off", "lenient", "normal", "strict")
# How sure the classifier must be. Measured on our own lines: "I love my mom" scores 0.55, "this game is shit
# lol" 0.999, "kill the dragon in the cave" 0.24; chat swears a lot without abuse, so only "strict" goes low.
THRESHOLDS: dict[Strictness, float] = {"off": 2.0, "lenient": 0.98, "normal": 0.93, "strict": 0.75}
DEFLECTION = "Let's keep it friendly in here."
# In the stock list, but everyday chat: kisses at the end of a line.
CHAT_WORDS = ("xx", "xxx", "xxxx")
_REPEATS = re.compile(r"(\w)\1{2,}")
# Words read again before each new piece: a listed phrase, or a word spelled out ("f u c k"), may span the
# edge of what was read (the word lists join up to five words).
PHRASE_WORDS = 5


class ContentFilter:
    def __init__(self, blocked_words: Sequence[str] = (), default: Strictness = "normal",
                 classifier: bool = True) -> None:
        self.default = default
        self.words = _word_filter(blocked_words) if blocked_words else None
        stock = Profanity()
        stock.load_censor_words(whitelist_words=[*FICTION_WORDS, *CHAT_WORDS])
        self.stock = FastWordList(stock)
        self.want_classifier = classifier
        self._predict: Callable[[list[str]], Any] | None = None
        self._channel_words: dict[tuple[str, ...], FastWordList] = {}

    async def start(self) -> None:
        """Load the classifier off the event loop (about a second)."""
        if self.want_classifier and self._predict is None:
            self._predict = await asyncio.to_thread(_load_classifier)

    @property
    def classifier_ready(self) -> bool:
        return self._predict is not None

    async def verdict(self, text: str, strictness: str | None = None, channel_words: Sequence[str] = ()) -> str | None:
        """Why `text` may not pass here ("blocked word", "profanity", "abuse"), or None."""
        level = self._level(strictness)
        if level == "off" or not text.strip():
            return None
        plain = _plain(text)  # once, for both the word lists and the classifier
        return self._words(plain, level, channel_words) or self._classify(plain, level)

    def word_verdict(self, text: str, strictness: str | None = None,
                     channel_words: Sequence[str] = ()) -> str | None:
        """The word lists alone: a blocked word, or the stock list's profanity (not when lenient)."""
        level = self._level(strictness)
        if level == "off" or not text.strip():
            return None
        return self._words(_plain(text), level, channel_words)

    def _words(self, plain: str, level: Strictness, channel_words: Sequence[str]) -> str | None:
        if self.words is not None and self.words.contains(plain):
            return "blocked word"
        if channel_words and self._for_channel(channel_words).contains(plain):
            return "blocked word"
        if level != "lenient" and self.stock.contains(_words_only(plain)):
            return "profanity"
        return None

    async def classify(self, text: str, strictness: str | None = None) -> str | None:
        """The classifier alone, on a whole message or sentence: "abuse" when it is sure enough at this level."""
        level = self._level(strictness)
        if level == "off" or not text.strip():
            return None
        return self._classify(_plain(text), level)

    def _classify(self, plain: str, level: Strictness) -> str | None:
        if self._predict is None:
            return None
        score = float(self._predict([plain])[0])  # under a millisecond: no thread hop
        return "abuse" if score >= THRESHOLDS[level] else None

    def _level(self, strictness: str | None) -> Strictness:
        return next((lv for lv in LEVELS if lv == strictness), self.default)

    def _for_channel(self, words: Sequence[str]) -> FastWordList:
        key = tuple(sorted(words))
        if key not in self._channel_words:
            if len(self._channel_words) > 1000:
                self._channel_words.clear()
            self._channel_words[key] = _word_filter(words)
        return self._channel_words[key]


def _plain(text: str) -> str:
    return _REPEATS.sub(r"\1\1", unicodedata.normalize("NFKC", text))


def _words_only(text: str) -> str:
    """The text without tokens that are more digits than letters: the stock list reads digits as letters
    ("b1tch"), and then codes, scores and names ("c117", "t17", found by the soak test) read as slurs."""
    return " ".join(t for t in text.split() if sum(c.isdigit() for c in t) <= sum(c.isalpha() for c in t))


def _word_filter(words: Sequence[str]) -> FastWordList:
    custom = Profanity()
    custom.load_censor_words(custom_words=[w.strip().lower() for w in words if w.strip()])
    return FastWordList(custom)


@functools.lru_cache(maxsize=1)  # one copy per process, however many bot cores it runs (tests run hundreds)
def _load_classifier() -> Callable[[list[str]], Any] | None:
    return abuse_classifier.load()


class ContentGate:
    """Chat middleware: a message that may not pass here costs no model call; the author gets a short
    in-character deflection."""

    def __init__(self, content: ContentFilter,
                 settings_for: Callable[[str, str, str | None], Awaitable[ChannelSettings]]) -> None:
        self.content = content
        self.settings_for = settings_for

    async def __call__(self, handler: Callable[[ChatEvent, ReplySink], Awaitable[Any]], event: ChatEvent,
                       sink: ReplySink) -> Any:
        settings = await self.settings_for(event.platform, event.channel, event.space)
        reason = await self.content.verdict(event.text, settings.strictness, settings.blocked_words)
        if reason is None:
            return await handler(event, sink)
        CONTENT_BLOCKED.labels("in", reason).inc()
        await sink.start("Fireside", settings.cadence)
        await sink.write(DEFLECTION)
        await sink.finish()
        return None


class Screen:
    """One reply's screening as the hold-back releases it, before it is shown: each word through the word lists
    (with the five before it, for phrases and spelled-out words), so a blocked word is never shown; each
    sentence through the classifier once it ends, so a sentence it judges abusive stops the reply there (its
    first words, released before it ended, stay). The first that may not pass stops the reply."""

    def __init__(self, content: ContentFilter | None, settings: ChannelSettings) -> None:
        self.content = content
        self.settings = settings
        self.blocked: str | None = None
        self._text = ""
        self._words_to = 0  # words before this offset passed the word lists
        self._whole = 0  # where the reply's whole words end (after its last whitespace)
        self._sentence_from = 0  # where the sentence not yet classified begins

    async def stops(self, text: str, final: bool = False, ahead: str = "") -> bool:
        """Take in the next piece of the reply (`final`: the last; `ahead`: what is still held after it, read
        too, so a phrase that ends there stops the piece before it shows); True once the reply must stop."""
        if self.content is None or self.blocked is not None:
            return self.blocked is not None
        # Where the whole words end moves only when a piece brings whitespace: read in the piece, not the reply.
        if (piece_end := whole_words_end(text)) > 0:
            self._whole = len(self._text) + piece_end
        self._text += text
        whole = len(self._text) if final else self._whole
        if whole > self._words_to:
            start = words_back(self._text, self._words_to, PHRASE_WORDS)
            read = self._text[start:whole] + ahead[:whole_words_end(ahead)]
            self.blocked = self.content.word_verdict(read, self.settings.strictness, self.settings.blocked_words)
            self._words_to = whole
        ends = [m.end() for m in SENTENCE_END.finditer(self._text, self._sentence_from)]
        if final and self._text[self._sentence_from:].strip():
            ends.append(len(self._text))
        for end in ends:
            if self.blocked is not None:
                break
            sentence, self._sentence_from = self._text[self._sentence_from:end], end
            self.blocked = await self.content.classify(sentence, self.settings.strictness)
        return self.blocked is not None
