"""Moderation of what viewers hand the bot to use in public (a story suggestion): cleaned like any message, then
refused when it carries slurs or profanity, links, or pings. Refusals are short and say what to change."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from better_profanity import Profanity

from bot.errors import UserFacingError
from bot.metrics import MODERATION
from bot.safety.mentions import neutralise_mentions
from bot.safety.sanitize import clean_text
from bot.safety.word_lists import FastWordList

# Stories are full of fights, gods and fools: these words from the profanity list are fair in fiction, and
# words for who people are (gay, lesbian) are never refused.
FICTION_WORDS = ("kill", "killed", "killing", "murder", "murdered", "hell", "damn", "drunk", "god", "gods", "pot",
                 "knob", "pawn", "stupid", "bastard", "gay", "gays", "lesbian", "lesbians", "lesbos", "queer", "naked",
                 "slave", "slaves", "crap", "blood", "bloody")
_LINK = re.compile(r"(https?://|www\.|discord\.gg/|\b[\w-]+\s*\.\s*(com|net|org|gg|io|tv|ly|xyz|me|co|be|app|dev|"
                   r"link|site|info|biz|ru|uk|de|fr|us|to|cc)\b)", re.IGNORECASE)
_REPEATS = re.compile(r"(\w)\1{2,}")
_PING = re.compile(r"<@[!&]?\d+>|[@＠]\s*(everyone|here)\b", re.IGNORECASE)


class Refused(UserFacingError):
    """Moderation said no; the message says why, in a way the viewer can act on."""


@lru_cache(maxsize=1)
def _filter() -> FastWordList:
    words = Profanity()
    words.load_censor_words(whitelist_words=list(FICTION_WORDS))
    return FastWordList(words)


def moderate(text: str, max_chars: int, what: str = "suggestion") -> str:
    """The text, cleaned and fit to use; raises Refused."""
    cleaned = neutralise_mentions(clean_text(text, max_chars)).replace("\n", " ").strip()
    if len(cleaned) < 3:
        verdict, reason = "empty", f"That {what} is empty: say what should happen."
    elif _LINK.search(cleaned):
        verdict, reason = "link", f"No links in a {what}, please."
    elif _PING.search(text):
        verdict, reason = "ping", f"No pings in a {what}, please."
    elif _filter().contains(_REPEATS.sub(r"\1", unicodedata.normalize("NFKC", cleaned))):
        verdict, reason = "profanity", f"That {what} can't be used: keep it free of slurs and swearing."
    else:
        MODERATION.labels(what, "accepted").inc()
        return cleaned
    MODERATION.labels(what, verdict).inc()
    raise Refused(reason)
