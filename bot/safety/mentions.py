"""Neutralise mass and role mentions in model output. Discord's allowed_mentions is the real guard (nothing
pings); this keeps the text from even looking like a ping, including look-alike characters."""

from __future__ import annotations

import re
import unicodedata

_ZWSP = "\u200b"
# @everyone / @here, also with full-width @ or zero-width characters slipped in between the letters.
_MASS = re.compile(r"[@＠﹫][\u200b-\u200d\u2060\ufeff]*(e[\u200b-\u200d\u2060\ufeff]*v[\u200b-\u200d\u2060\ufeff]*e"
                   r"[\u200b-\u200d\u2060\ufeff]*r[\u200b-\u200d\u2060\ufeff]*y[\u200b-\u200d\u2060\ufeff]*o"
                   r"[\u200b-\u200d\u2060\ufeff]*n[\u200b-\u200d\u2060\ufeff]*e|h[\u200b-\u200d\u2060\ufeff]*e"
                   r"[\u200b-\u200d\u2060\ufeff]*r[\u200b-\u200d\u2060\ufeff]*e)", re.IGNORECASE)
_ROLE = re.compile(r"<@&\d+>")
_USER = re.compile(r"<@!?\d+>")


def neutralise_mentions(text: str, allowed_user_ids: frozenset[str] = frozenset()) -> str:
    text = unicodedata.normalize("NFKC", text) if "＠" in text or "﹫" in text else text
    text = _MASS.sub(lambda m: "@" + _ZWSP + re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", m.group(1)), text)
    text = _ROLE.sub("@role", text)

    def user(m: re.Match[str]) -> str:
        uid = m.group(0).strip("<@!>")
        return m.group(0) if uid in allowed_user_ids else "@user"

    return _USER.sub(user, text)
