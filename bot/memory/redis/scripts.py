"""The Lua scripts of the Redis stores. Each touches keys of one hash slot only, so they run on Redis Cluster.
Called by SHA inside pipelines (redis-py's Script objects would add a SCRIPT EXISTS round trip); a restarted
Redis forgets them, so callers reload and retry once on NoScriptError."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

# Append lines and refresh the TTL (one key). Past `max` lines, the oldest (all but the newest half) are offered
# to the summariser once, as the list crosses max, and stay: they leave with their summary (FOLD_SUMMARY), so
# the prompt's prefix breaks once per fold, not once at the trim and again when the summary lands. Past twice
# max (the summaries are behind: the model is away) they are cut here. Returns the offered or cut lines.
_PUSH_AND_TRIM = """
for i = first, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
local n = redis.call('LLEN', KEYS[1])
local max = tonumber(ARGV[1])
local keep = math.floor(max / 2)
local offered = {}
if n > 2 * max then
  offered = redis.call('LRANGE', KEYS[1], 0, n - keep - 1)
  redis.call('LTRIM', KEYS[1], n - keep, -1)
elseif n > max and n - (#ARGV - first + 1) <= max then
  offered = redis.call('LRANGE', KEYS[1], 0, n - keep - 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return offered
"""
APPEND_HISTORY = "local first = 3" + _PUSH_AND_TRIM

# A turn's two lines, once: KEYS[2] (the channel's recent turn ids, same slot) says whether this turn was written
# already (a retry after a timeout that Redis had in fact taken). ARGV: max, ttl, turn id, now, lines. Returns
# the trimmed lines as APPEND_HISTORY does, or false when the turn was there already.
APPEND_TURN = """
if redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[3]) == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1001)
redis.call('EXPIRE', KEYS[2], ARGV[2])
local first = 5""" + _PUSH_AND_TRIM

# The profile keeps the last 8 turn ids (a retry follows its turn within seconds) to count a retried write
# once. 7 hex digits each keep the field within 64 bytes, so Redis stores the whole profile as one compact
# listpack (hash-max-listpack-value) instead of a hash table: 600 bytes less a user. A new turn matches one of
# 8 random 28-bit ids once in 30 million turns, and then only its count is missed.
PROFILE_TURN_ID = 7
RECENT_TURNS = 8

# A channel's new summary, and the history lines folded into it taken off the head of the list, in one step
# (KEYS: history, summary; same slot). Only lines still at the head go: one a forget or a cut removed meanwhile
# is skipped. ARGV: summary, ttl, folded lines (encoded as stored).
FOLD_SUMMARY = """
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
for i = 3, #ARGV do
  if redis.call('LINDEX', KEYS[1], 0) == ARGV[i] then redis.call('LPOP', KEYS[1]) end
end
return 1
"""

# Profile, alias set and channel set of one uid: all in the {u:uid} slot. ARGV[7] is the turn id: the profile
# keeps the last few, so a retried write counts the turn once. KEYS[4] is the uid's tombstone: a forgotten
# uid is never written again (-1). ARGV[8] is the turn's UTC day and ARGV[9] the tokens the model wrote for it:
# the profile keeps the day's sum (the daily budget), begun afresh on a new day.
TOUCH_PROFILE = """
if redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local recent = redis.call('HGET', KEYS[1], 'recent_turns') or ''
if string.find(' ' .. recent .. ' ', ' ' .. ARGV[7] .. ' ', 1, true) then return 0 end
redis.call('HSET', KEYS[1], 'name:' .. ARGV[1], ARGV[2], 'last_seen', ARGV[3])
redis.call('HSETNX', KEYS[1], 'first_seen', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'turns', 1)
if redis.call('HGET', KEYS[1], 'day') == ARGV[8] then
  redis.call('HINCRBY', KEYS[1], 'day_tokens', ARGV[9])
else
  redis.call('HSET', KEYS[1], 'day', ARGV[8], 'day_tokens', ARGV[9])
end
local ids = {}
for id in string.gmatch(recent, '%S+') do table.insert(ids, id) end
table.insert(ids, ARGV[7])
while #ids > """ + str(RECENT_TURNS) + """ do table.remove(ids, 1) end
redis.call('HSET', KEYS[1], 'recent_turns', table.concat(ids, ' '))
redis.call('SADD', KEYS[2], ARGV[1] .. ':' .. ARGV[5])
redis.call('SADD', KEYS[3], ARGV[6])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
return 1
"""

# The lines `theirs` (a Lua function defined before this body) picks leave one channel history, with the
# bot's reply right after each; the TTL stays. Returns how many lines went.
_WITHOUT_LINES = """
local lines = redis.call('LRANGE', KEYS[1], 0, -1)
local keep = {}
local skip_reply = false
for _, raw in ipairs(lines) do
  local ok, line = pcall(cjson.decode, raw)
  if ok and theirs(line) then
    skip_reply = true
  elseif skip_reply and ok and line['s'] == 'bot' then
    skip_reply = false
  else
    skip_reply = false
    table.insert(keep, raw)
  end
end
if #keep == #lines then return 0 end
local ttl = redis.call('TTL', KEYS[1])
redis.call('DEL', KEYS[1])
for i = 1, #keep, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(keep, i, math.min(i + 999, #keep)))
end
if #keep > 0 and ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return #lines - #keep
"""

# Forget: one user's lines. ARGV[1] is the uid (or ""), the rest are "platform:account" strings.
FORGET_IN_HISTORY = """
local accounts = {}
for i = 2, #ARGV do accounts[ARGV[i]] = true end
local function theirs(line)
  return (ARGV[1] ~= '' and line['u'] == ARGV[1]) or (line['a'] and accounts[line['a']])
end""" + _WITHOUT_LINES

# Redact accounts (ARGV[1]: JSON list) and names (ARGV[2]: JSON list) from one audit list.
REDACT_AUDIT = """
local accounts, names = {}, {}
for _, a in ipairs(cjson.decode(ARGV[1])) do accounts[a] = true end
for _, n in ipairs(cjson.decode(ARGV[2])) do names[n] = true end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
local changed = 0
for i, raw in ipairs(entries) do
  local ok, e = pcall(cjson.decode, raw)
  if ok then
    local hit = false
    if accounts[e['actor']] or names[e['actor_name']] then
      e['actor'] = ARGV[3]; e['actor_name'] = ARGV[3]; hit = true
    end
    if e['target'] ~= cjson.null and e['target'] ~= nil and accounts[e['target']] then
      e['target'] = ARGV[3]; e['args'] = ARGV[3]; hit = true
    end
    if hit then
      redis.call('LSET', KEYS[1], i - 1, cjson.encode(e))
      changed = changed + 1
    end
  end
end
return changed
"""

# Count one story's votes for one scene (a hash voter -> "scene:choice"; a bare choice, from before votes named
# their scene, counts too) without sending 10,000 votes over the wire. ARGV: choices, scene.
TALLY_VOTES = """
local counts = {}
for i = 1, tonumber(ARGV[1]) do counts[i] = 0 end
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local s, c = string.match(v, '^(%d+):(%d+)$')
  local n = nil
  if s then
    if s == ARGV[2] then n = tonumber(c) end
  else
    n = tonumber(v)
  end
  if n and counts[n] then counts[n] = counts[n] + 1 end
end
return counts
"""

# Votes (voter -> choice, in arrival order: a changed vote's latest wins) into one story's hash, and the TTL
# when the hash is new: one command for a whole batch, where a MULTI with HSET and EXPIRE costs four replies to
# parse per vote (this is the hot path of a busy Twitch vote). ARGV: ttl, voter, choice, voter, choice, ...
CAST_VOTES = """
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return (#ARGV - 1) / 2
"""

# A suggestion (voter -> JSON), unless `cap` others are in already; a viewer's latest replaces their last.
# ARGV: voter, suggestion, cap, ttl.
SUGGEST = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

# The alias slot: point an account at a fresh uid, or return the one it has; false when the account was
# forgotten after this turn began (KEYS[2] holds when), so a turn in flight can't bring it back.
CLAIM_UID = """
local gone = redis.call('GET', KEYS[2])
if gone and tonumber(gone) >= tonumber(ARGV[2]) then return false end
local had = redis.call('GET', KEYS[1])
if had then return had end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""

# A moderator's action in one channel: ARGV[1] is "m" (a message id) or "a" (an account), ARGV[2] the value.
# Removes the matching user lines and the bot's reply right after each; keeps the TTL. Returns lines removed.
DROP_LINES = """
local function theirs(line) return line['s'] ~= 'bot' and line[ARGV[1]] == ARGV[2] end""" + _WITHOUT_LINES

# A lease (one key): take it if free or already ARGV[1]'s, for ARGV[2] ms. Returns 1 when ARGV[1] holds it.
TAKE_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# Drop a lease only if ARGV[1] holds it: one that expired and went to another replica stays theirs.
DROP_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# A replica's heartbeat (one key, a sorted set scored by when each member's heartbeat runs out), on the
# server's clock so that replicas on machines whose clocks disagree still agree who is alive. ARGV: member, ttl
# in ms. Returns the members alive.
HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], 4 * tonumber(ARGV[2]))
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""

PIPELINED = (APPEND_HISTORY, APPEND_TURN, TOUCH_PROFILE, FOLD_SUMMARY)


def queue(pipe: Pipeline, sha: str, keys: Sequence[str], *args: Any) -> None:
    """EVALSHA in a pipeline, by name: a cluster pipeline blocks its evalsha() method but routes the command
    itself by its keys (redis/cluster.py PIPELINE_BLOCKED_COMMANDS; asyncio/cluster.py _determine_slot)."""
    pipe.execute_command("EVALSHA", sha, len(keys), *keys, *args)


def sha1(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


async def load_pipelined(client: aioredis.Redis) -> None:
    for script in PIPELINED:
        await client.script_load(script)
