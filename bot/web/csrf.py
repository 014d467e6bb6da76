"""Forms carry a token tied to the session (the double-submit of a signed session value): a post from another
site, or with another admin's session, doesn't carry this session's token and is refused."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

FIELD = "csrf"


def token_for(session: dict[str, Any]) -> str:
    token = session.get(FIELD)
    if not isinstance(token, str):
        token = session[FIELD] = secrets.token_urlsafe(24)
    return token


def valid(session: dict[str, Any], given: object) -> bool:
    expected = session.get(FIELD)
    return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(expected, given)
