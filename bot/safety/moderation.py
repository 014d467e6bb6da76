"""Moderation of what viewers hand the bot to use in public (a story suggestion): cleaned like any message, then
refused when it carries slurs or profanity, links, or pings. Refusals are short and say what to change."""

from __future__ import annotations

import re
from functools import lru_cache

from better_profanity import Profanity

from bot.errors import UserFacingError
from bot.metrics import MODERATION
from bot.safety.mentions import neutralise_mentions
from bot.safety.sanitize import clean_text

# Stories are full of fights: these words from the profanity list are fair in fiction.
FICTION_WORDS = ("kill", "killed", "killing", "murder", "murdered", "hell", "damn", "drunk")
_LINK = re.compile(r"(https?://|www\.|discord\.gg/|\b[\w-]+\.(com|net|org|gg|io|tv|ly|xyz)\b)", re.IGNORECASE)
_PING = re.compile(r"<@[!&]?\d+>|[@＠]\s*(everyone|here)\b", re.IGNORECASE)


class Refused(UserFacingError):
    """Moderation said no; the message says why, in a way the viewer can act on."""


@lru_cache(maxsize=1)
def _filter() -> Profanity:
    words = Profanity()
    words.load_censor_words(whitelist_words=list(FICTION_WORDS))
    return words


def moderate(text: str, max_chars: int, what: str = "suggestion") -> str:
    """The text, cleaned and fit to use; raises Refused."""
    cleaned = neutralise_mentions(clean_text(text, max_chars)).replace("\n", " ").strip()
    if len(cleaned) < 3:
        verdict, reason = "empty", f"That {what} is empty: say what should happen."
    elif _LINK.search(cleaned):
        verdict, reason = "link", f"No links in a {what}, please."
    elif _PING.search(text):
        verdict, reason = "ping", f"No pings in a {what}, please."
    elif _filter().contains_profanity(cleaned):
        verdict, reason = "profanity", f"That {what} can't be used: keep it free of slurs and swearing."
    else:
        MODERATION.labels(what, "accepted").inc()
        return cleaned
    MODERATION.labels(what, verdict).inc()
    raise Refused(reason)
