"""Forget a person everywhere at once: what the memory store holds, queued work about them, and their name in
the admin audit log. Every store added later joins here (the contract suite checks nothing is left)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.accounts import account_key
from bot.memory.audit import AuditLog
from bot.memory.base import Forgotten, MemoryStore
from bot.story.store import StoryStore


class Forgetter:
    def __init__(self, memory: MemoryStore, audit: AuditLog, stories: StoryStore) -> None:
        self.memory = memory
        self.audit = audit
        self.stories = stories
        # Told the uid first, so nothing queued about them (fact extraction) is stored afterwards.
        self.listeners: list[Callable[[str], None]] = []
        # Told the account first, for work keyed by account (a story's voters' memories being written).
        self.account_listeners: list[Callable[[str], None]] = []
        # Awaited after the listeners, before anything is erased: work already writing (a retry flush) ends first.
        self.settle: list[Callable[[], Awaitable[None]]] = []

    async def forget(self, platform: str, account_id: str) -> Forgotten:
        for listener in self.account_listeners:
            listener(account_key(platform, account_id))
        uid = await self.memory.resolve_uid(platform, account_id)
        if uid is not None:
            for listener in self.listeners:
                listener(uid)
        for settle in self.settle:
            await settle()
        gone = await self.memory.forget_account(platform, account_id)
        await self.audit.redact(gone.accounts, gone.names)
        await self.stories.forget(gone.accounts, gone.names)
        return gone
