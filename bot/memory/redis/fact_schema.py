"""The stored facts' schema version, and the migration that runs at start: schema 1 (float16 base64 vectors, ids
and fractional times inside the fact JSON, fact text repeated in the change log) becomes schema 2, user by
user, each in one transaction; so existing memory is converted, never lost."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import redis.asyncio as aioredis
from redis.client import NEVER_DECODE
from redis.exceptions import WatchError

from bot.memory.facts import LOG_KEEP, change_record
from bot.memory.keys import Keys
from bot.memory.redis.fact_codec import (
    compact,
    decode_fact,
    encode_fact,
    is_current_vector,
    pack_vector,
    unpack_vector,
)
from bot.memory.redis.scripts import PROFILE_TURN_ID, RECENT_TURNS
from bot.memory.redis.watch_clients import WatchClients
from bot.metrics import SCHEMA_MIGRATIONS

log = logging.getLogger(__name__)

SCHEMA = 2
LOCK_SECONDS = 600  # one process converts; another that starts meanwhile reads both shapes and goes on
_USER_KEY = re.compile(r"\{u:([^}]+)\}:(?:profile|facts|factvec|factlog|likes)$")


async def migrate(client: aioredis.Redis, keys: Keys, progress: Callable[[str], None] = lambda _m: None,
                  watch: WatchClients | None = None) -> int:
    """Bring every user's facts to SCHEMA. Returns how many users changed (0 when the schema is current,
    which costs one GET). Readers accept both shapes, so turns go on while it runs."""
    version = await client.get(keys.schema())
    if version is not None and int(version) >= SCHEMA:
        return 0
    if not await client.set(keys.schema_lock(), "1", nx=True, ex=LOCK_SECONDS):
        log.info("another process is converting stored memory to schema %d", SCHEMA)
        return 0
    try:
        # Key parts are escaped (keys._check); the uid is passed back through Keys, which escapes it again.
        uids = {unquote(m.group(1)) async for key in client.scan_iter(match=keys.all_users_pattern(), count=1000)
                if (m := _USER_KEY.search(key))}
        if uids:
            progress(f"converting the stored memory of {len(uids)} users to schema {SCHEMA}")
        changed = 0
        for uid in sorted(uids):
            changed += await _migrate_user((watch or WatchClients(client)).for_key(keys.facts(uid)), keys, uid)
        await client.set(keys.schema(), SCHEMA)
        SCHEMA_MIGRATIONS.inc(changed)
        if changed:
            log.info("stored memory converted to schema %d: %d users", SCHEMA, changed)
        return changed
    finally:
        await client.delete(keys.schema_lock())


async def _migrate_user(client: aioredis.Redis, keys: Keys, uid: str) -> int:
    facts, vecs, flog, likes = keys.facts(uid), keys.fact_vectors(uid), keys.fact_log(uid), keys.likes(uid)
    profile = keys.profile(uid)
    async with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                # Watched: a turn or an extraction that writes meanwhile makes this user's conversion start over.
                await pipe.watch(facts, vecs, flog, likes, profile, keys.user_gone(uid))
                raw_facts: dict[str, str] = await pipe.hgetall(facts)  # type: ignore[assignment]
                raw_vecs: dict[bytes, bytes] = await pipe.execute_command(  # type: ignore[assignment]
                    "HGETALL", vecs, **{NEVER_DECODE: True})
                raw_log: list[str] = await pipe.lrange(flog, 0, -1)  # type: ignore[assignment]
                raw_likes: dict[str, str] = await pipe.hgetall(likes)  # type: ignore[assignment]
                raw_profile: dict[str, str] = await pipe.hgetall(profile)  # type: ignore[assignment]
                profile_ttl: int = await pipe.pttl(profile)
                new_profile = _profile(raw_profile)
                new_facts = {f: encode_fact(decode_fact(f, v)) for f, v in raw_facts.items()}
                new_facts = {f: v for f, v in new_facts.items() if v != raw_facts[f]}
                new_vecs = {f: pack_vector(unpack_vector(v)) for f, v in raw_vecs.items() if not is_current_vector(v)}
                new_log = [_log_entry(json.loads(x)) for x in raw_log[:LOG_KEEP]]
                log_changed = new_log != raw_log
                new_likes = {f: compact(json.loads(v)) for f, v in raw_likes.items()}
                new_likes = {f: v for f, v in new_likes.items() if v != raw_likes[f]}
                if not (new_facts or new_vecs or log_changed or new_likes or new_profile):
                    await pipe.reset()  # type: ignore[no-untyped-call]
                    return 0
                pipe.multi()  # type: ignore[no-untyped-call]
                if new_facts:
                    pipe.hset(facts, mapping=new_facts)  # type: ignore[arg-type]
                if new_vecs:
                    pipe.hset(vecs, mapping=new_vecs)  # type: ignore[arg-type]
                if new_likes:
                    pipe.hset(likes, mapping=new_likes)  # type: ignore[arg-type]
                if log_changed:
                    # Rewritten in place (LSET keeps the TTL, which a DELETE and RPUSH would drop).
                    pipe.ltrim(flog, 0, len(new_log) - 1)
                    for i, entry in enumerate(new_log):
                        pipe.lset(flog, i, entry)
                if new_profile:
                    # Written afresh: Redis keeps a hash's table once it grew one, even when its values shrink.
                    pipe.delete(profile)
                    pipe.hset(profile, mapping=new_profile)  # type: ignore[arg-type]
                    if profile_ttl > 0:
                        pipe.pexpire(profile, profile_ttl)
                await pipe.execute()
                return 1
            except WatchError:
                continue


def _profile(raw: dict[str, str]) -> dict[str, str] | None:
    """The profile with schema 2's short recent-turn ids (turns.PROFILE_TURN_ID, the last 8), or None if it
    has them already."""
    recent = raw.get("recent_turns")
    if recent is None:
        return None
    ids = recent.split()[-RECENT_TURNS:]
    short = " ".join(i[:PROFILE_TURN_ID] for i in ids)
    return None if short == recent else {**raw, "recent_turns": short}


def _log_entry(old: dict[str, Any]) -> str:
    """Schema 1's entry without the text a fact still holds (an ADD's or UPDATE's text is the fact's own)."""
    gone = old.get("previous")
    if gone is None and old["action"] == "DELETE":
        gone = old.get("text") or None  # the fact is gone: the log is the only place its text remains
    return compact(change_record(old["action"], old["id"], old["at"], gone))
