"""Every store in process memory: the twin of the Redis stores that the same contract suite runs, so router,
command and engine tests can run fast. Not for production: nothing survives a restart or a second replica."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.memory.audit import AUDIT_KEEP, REDACTED, AuditEntry
from bot.memory.base import (
    ChannelSettings,
    Forgotten,
    HistoryLine,
    MemoryUnavailable,
    Profile,
    TrimListener,
    TurnContext,
    TurnRecord,
    account_key,
)
from bot.memory.embedder import Vectors
from bot.memory.facts import LOG_KEEP, Change, Fact, Like
from bot.memory.identity import CODE_TTL, LinkError, new_code, normalise_code
from bot.memory.stores import Stores
from bot.memory.tokens import TokenMap
from bot.story.model import Story

Channel = tuple[str, str]


@dataclass
class World:
    """All the data, shared by the stores; `down` makes every call fail as if the server were gone."""

    down: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # "platform:account" -> uid
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_aliases: dict[str, set[str]] = field(default_factory=dict)
    user_channels: dict[str, set[str]] = field(default_factory=dict)
    histories: dict[Channel, list[HistoryLine]] = field(default_factory=dict)
    summaries: dict[Channel, str] = field(default_factory=dict)
    channel_settings: dict[Channel, dict[str, str]] = field(default_factory=dict)
    space_settings: dict[Channel, dict[str, str]] = field(default_factory=dict)
    opt_outs: set[str] = field(default_factory=set)
    facts: dict[str, dict[str, Fact]] = field(default_factory=dict)
    vectors: dict[str, dict[str, Vectors]] = field(default_factory=dict)
    fact_log: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    likes: dict[str, dict[str, Like]] = field(default_factory=dict)
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (account, expiry)
    audit: dict[Channel, list[AuditEntry]] = field(default_factory=dict)
    tokens: dict[str, TokenMap] = field(default_factory=dict)
    stories: dict[Channel, str] = field(default_factory=dict)  # story JSON
    votes: dict[Channel, dict[str, int]] = field(default_factory=dict)
    story_logs: dict[Channel, list[str]] = field(default_factory=dict)

    def check(self) -> None:
        if self.down:
            raise MemoryUnavailable("in-memory store switched off")

    def dump(self) -> str:
        """Everything stored, as text: lets a test check that a forgotten person left no trace."""
        return repr({k: v for k, v in vars(self).items() if k != "down"})


class InMemoryMemoryStore:
    def __init__(self, world: World, history_max: int = 40) -> None:
        self.w = world
        self.history_max = history_max
        self.on_trim: TrimListener | None = None

    async def ping(self) -> None:
        self.w.check()

    async def aclose(self) -> None:
        return None

    def _append(self, channel: Channel, lines: Sequence[HistoryLine]) -> None:
        history = self.w.histories.setdefault(channel, [])
        history.extend(lines)
        if len(history) > self.history_max:
            cut = len(history) - self.history_max // 2
            trimmed, history[:] = history[:cut], history[cut:]
            if self.on_trim is not None:
                self.on_trim(channel[0], channel[1], trimmed)

    async def load_turn(self, platform: str, channel: str, account_id: str, space: str | None = None,
                        overheard: tuple[HistoryLine, ...] = ()) -> TurnContext:
        self.w.check()
        if overheard:
            self._append((platform, channel), overheard)
        uid = self.w.aliases.get(account_key(platform, account_id))
        facts = sorted(self.w.facts.get(uid, {}).values(), key=lambda f: f.created) if uid else []
        return TurnContext(uid=uid, history=tuple(self.w.histories.get((platform, channel), ())),
                           summary=self.w.summaries.get((platform, channel), ""),
                           settings=await self.channel_settings(platform, channel, space), facts=tuple(facts),
                           vectors=dict(self.w.vectors.get(uid, {})) if uid else {})

    async def record_turn(self, record: TurnRecord) -> str:
        self.w.check()
        account = account_key(record.platform, record.account_id)
        uid = record.uid or self.w.aliases.setdefault(account, uuid.uuid4().hex)
        self._append((record.platform, record.channel), [
            HistoryLine("user", record.display_name, record.user_text, uid, account),
            HistoryLine("bot", record.bot_name, record.reply)])
        profile = self.w.profiles.setdefault(uid, {"names": {}, "first_seen": record.at, "turns": 0})
        profile["names"][record.platform] = record.display_name
        profile["last_seen"] = record.at
        profile["turns"] += 1
        self.w.user_aliases.setdefault(uid, set()).add(account)
        self.w.user_channels.setdefault(uid, set()).add(account_key(record.platform, record.channel))
        return uid

    async def observe(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        self.w.check()
        if lines:
            self._append((platform, channel), lines)

    async def resolve_uid(self, platform: str, account_id: str) -> str | None:
        self.w.check()
        return self.w.aliases.get(account_key(platform, account_id))

    async def profile(self, uid: str) -> Profile | None:
        self.w.check()
        p = self.w.profiles.get(uid)
        if p is None:
            return None
        return Profile(uid=uid, names=dict(p["names"]), first_seen=p["first_seen"], last_seen=p["last_seen"],
                       turns=p["turns"])

    async def history(self, platform: str, channel: str) -> tuple[HistoryLine, ...]:
        self.w.check()
        return tuple(self.w.histories.get((platform, channel), ()))

    async def summary(self, platform: str, channel: str) -> str:
        self.w.check()
        return self.w.summaries.get((platform, channel), "")

    async def set_summary(self, platform: str, channel: str, text: str) -> None:
        self.w.check()
        self.w.summaries[(platform, channel)] = text

    async def channel_settings(self, platform: str, channel: str, space: str | None = None) -> ChannelSettings:
        self.w.check()
        inherited = self.w.space_settings.get((platform, space), {}) if space else {}
        return ChannelSettings.from_hash({**inherited, **self.w.channel_settings.get((platform, channel), {})})

    async def set_channel_setting(self, platform: str, channel: str, key: str, value: str | None) -> None:
        self._set(self.w.channel_settings.setdefault((platform, channel), {}), key, value)

    async def set_space_setting(self, platform: str, space: str, key: str, value: str | None) -> None:
        self._set(self.w.space_settings.setdefault((platform, space), {}), key, value)

    def _set(self, values: dict[str, str], key: str, value: str | None) -> None:
        self.w.check()
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value

    async def set_opt_out(self, platform: str, account_id: str, opted_out: bool) -> None:
        self.w.check()
        (self.w.opt_outs.add if opted_out else self.w.opt_outs.discard)(account_key(platform, account_id))

    async def opted_out(self) -> set[str]:
        self.w.check()
        return set(self.w.opt_outs)

    async def forget_account(self, platform: str, account_id: str) -> Forgotten:
        self.w.check()
        w = self.w
        account = account_key(platform, account_id)
        uid = w.aliases.get(account)
        accounts = sorted(w.user_aliases.get(uid, set()) | {account}) if uid else [account]
        names = sorted(w.profiles.get(uid, {}).get("names", {}).values()) if uid else []
        removed = 0
        for channel, history in w.histories.items():
            keep: list[HistoryLine] = []
            skip_reply = False
            for line in history:
                if (uid and line.uid == uid) or line.account in accounts:
                    skip_reply = True
                elif skip_reply and line.speaker == "bot":
                    skip_reply = False
                else:
                    skip_reply = False
                    keep.append(line)
            if len(keep) != len(history):
                removed += len(history) - len(keep)
                history[:] = keep
                w.summaries.pop(channel, None)
        if uid:
            for chan in w.user_channels.get(uid, set()):
                chan_platform, _, chan_id = chan.partition(":")
                w.summaries.pop((chan_platform, chan_id), None)
            for table in (w.profiles, w.user_aliases, w.user_channels, w.facts, w.vectors, w.fact_log, w.likes):
                table.pop(uid, None)
        for alias in accounts:
            w.aliases.pop(alias, None)
        return Forgotten(uid=uid, accounts=tuple(accounts), names=tuple(names), lines=removed)


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

    async def apply(self, uid: str, changes: list[Change], likes: Sequence[Like] = ()) -> None:
        self.w.check()
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
            log.insert(0, {"action": change.action, "id": change.fact.id, "text": change.fact.text,
                           "previous": change.previous, "at": change.fact.updated})
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


class InMemoryStoryStore:
    def __init__(self, world: World) -> None:
        self.w = world

    async def create(self, story: Story) -> bool:
        self.w.check()
        if (story.platform, story.channel) in self.w.stories:
            return False
        self.w.stories[(story.platform, story.channel)] = story.to_json()
        return True

    async def load(self, platform: str, channel: str) -> Story | None:
        self.w.check()
        raw = self.w.stories.get((platform, channel))
        return Story.from_json(raw) if raw else None

    async def save(self, story: Story) -> None:
        self.w.check()
        self.w.stories[(story.platform, story.channel)] = story.to_json()

    async def delete(self, platform: str, channel: str) -> None:
        self.w.check()
        for table in (self.w.stories, self.w.votes, self.w.story_logs):
            table.pop((platform, channel), None)

    async def vote(self, platform: str, channel: str, voter: str, choice: int) -> None:
        self.w.check()
        self.w.votes.setdefault((platform, channel), {})[voter] = choice

    async def tally(self, platform: str, channel: str, choices: int) -> list[int]:
        self.w.check()
        counts = [0] * choices
        for choice in self.w.votes.get((platform, channel), {}).values():
            if 1 <= choice <= choices:
                counts[choice - 1] += 1
        return counts

    async def clear_votes(self, platform: str, channel: str) -> None:
        self.w.check()
        self.w.votes.pop((platform, channel), None)

    async def log(self, platform: str, channel: str, entry: str) -> None:
        self.w.check()
        self.w.story_logs.setdefault((platform, channel), []).append(entry)

    async def transcript(self, platform: str, channel: str) -> list[str]:
        self.w.check()
        return list(self.w.story_logs.get((platform, channel), []))

    async def running(self) -> list[tuple[str, str]]:
        self.w.check()
        return sorted(where for where, raw in self.w.stories.items() if Story.from_json(raw).status != "ended")

    async def forget(self, accounts: Iterable[str]) -> int:
        self.w.check()
        voters, removed = set(accounts), 0
        for votes in self.w.votes.values():
            for voter in voters & set(votes):
                del votes[voter]
                removed += 1
        return removed


def in_memory_stores(history_max: int = 40, world: World | None = None) -> Stores:
    w = world or World()
    return Stores(memory=InMemoryMemoryStore(w, history_max), facts=InMemoryFactStore(w),
                  identity=InMemoryIdentity(w), audit=InMemoryAuditLog(w), tokens=InMemoryTokenStore(w),
                  stories=InMemoryStoryStore(w))
