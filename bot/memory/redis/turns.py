"""MemoryStore on redis.asyncio: one round trip to read a turn (the speaker's facts included, for a speaker
seen before), one to write it, atomic per owner."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

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
)
from bot.memory.keys import Keys
from bot.memory.redis import scripts
from bot.memory.redis.aof import AofRewrites
from bot.memory.redis.cluster_check import check_cluster, check_not_cluster
from bot.memory.redis.errors import RedisBacked
from bot.memory.redis.fact_codec import decode_facts
from bot.memory.redis.facts import read_vectors
from bot.memory.redis.lines import decode_line, encode_line
from bot.memory.uid_cache import UidCache

# Tombstones name only what is gone and expire: in-flight work ends within minutes (the account's, which holds
# a platform account id, within a quarter of an hour), a forgotten uid (random) is refused for a day.
ACCOUNT_TOMBSTONE_TTL = 15 * 60
USER_TOMBSTONE_TTL = 86400


class RedisMemoryStore(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, uids: UidCache, history_max: int = 40,
                 history_ttl: float = 30 * 86400, profile_ttl: float = 365 * 86400,
                 clock: Callable[[], float] = time.time) -> None:
        self._r = client
        self.clock = clock
        self.keys = keys
        self.uids = uids
        self.history_max = history_max
        self.history_ttl = int(history_ttl)
        self.profile_ttl = int(profile_ttl)
        self._append_sha = scripts.sha1(scripts.APPEND_HISTORY)
        self._turn_sha = scripts.sha1(scripts.APPEND_TURN)
        self._fold_sha = scripts.sha1(scripts.FOLD_SUMMARY)
        self._touch_sha = scripts.sha1(scripts.TOUCH_PROFILE)
        self._forget_history = client.register_script(scripts.FORGET_IN_HISTORY)
        self._claim = client.register_script(scripts.CLAIM_UID)
        self.aof = AofRewrites(client)
        self._drop_lines = client.register_script(scripts.DROP_LINES)
        self.on_trim: TrimListener | None = None
        self._checked = False
        self.closing: list[Callable[[], Awaitable[None]]] = []  # other clients on this server, closed with it

    async def ping(self) -> None:
        if not self._checked:  # at start; the readiness probe's pings after that stay one PING
            if isinstance(self._r, aioredis.RedisCluster):
                await check_cluster(self._r)
            else:
                await check_not_cluster(self._r)
            self._checked = True
        await self._r.ping()
        await scripts.load_pipelined(self._r)

    async def aclose(self) -> None:
        await self.aof.aclose()
        for close in self.closing:
            await close()
        await self._r.aclose()
        pool = getattr(self._r, "connection_pool", None)  # a cluster client has one per node, closed by aclose
        if pool is not None:
            await pool.disconnect()

    # -- a turn

    async def load_turn(self, platform: str, channel: str, account_id: str, space: str | None = None,
                        overheard: tuple[HistoryLine, ...] = ()) -> TurnContext:
        k = self.keys
        account = account_key(platform, account_id)
        hint = self.uids.get(account)

        def read(pipe: Pipeline) -> None:
            if overheard:
                scripts.queue(pipe, self._append_sha, [k.history(platform, channel)], self.history_max,
                              self.history_ttl, *map(encode_line, overheard))
            pipe.get(k.alias(platform, account_id))
            pipe.lrange(k.history(platform, channel), 0, -1)
            pipe.get(k.summary(platform, channel))
            pipe.hgetall(k.channel_settings(platform, channel))
            if space:
                pipe.hgetall(k.space_settings(platform, space))
            if hint is not None:
                user_reads(pipe, hint)

        def user_reads(pipe: Pipeline, uid: str) -> None:
            pipe.hgetall(k.facts(uid))
            read_vectors(pipe, k.fact_vectors(uid))
            pipe.hmget(k.profile(uid), "day", "day_tokens")

        results = await self._pipelined(read)
        if overheard:
            self._trimmed(platform, channel, results.pop(0))
        uid, raw_history, summary, own = results[:4]
        inherited = results[4] if space else {}
        user_parts = results[5 if space else 4:]
        if uid is not None and uid != hint:
            # First turn since start, or the alias moved (linked, unlinked, forgotten elsewhere): read again.
            async with self._r.pipeline(transaction=False) as pipe:
                user_reads(pipe, uid)
                user_parts = await pipe.execute()
        if uid is not None:
            self.uids.put(account, uid)
        else:
            self.uids.drop(account)
        facts, vectors = decode_facts(*user_parts[:2]) if uid is not None and user_parts else ([], {})
        spent = tokens_today(user_parts[2], self.clock()) if uid is not None and user_parts else 0
        settings = ChannelSettings.from_hash({**(inherited or {}), **(own or {})})
        return TurnContext(uid=uid, history=tuple(decode_line(x) for x in raw_history), summary=summary or "",
                           settings=settings, facts=tuple(facts), vectors=vectors, tokens_today=spent)

    async def record_turn(self, record: TurnRecord) -> str:
        uid = record.uid or await self._claim_uid(record.platform, record.account_id, record.at)
        if not uid:
            return ""  # forgotten after this turn began: nothing of it is stored
        account = account_key(record.platform, record.account_id)
        user_line = encode_line(HistoryLine("user", record.display_name, record.user_text, uid, account,
                                            record.message_id))
        bot_line = encode_line(HistoryLine("bot", record.bot_name, record.reply))
        hist_key = self.keys.history(record.platform, record.channel)
        profile_args: list[str | int] = [record.platform, record.display_name, f"{record.at:.3f}", self.profile_ttl,
                                         record.account_id, account_key(record.platform, record.channel),
                                         record.turn_id[:scripts.PROFILE_TURN_ID], utc_day(record.at), record.tokens]
        ids_key = self.keys.turn_ids(record.platform, record.channel)

        def write(pipe: Pipeline) -> None:
            scripts.queue(pipe, self._turn_sha, [hist_key, ids_key], self.history_max, self.history_ttl,
                          record.turn_id, f"{record.at:.3f}", user_line, bot_line)
            scripts.queue(pipe, self._touch_sha, [self.keys.profile(uid), self.keys.user_aliases(uid),
                          self.keys.user_channels(uid), self.keys.user_gone(uid)], *profile_args)

        trimmed, touched = await self._pipelined(write)
        if touched == -1:
            # Forgotten while this turn was in flight: the two lines just appended (another slot, so the script
            # could not refuse them) are taken out again. Nothing else was written.
            await self._forget_history(keys=[hist_key], args=[uid, account])
            self.uids.drop(account)
            return ""
        if trimmed is not None:  # None: this turn was written before (a retry), nothing appended now
            self._trimmed(record.platform, record.channel, trimmed)
        self.uids.put(account, uid)
        return uid

    async def drop_lines(self, platform: str, channel: str, *, account: str | None = None,
                         message: str | None = None) -> int:
        field, value = ("m", message) if message else ("a", account)
        if not value:
            return 0
        return int(await self._drop_lines(keys=[self.keys.history(platform, channel)], args=[field, value]))

    async def observe(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        if not lines:
            return

        def append(pipe: Pipeline) -> None:
            scripts.queue(pipe, self._append_sha, [self.keys.history(platform, channel)], self.history_max,
                          self.history_ttl, *map(encode_line, lines))

        [trimmed] = await self._pipelined(append)
        self._trimmed(platform, channel, trimmed)

    async def _pipelined(self, build: Callable[[Pipeline], None]) -> list[Any]:
        """Run one pipeline; if Redis restarted and forgot the scripts, load them and run it once more (a
        NOSCRIPT reply means the script wrote nothing, and the rest are reads or idempotent)."""
        for attempt in (1, 2):
            try:
                async with self._r.pipeline(transaction=False) as pipe:
                    build(pipe)
                    return list(await pipe.execute())
            except NoScriptError:
                if attempt == 2:
                    raise
                await scripts.load_pipelined(self._r)
        raise AssertionError("unreachable")

    def _trimmed(self, platform: str, channel: str, raw: Any) -> None:
        if raw and self.on_trim is not None:
            self.on_trim(platform, channel, [decode_line(x) for x in raw])

    async def _claim_uid(self, platform: str, account_id: str, since: float = 0.0) -> str:
        """Point a new alias at a fresh uid, or return the uid another turn claimed first; "" when the account
        was forgotten after `since` (a turn begun before its forget)."""
        k = self.keys
        uid = await self._claim(keys=[k.alias(platform, account_id), k.account_gone(platform, account_id)],
                                args=[uuid.uuid4().hex, f"{since:.3f}"])
        return str(uid) if uid else ""

    async def claim_uid(self, platform: str, account_id: str) -> str:
        uid = await self._claim_uid(platform, account_id, self.clock())
        aliases = self.keys.user_aliases(uid)
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.sadd(aliases, account_key(platform, account_id))
            pipe.expire(aliases, self.profile_ttl)
            await pipe.execute()
        self.uids.put(account_key(platform, account_id), uid)
        return uid

    # -- reads for commands

    async def resolve_uid(self, platform: str, account_id: str) -> str | None:
        value = await self._r.get(self.keys.alias(platform, account_id))
        return str(value) if value is not None else None

    async def profile(self, uid: str) -> Profile | None:
        data: dict[str, str] = await self._r.hgetall(self.keys.profile(uid))  # type: ignore[assignment]
        if not data:
            return None
        names = {k.removeprefix("name:"): v for k, v in data.items() if k.startswith("name:")}
        return Profile(uid=uid, names=names, first_seen=float(data.get("first_seen", 0)),
                       last_seen=float(data.get("last_seen", 0)), turns=int(data.get("turns", 0)))

    async def history(self, platform: str, channel: str) -> tuple[HistoryLine, ...]:
        raw: list[str] = await self._r.lrange(self.keys.history(platform, channel), 0, -1)  # type: ignore[assignment]
        return tuple(decode_line(x) for x in raw)

    async def summary(self, platform: str, channel: str) -> str:
        value = await self._r.get(self.keys.summary(platform, channel))
        return str(value) if value else ""

    async def set_summary(self, platform: str, channel: str, text: str,
                          folded: Sequence[HistoryLine] = ()) -> None:
        k = self.keys

        def fold(pipe: Pipeline) -> None:
            scripts.queue(pipe, self._fold_sha, [k.history(platform, channel), k.summary(platform, channel)], text,
                          self.history_ttl, *map(encode_line, folded))

        await self._pipelined(fold)

    # -- settings and opt-outs

    async def channel_settings(self, platform: str, channel: str, space: str | None = None) -> ChannelSettings:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.channel_settings(platform, channel))
            if space:
                pipe.hgetall(self.keys.space_settings(platform, space))
            own, *inherited = await pipe.execute()
        return ChannelSettings.from_hash({**(inherited[0] if inherited else {}), **own})

    async def set_channel_setting(self, platform: str, channel: str, key: str, value: str | None) -> None:
        await self._set(self.keys.channel_settings(platform, channel), key, value)

    async def set_space_setting(self, platform: str, space: str, key: str, value: str | None) -> None:
        await self._set(self.keys.space_settings(platform, space), key, value)

    async def _set(self, name: str, key: str, value: str | None) -> None:
        if value is None:
            await self._r.hdel(name, key)
        else:
            await self._r.hset(name, key, value)

    async def set_opt_out(self, platform: str, account_id: str, opted_out: bool) -> None:
        if opted_out:
            await self._r.sadd(self.keys.opt_outs(), account_key(platform, account_id))
        else:
            await self._r.srem(self.keys.opt_outs(), account_key(platform, account_id))

    async def opted_out(self) -> set[str]:
        members: set[str] = await self._r.smembers(self.keys.opt_outs())  # type: ignore[assignment]
        return members

    # -- forget

    async def forget_account(self, platform: str, account_id: str) -> Forgotten:
        """Every key of the user, their aliases, and their lines (with the bot's reply to each) in every channel
        history, plus the summaries of the channels they spoke in. Histories are swept whole, because lines
        overheard before the user ever had a turn carry only the account."""
        k = self.keys
        account = account_key(platform, account_id)
        uid = await self.resolve_uid(platform, account_id)
        aliases: set[str] = set()
        channels: set[str] = set()
        names: set[str] = set()
        if uid is not None:
            aliases = await self._r.smembers(k.user_aliases(uid))  # type: ignore[assignment]
            channels = await self._r.smembers(k.user_channels(uid))  # type: ignore[assignment]
            profile = await self.profile(uid)
            names = set(profile.names.values()) if profile else set()
        accounts = sorted(aliases | {account})
        # 1. Tombstones first: every writer still in flight (a turn, a fact extraction, a retry) checks them in
        # its own atomic step, so nothing of theirs comes back once this has begun.
        async with self._r.pipeline(transaction=False) as pipe:
            for alias in accounts:
                a_platform, _, a_id = alias.partition(":")
                pipe.set(k.account_gone(a_platform, a_id), f"{self.clock():.3f}", ex=ACCOUNT_TOMBSTONE_TTL)
            if uid is not None:
                pipe.set(k.user_gone(uid), "1", ex=USER_TOMBSTONE_TTL)
            await pipe.execute()
        # 2. Their own keys, then their lines everywhere; 3. the aliases last: an alias is how a second forget
        # finds all the rest, so a forget that dies halfway can simply be run again.
        if uid is not None:
            # The crowds they are counted in live outside their slot: taken out first, found through it.
            scopes: set[str] = await self._r.smembers(k.fan_of(uid))  # type: ignore[assignment]
            for scope in scopes:
                await self._r.hdel(k.fans(scope), uid)
            # Braces are not glob characters in Redis patterns; the uid is hex, so the pattern is exact.
            user_keys = [key async for key in self._r.scan_iter(match=k.user_pattern(uid), count=500)
                         if key != k.user_gone(uid)]
            if user_keys:
                await self._r.delete(*user_keys)
            self.uids.drop_uid(uid)
        removed = 0
        async for key in self._r.scan_iter(match=k.history_pattern(), count=500):
            gone = int(await self._forget_history(keys=[key], args=[uid or "", *accounts]))
            removed += gone
            if gone:
                await self._r.delete(k.history_sibling(key, "summary"))
        for chan in channels:
            chan_platform, _, chan_id = chan.partition(":")
            await self._r.delete(k.summary(chan_platform, chan_id))
        for alias in accounts:
            a_platform, _, a_id = alias.partition(":")
            await self._r.delete(k.alias(a_platform, a_id))
        self.uids.drop(*accounts)
        self.aof.request()  # and from the append-only file on disk, within minutes
        return Forgotten(uid=uid, accounts=tuple(accounts), names=tuple(sorted(names)), lines=removed)
