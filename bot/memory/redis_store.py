"""MemoryStore on redis.asyncio: one round trip to read a turn, one to write it, atomic per owner."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from bot.memory.base import HistoryLine, Profile, TurnContext, TurnRecord
from bot.memory.keys import Keys

# Append lines, trim in big steps (keep the newest half once over max) so that the prompt prefix
# stays byte-identical between trims, and refresh the TTL. One key: atomic and cluster-safe. Returns the
# trimmed lines, which the summariser folds into the channel's summary.
_APPEND_HISTORY = """
for i = 3, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
local n = redis.call('LLEN', KEYS[1])
local max = tonumber(ARGV[1])
local removed = {}
if n > max then
  local cut = n - math.floor(max / 2)
  removed = redis.call('LRANGE', KEYS[1], 0, cut - 1)
  redis.call('LTRIM', KEYS[1], cut, -1)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return removed
"""

# Profile, alias set and channel set of one uid: all in the {u:uid} slot.
_TOUCH_PROFILE = """
redis.call('HSET', KEYS[1], 'name:' .. ARGV[1], ARGV[2], 'last_seen', ARGV[3])
redis.call('HSETNX', KEYS[1], 'first_seen', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'turns', 1)
redis.call('SADD', KEYS[2], ARGV[1] .. ':' .. ARGV[5])
redis.call('SADD', KEYS[3], ARGV[6])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
return 1
"""

# Remove one user's lines (and the bot's reply right after each) from a channel history.
_FORGET_IN_HISTORY = """
local lines = redis.call('LRANGE', KEYS[1], 0, -1)
local accounts = {}
for i = 2, #ARGV do accounts[ARGV[i]] = true end
local keep = {}
local skip_reply = false
for _, raw in ipairs(lines) do
  local ok, line = pcall(cjson.decode, raw)
  if ok and (line['u'] == ARGV[1] or (line['a'] and accounts[line['a']])) then
    skip_reply = true
  elseif skip_reply and ok and line['s'] == 'bot' then
    skip_reply = false
  else
    skip_reply = false
    table.insert(keep, raw)
  end
end
local ttl = redis.call('TTL', KEYS[1])
redis.call('DEL', KEYS[1])
for i = 1, #keep, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(keep, i, math.min(i + 999, #keep)))
end
if #keep > 0 and ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return #lines - #keep
"""


class MemoryUnavailable(Exception):
    """Redis could not be reached or failed mid-operation."""


class RedisMemoryStore:
    def __init__(self, client: aioredis.Redis, keys: Keys | None = None, history_max: int = 40,
                 history_ttl: float = 30 * 86400, profile_ttl: float = 365 * 86400) -> None:
        self._r = client
        self.keys = keys or Keys()
        self.history_max = history_max
        self.history_ttl = int(history_ttl)
        self.profile_ttl = int(profile_ttl)
        # Called by SHA inside pipelines; redis-py's Script objects would add a SCRIPT EXISTS round trip.
        self._append_sha = _sha1(_APPEND_HISTORY)
        self._touch_sha = _sha1(_TOUCH_PROFILE)
        self._forget_history = client.register_script(_FORGET_IN_HISTORY)
        # Called with the lines a trim removed (the summariser listens); set by the composition root.
        self.on_trim: Callable[[str, str, list[HistoryLine]], None] | None = None

    @classmethod
    def from_url(cls, url: str, max_connections: int = 64, **kwargs: Any) -> RedisMemoryStore:
        # A blocking pool: a burst of concurrent turns waits for a free connection instead of failing with
        # "Too many connections" (redis-py's default pool raises past 100).
        pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=max_connections, timeout=10, socket_connect_timeout=5,
            socket_timeout=10, health_check_interval=30)
        return cls(aioredis.Redis(connection_pool=pool), **kwargs)

    @property
    def client(self) -> aioredis.Redis:
        """The underlying connection pool, for the few stores that share it (Twitch tokens)."""
        return self._r

    async def ping(self) -> None:
        try:
            await self._r.ping()
            await self._load_scripts()
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc

    async def aclose(self) -> None:
        await self._r.aclose()
        await self._r.connection_pool.disconnect()

    async def load_turn(self, platform: str, channel: str, account_id: str,
                        space: str | None = None) -> TurnContext:
        try:
            async with self._r.pipeline(transaction=False) as pipe:
                pipe.get(self.keys.alias(platform, account_id))
                pipe.lrange(self.keys.history(platform, channel), 0, -1)
                pipe.get(self.keys.summary(platform, channel))
                pipe.hgetall(self.keys.channel_settings(platform, channel))
                if space:
                    pipe.hgetall(self.keys.space_settings(platform, space))
                uid, raw_history, summary, settings, *space_settings = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc
        # A channel's own setting wins over its server's.
        merged = {**(space_settings[0] if space_settings else {}), **(settings or {})}
        return TurnContext(uid=uid, history=tuple(decode_line(x) for x in raw_history), summary=summary or "",
                           channel_settings=merged)

    async def record_turn(self, record: TurnRecord) -> str:
        try:
            uid = record.uid or await self._claim_uid(record.platform, record.account_id)
            user_line = _encode_line(HistoryLine("user", record.display_name, record.user_text, uid,
                                                 f"{record.platform}:{record.account_id}"))
            bot_line = _encode_line(HistoryLine("bot", record.bot_name, record.reply))
            hist_key = self.keys.history(record.platform, record.channel)
            profile_args: list[str | int] = [record.platform, record.display_name, f"{record.at:.3f}",
                                             self.profile_ttl, record.account_id,
                                             f"{record.platform}:{record.channel}"]
            for attempt in (1, 2):
                try:
                    async with self._r.pipeline(transaction=False) as pipe:
                        pipe.evalsha(self._append_sha, 1, hist_key, self.history_max, self.history_ttl,
                                     user_line, bot_line)
                        pipe.evalsha(self._touch_sha, 3, self.keys.profile(uid), self.keys.user_aliases(uid),
                                     self.keys.user_channels(uid), *profile_args)
                        trimmed, _ = await pipe.execute()
                    self._trimmed(record.platform, record.channel, trimmed)
                    break
                except NoScriptError:
                    # A restarted Redis forgets scripts; the pipeline ran nothing that matters twice
                    # (both scripts failed before writing), so load them and run it again once.
                    if attempt == 2:
                        raise
                    await self._load_scripts()
            return uid
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc

    async def _load_scripts(self) -> None:
        for script in (_APPEND_HISTORY, _TOUCH_PROFILE):
            await self._r.script_load(script)

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

    async def channel_settings(self, platform: str, channel: str, space: str | None = None) -> dict[str, str]:
        try:
            async with self._r.pipeline(transaction=False) as pipe:
                pipe.hgetall(self.keys.channel_settings(platform, channel))
                if space:
                    pipe.hgetall(self.keys.space_settings(platform, space))
                own, *inherited = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc
        return {**(inherited[0] if inherited else {}), **own}

    async def set_channel_setting(self, platform: str, channel: str, key: str, value: str | None) -> None:
        await self._set(self.keys.channel_settings(platform, channel), key, value)

    async def set_space_setting(self, platform: str, space: str, key: str, value: str | None) -> None:
        await self._set(self.keys.space_settings(platform, space), key, value)

    async def forget_account(self, platform: str, account_id: str) -> int:
        """Delete everything of the user behind this account: their keys, their aliases, and their lines
        (with the bot's reply to each) in every channel history; drops those channels' summaries.
        Returns how many history lines went."""
        try:
            uid = await self.resolve_uid(platform, account_id)
            if uid is None:
                return await self._forget_unclaimed(platform, account_id)
            aliases: set[str] = await self._r.smembers(self.keys.user_aliases(uid))  # type: ignore[assignment]
            channels: set[str] = await self._r.smembers(self.keys.user_channels(uid))  # type: ignore[assignment]
            accounts = sorted(aliases | {f"{platform}:{account_id}"})
            removed = 0
            for chan in channels:
                chan_platform, _, chan_id = chan.partition(":")
                removed += int(await self._forget_history(keys=[self.keys.history(chan_platform, chan_id)],
                                                          args=[uid, *accounts]))
                await self._r.delete(self.keys.summary(chan_platform, chan_id))
            alias_keys = {self.keys.alias(platform, account_id)}
            for alias in aliases:
                a_platform, _, a_id = alias.partition(":")
                alias_keys.add(self.keys.alias(a_platform, a_id))
            for key in alias_keys:
                await self._r.delete(key)
            # Braces are not glob characters in Redis patterns; the uid is hex, so the pattern is exact.
            user_keys = [k async for k in self._r.scan_iter(match=self.keys.user_pattern(uid), count=500)]
            if user_keys:
                await self._r.delete(*user_keys)
            return removed
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc

    async def _forget_unclaimed(self, platform: str, account_id: str) -> int:
        """An account that was only overheard has no uid and no channel index: sweep the histories."""
        removed = 0
        async for key in self._r.scan_iter(match=f"{self.keys.prefix}:{{c:*}}:hist", count=500):
            removed += int(await self._forget_history(keys=[key], args=["", f"{platform}:{account_id}"]))
        return removed

    async def observe(self, platform: str, channel: str, lines: list[HistoryLine]) -> None:
        if not lines:
            return
        try:
            trimmed = await self._evalsha_with_reload(self._append_sha, [self.keys.history(platform, channel)],
                                                      [self.history_max, self.history_ttl, *map(_encode_line, lines)])
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc
        self._trimmed(platform, channel, trimmed)

    def _trimmed(self, platform: str, channel: str, raw: Any) -> None:
        if raw and self.on_trim is not None:
            self.on_trim(platform, channel, [decode_line(x) for x in raw])

    async def set_opt_out(self, platform: str, account_id: str, opted_out: bool) -> None:
        try:
            if opted_out:
                await self._r.sadd(self.keys.opt_outs(), f"{platform}:{account_id}")
            else:
                await self._r.srem(self.keys.opt_outs(), f"{platform}:{account_id}")
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc

    async def opted_out(self) -> set[str]:
        try:
            members: set[str] = await self._r.smembers(self.keys.opt_outs())  # type: ignore[assignment]
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc
        return members

    async def _evalsha_with_reload(self, sha: str, keys: list[str], args: list[str | int]) -> Any:
        try:
            return await self._r.evalsha(sha, len(keys), *keys, *args)
        except NoScriptError:
            await self._load_scripts()
            return await self._r.evalsha(sha, len(keys), *keys, *args)

    async def _set(self, name: str, key: str, value: str | None) -> None:
        try:
            if value is None:
                await self._r.hdel(name, key)
            else:
                await self._r.hset(name, key, value)
        except (RedisError, OSError) as exc:
            raise MemoryUnavailable(str(exc)) from exc

    async def _claim_uid(self, platform: str, account_id: str) -> str:
        """Point a new alias at a fresh uid, or return the uid another turn claimed first."""
        fresh = uuid.uuid4().hex
        previous = await self._r.set(self.keys.alias(platform, account_id), fresh, nx=True, get=True)
        return str(previous) if previous else fresh


def _encode_line(line: HistoryLine) -> str:
    data: dict[str, str] = {"s": line.speaker, "n": line.name, "t": line.text}
    if line.uid:
        data["u"] = line.uid
    if line.account:
        data["a"] = line.account
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode_line(raw: str) -> HistoryLine:
    data = json.loads(raw)
    return HistoryLine(speaker="bot" if data.get("s") == "bot" else "user", name=str(data.get("n", "?")),
                       text=str(data.get("t", "")), uid=data.get("u"), account=data.get("a"))


def _sha1(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()
