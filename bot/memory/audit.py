"""The admin audit log: who did what, where and when, for every moderator or admin command. Bounded per
server (or per channel where there is no server); forget redacts a forgotten person from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

AUDIT_KEEP = 500  # entries kept per server or channel
REDACTED = "(forgotten)"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: float
    platform: str
    scope: str  # the server (Discord guild), or the channel where there is none
    channel: str
    actor: str  # "platform:account id"
    actor_name: str
    command: str
    args: str  # the arguments as the admin gave them
    target: str | None = None  # "platform:account id" the command acted on (forget USER)
    outcome: str = "ok"  # ok, refused, failed


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...

    async def latest(self, platform: str, scope: str, limit: int = 10) -> list[AuditEntry]:
        """The newest entries first."""
        ...

    async def redact(self, accounts: Iterable[str], names: Iterable[str]) -> int:
        """Replace these accounts and display names wherever they appear; returns the entries changed."""
        ...
