"""FactStore and IdentityStore in process memory: facts, likes, links between accounts, export."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.memory.base import account_key
from bot.memory.embedder import Vectors
from bot.memory.facts import LOG_KEEP, Change, Fact, Like, log_entry
from bot.memory.identity import CODE_TTL, LinkError, new_code, normalise_code
from bot.memory.inmemory.world import World


class InMemoryFactStore:
    def __init__(self, world: World) -> None:
        self.w = world

    async def facts(self, uid: str) -> tuple[list[Fact], Mapping[str, Vectors]]:
        self.w.check()
        return sorted(self.w.facts.get(uid, {}).values(), key=lambda f: f.created), dict(self.w.vectors.get(uid, {}))

    async def likes(self, uid: str) -> list[Like]:
        self.w.check()
        return sorted(self.w.likes.get(uid, {}).values(), key=lambda like: -abs(like.strength))

    async def log(self, uid: str) -> list[dict[str, Any]]:
        self.w.check()
        return list(self.w.fact_log.get(uid, []))

    async def upgrade(self, progress: Callable[[str], None]) -> int:
        return 0  # nothing outlives the process, so nothing is in an older shape

    async def apply(self, uid: str, changes: list[Change], likes: Sequence[Like] = ()) -> None:
        self.w.check()
        if uid in self.w.gone_uids:
            return  # forgotten while this extraction was in flight
        facts, vectors = self.w.facts.setdefault(uid, {}), self.w.vectors.setdefault(uid, {})
        log = self.w.fact_log.setdefault(uid, [])
        for change in changes:
            if change.action == "NONE":
                continue
            if change.action == "DELETE":
                facts.pop(change.fact.id, None)
                vectors.pop(change.fact.id, None)
            else:
                facts[change.fact.id] = change.fact
                if change.vector is not None:
                    vectors[change.fact.id] = change.vector
            log.insert(0, log_entry(change))
        del log[LOG_KEEP:]
        for like in likes:
            self.w.likes.setdefault(uid, {})[like.thing.lower()] = like


class InMemoryIdentity:
    def __init__(self, world: World) -> None:
        self.w = world

    async def create_code(self, platform: str, account_id: str) -> str:
        self.w.check()
        code = new_code()
        self.w.codes[code] = (account_key(platform, account_id), time.time() + CODE_TTL)
        return code

    async def redeem(self, code: str, platform: str, account_id: str) -> str:
        self.w.check()
        source, expires = self.w.codes.pop(normalise_code(code), ("", 0.0))
        if not source or expires < time.time():
            raise LinkError("That code is unknown or has expired (codes last 10 minutes).")
        if source.partition(":")[0] == platform:
            raise LinkError("Use the code on your other platform's account.")
        w, account = self.w, account_key(platform, account_id)
        uid = w.aliases.setdefault(source, uuid.uuid4().hex)
        old = w.aliases.get(account)
        if old == uid:
            return uid
        if old is not None:
            self._merge(old, uid)
        w.aliases[account] = uid
        w.user_aliases.setdefault(uid, set()).update({account, source})
        return uid

    def _merge(self, old: str, new: str) -> None:
        w = self.w
        w.facts.setdefault(new, {}).update(w.facts.pop(old, {}))
        w.vectors.setdefault(new, {}).update(w.vectors.pop(old, {}))
        w.likes.setdefault(new, {}).update(w.likes.pop(old, {}))
        names = w.profiles.pop(old, {}).get("names", {})
        if names:
            w.profiles.setdefault(new, {"names": {}, "first_seen": time.time(), "last_seen": time.time(),
                                        "turns": 0})["names"].update(names)
        for sets in (w.user_aliases, w.user_channels):
            sets.setdefault(new, set()).update(sets.pop(old, set()))
        for alias, uid in list(w.aliases.items()):
            if uid == old:
                w.aliases[alias] = new
        w.fact_log.pop(old, None)

    async def unlink(self, platform: str, account_id: str) -> bool:
        self.w.check()
        account = account_key(platform, account_id)
        uid = self.w.aliases.get(account)
        if uid is None or not self.w.user_aliases.get(uid, set()) - {account}:
            return False
        self.w.user_aliases[uid].discard(account)
        fresh = uuid.uuid4().hex
        self.w.aliases[account] = fresh
        self.w.user_aliases[fresh] = {account}
        return True

    async def export(self, platform: str, account_id: str) -> dict[str, Any]:
        self.w.check()
        w, account = self.w, account_key(platform, account_id)
        uid = w.aliases.get(account)
        if uid is None:
            return {"account": account, "stored": "nothing"}
        accounts = w.user_aliases.get(uid, set()) | {account}
        channels = sorted(w.user_channels.get(uid, set()))
        lines = [{"channel": f"{p}:{c}", "name": ln.name, "text": ln.text}
                 for (p, c), history in sorted(w.histories.items()) if f"{p}:{c}" in channels
                 for ln in history if ln.uid == uid or ln.account in accounts]
        profile = w.profiles.get(uid, {})
        return {"uid": uid, "accounts": sorted(accounts),
                "profile": {**{f"name:{p}": n for p, n in profile.get("names", {}).items()},
                            **{k: str(v) for k, v in profile.items() if k != "names"}},
                "facts": [vars(f) for f in sorted(w.facts.get(uid, {}).values(), key=lambda f: f.created)],
                "likes": [vars(like) for like in w.likes.get(uid, {}).values()],
                "fact_history": list(w.fact_log.get(uid, [])), "channels": channels, "history_lines": lines}
