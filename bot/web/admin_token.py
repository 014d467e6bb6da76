"""The local admin's credentials: a long-lived token in a 0600 file (for the console channel and the embedded
default), and one-time sign-in codes printed on the terminal, as Jupyter does, never written to a log."""

from __future__ import annotations

import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

CODE_SECONDS = 600.0  # a printed sign-in link works once, within ten minutes


def read_or_create(path: Path) -> str:
    """The secret in `path`, made (random, 0600, in a 0700 folder) the first time."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, 0o600)  # tightened: others must never read it
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    return value


class AdminAccess:
    def __init__(self, token: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._token = token
        self._codes: dict[str, float] = {}  # one-time code -> when it stops working
        self.clock = clock

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.strip().encode(), self._token.encode())

    def new_code(self) -> str:
        code = secrets.token_urlsafe(24)
        self._codes[code] = self.clock() + CODE_SECONDS
        return code

    def use_code(self, code: str) -> bool:
        """True once for a code this process printed, within its time; never again."""
        until = self._codes.pop(code, None)
        now = self.clock()
        for stale in [c for c, t in self._codes.items() if t <= now]:
            del self._codes[stale]
        return until is not None and until > now
