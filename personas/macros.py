"""Card macros: {{char}} and {{user}}, with the V1 forms <BOT> and <USER>."""

from __future__ import annotations

import re

_MACRO = re.compile(r"\{\{\s*(char|user)\s*\}\}|<(BOT|USER)>", re.IGNORECASE)


def expand(text: str, *, char: str, user: str) -> str:
    """Replace the card macros in `text`; unknown {{...}} macros are left as they are."""

    def _sub(match: re.Match[str]) -> str:
        key = (match.group(1) or match.group(2)).lower()
        return char if key in ("char", "bot") else user

    return _MACRO.sub(_sub, text)
