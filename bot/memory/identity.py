"""One person across platforms: a one-time code links a Discord and a Twitch account to one Fireside user id
(and one memory); unlink splits them again. Also export: everything stored about a person, as JSON."""

from __future__ import annotations

import secrets
from typing import Any, Protocol

CODE_TTL = 600  # seconds a link code stays valid
CODE_LENGTH = 6
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are typed by hand


class LinkError(ValueError):
    """A code that is unknown, expired, or from the same platform; the message is safe to show."""


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What the user typed, as a stored code: upper case, letters and digits only."""
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(clean) != CODE_LENGTH:
        raise LinkError(f"A link code has {CODE_LENGTH} letters and digits.")
    return clean


class IdentityStore(Protocol):
    async def create_code(self, platform: str, account_id: str) -> str:
        """A fresh one-time code that links another platform's account to this one (valid CODE_TTL s)."""
        ...

    async def redeem(self, code: str, platform: str, account_id: str) -> str:
        """Point this account at the uid of the account that made the code (merging their memories); returns
        that uid. Raises LinkError for an unknown, expired or same-platform code."""
        ...

    async def unlink(self, platform: str, account_id: str) -> bool:
        """This account gets a fresh, empty uid; the shared memory stays with the other account(s). False when
        it was not linked to anything."""
        ...

    async def export(self, platform: str, account_id: str) -> dict[str, Any]:
        """Everything stored about the person behind this account, as plain data."""
        ...
