"""AuditLog and TokenStore in process memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.memory.audit import AUDIT_KEEP, REDACTED, AuditEntry
from bot.memory.inmemory.world import World
from bot.memory.tokens import TokenMap


class InMemoryAuditLog:
    def __init__(self, world: World, keep: int = AUDIT_KEEP) -> None:
        self.w = world
        self.keep = keep

    async def record(self, entry: AuditEntry) -> None:
        self.w.check()
        entries = self.w.audit.setdefault((entry.platform, entry.scope), [])
        entries.insert(0, entry)
        del entries[self.keep:]

    async def latest(self, platform: str, scope: str, limit: int = 10) -> list[AuditEntry]:
        self.w.check()
        return list(self.w.audit.get((platform, scope), [])[:limit])

    async def redact(self, accounts: Iterable[str], names: Iterable[str]) -> int:
        self.w.check()
        accounts, names = set(accounts), set(names)
        changed = 0
        for entries in self.w.audit.values():
            for i, e in enumerate(entries):
                new = e
                if e.actor in accounts or e.actor_name in names:
                    new = replace(new, actor=REDACTED, actor_name=REDACTED)
                if e.target is not None and e.target in accounts:
                    new = replace(new, target=REDACTED, args=REDACTED)
                if new is not e:
                    entries[i] = new
                    changed += 1
        return changed


class InMemoryTokenStore:
    def __init__(self, world: World, platform: str = "twitch") -> None:
        self.w = world
        self.platform = platform

    async def load(self) -> TokenMap:
        self.w.check()
        return {k: dict(v) for k, v in self.w.tokens.get(self.platform, {}).items()}

    async def save(self, tokens: TokenMap) -> None:
        self.w.check()
        if tokens:
            self.w.tokens.setdefault(self.platform, {}).update({k: dict(v) for k, v in tokens.items()})

    async def remove(self, user_id: str) -> None:
        self.w.check()
        self.w.tokens.get(self.platform, {}).pop(user_id, None)
