"""MemoryStore in process memory: turns, history, profiles, settings, opt-outs and forget."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from bot.memory.base import (
    ChannelSettings,
    Forgotten,
    HistoryLine,
    Profile,
    TrimListener,
    TurnContext,
    TurnRecord,
    account_key,
    tokens_today,
    utc_day,
    without_lines,
)
from bot.memory.inmemory.world import Channel, World


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
        # As scripts._PUSH_AND_TRIM: offered to the summariser once as it crosses max, cut past twice max.
        n, keep = len(history), self.history_max // 2
        offered: list[HistoryLine] = []
        if n > 2 * self.history_max:
            offered, history[:] = history[:n - keep], history[n - keep:]
        elif n > self.history_max >= n - len(lines):
            offered = history[:n - keep]
        if offered and self.on_trim is not None:
            self.on_trim(channel[0], channel[1], offered)

    async def load_turn(self, platform: str, channel: str, account_id: str, space: str | None = None,
                        overheard: tuple[HistoryLine, ...] = ()) -> TurnContext:
        self.w.check()
        if overheard:
            self._append((platform, channel), overheard)
        uid = self.w.aliases.get(account_key(platform, account_id))
        facts = sorted(self.w.facts.get(uid, {}).values(), key=lambda f: f.created) if uid else []
        profile = self.w.profiles.get(uid, {}) if uid else {}
        spent = tokens_today((profile.get("day"), profile.get("day_tokens")), time.time())
        return TurnContext(uid=uid, history=tuple(self.w.histories.get((platform, channel), ())),
                           summary=self.w.summaries.get((platform, channel), ""),
                           settings=await self.channel_settings(platform, channel, space), facts=tuple(facts),
                           vectors=dict(self.w.vectors.get(uid, {})) if uid else {}, tokens_today=spent)

    async def record_turn(self, record: TurnRecord) -> str:
        self.w.check()
        account = account_key(record.platform, record.account_id)
        if record.uid in self.w.gone_uids or (
                record.uid is None and self.w.gone_accounts.get(account, -1.0) >= record.at):
            return ""  # forgotten while this turn was in flight: nothing of it is stored
        uid = record.uid or self.w.aliases.setdefault(account, uuid.uuid4().hex)
        if record.turn_id in self.w.turn_ids:
            return uid  # written before: a retry adds nothing
        self.w.turn_ids.add(record.turn_id)
        self._append((record.platform, record.channel), [
            HistoryLine("user", record.display_name, record.user_text, uid, account, record.message_id),
            HistoryLine("bot", record.bot_name, record.reply)])
        profile = self.w.profiles.setdefault(uid, {"names": {}, "first_seen": record.at, "turns": 0})
        profile["names"][record.platform] = record.display_name
        profile["last_seen"] = record.at
        profile["turns"] += 1
        day = utc_day(record.at)
        profile["day_tokens"] = (profile["day_tokens"] if profile.get("day") == day else 0) + record.tokens
        profile["day"] = day
        self.w.user_aliases.setdefault(uid, set()).add(account)
        self.w.user_channels.setdefault(uid, set()).add(account_key(record.platform, record.channel))
        return uid

    async def drop_lines(self, platform: str, channel: str, *, account: str | None = None,
                         message: str | None = None) -> int:
        self.w.check()
        history = self.w.histories.get((platform, channel), [])
        keep = without_lines(history, lambda line: line.speaker == "user" and bool(
            (message and line.message == message) or (not message and account and line.account == account)))
        removed = len(history) - len(keep)
        history[:] = keep
        return removed

    async def observe(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        self.w.check()
        if lines:
            self._append((platform, channel), lines)

    async def resolve_uid(self, platform: str, account_id: str) -> str | None:
        self.w.check()
        return self.w.aliases.get(account_key(platform, account_id))

    async def claim_uid(self, platform: str, account_id: str) -> str:
        self.w.check()
        account = account_key(platform, account_id)
        uid = self.w.aliases.setdefault(account, uuid.uuid4().hex)
        self.w.user_aliases.setdefault(uid, set()).add(account)
        return uid

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

    async def set_summary(self, platform: str, channel: str, text: str,
                          folded: Sequence[HistoryLine] = ()) -> None:
        self.w.check()
        self.w.summaries[(platform, channel)] = text
        history = self.w.histories.get((platform, channel), [])
        for line in folded:
            if history and history[0] == line:
                history.pop(0)

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
        for alias in accounts:
            w.gone_accounts[alias] = time.time()
        if uid:
            w.gone_uids.add(uid)
        removed = 0
        for channel, history in w.histories.items():
            keep = without_lines(history, lambda line: bool(uid and line.uid == uid) or line.account in accounts)
            if len(keep) != len(history):
                removed += len(history) - len(keep)
                history[:] = keep
                w.summaries.pop(channel, None)
        if uid:
            for chan in w.user_channels.get(uid, set()):
                chan_platform, _, chan_id = chan.partition(":")
                w.summaries.pop((chan_platform, chan_id), None)
            for table in (w.profiles, w.user_aliases, w.user_channels, w.facts, w.vectors, w.fact_log, w.likes,
                          w.recommended, w.recommended_latest, w.ratings):
                table.pop(uid, None)
            for crowd in w.fans.values():
                crowd.pop(uid, None)
        for alias in accounts:
            w.aliases.pop(alias, None)
        return Forgotten(uid=uid, accounts=tuple(accounts), names=tuple(names), lines=removed)
