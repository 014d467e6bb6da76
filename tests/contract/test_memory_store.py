"""The MemoryStore contract, run against a real redis-server that the suite starts itself."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.memory.base import TurnRecord
from bot.memory.redis_store import RedisMemoryStore
from tests.support.roundtrips import RoundTrips


def _rec(user: str, text: str, uid: str | None = None, channel: str = "c1", platform: str = "console",
         reply: str = "ok", at: float = 1000.0) -> TurnRecord:
    return TurnRecord(platform=platform, channel=channel, account_id=user.lower(), uid=uid,
                      display_name=user, user_text=text, bot_name="Pip", reply=reply, at=at)


async def test_first_load_knows_nothing(store: RedisMemoryStore) -> None:
    ctx = await store.load_turn("console", "c1", "alice")
    assert ctx.uid is None and ctx.history == () and ctx.summary == ""


async def test_turn_round_trip_with_attribution(store: RedisMemoryStore) -> None:
    uid = await store.record_turn(_rec("Alice", "I love Celeste", reply="Great pick!"))
    ctx = await store.load_turn("console", "c1", "alice")
    assert ctx.uid == uid
    assert [(h.speaker, h.name, h.text) for h in ctx.history] == [
        ("user", "Alice", "I love Celeste"), ("bot", "Pip", "Great pick!")]
    assert ctx.history[0].uid == uid and ctx.history[1].uid is None


async def test_uid_is_stable_and_per_account(store: RedisMemoryStore) -> None:
    a1 = await store.record_turn(_rec("Alice", "one"))
    a2 = await store.record_turn(_rec("Alice", "two", uid=None))  # a second "first" turn must reuse it
    b = await store.record_turn(_rec("Bob", "three"))
    assert a1 == a2 != b
    assert await store.resolve_uid("console", "alice") == a1


async def test_profile_has_names_and_times(store: RedisMemoryStore) -> None:
    uid = await store.record_turn(_rec("Alice", "hi", at=100.0))
    await store.record_turn(_rec("Alice B.", "again", uid=uid, at=200.0))
    profile = await store.profile(uid)
    assert profile is not None
    assert profile.names == {"console": "Alice B."}
    assert profile.first_seen == 100.0 and profile.last_seen == 200.0 and profile.turns == 2
    assert await store.profile("nobody") is None


async def test_history_is_per_channel(store: RedisMemoryStore) -> None:
    await store.record_turn(_rec("Alice", "in one", channel="one"))
    await store.record_turn(_rec("Alice", "in two", channel="two"))
    assert [h.text for h in await store.history("console", "one")] == ["in one", "ok"]
    assert [h.text for h in await store.history("console", "two")] == ["in two", "ok"]


async def test_history_trims_in_big_steps(store: RedisMemoryStore) -> None:
    # history_max=8 (conftest): the list grows to 8; past it, only the newest half (4) stays.
    lengths = []
    for i in range(8):
        await store.record_turn(_rec("Alice", f"m{i}"))
        lengths.append(len(await store.history("console", "c1")))
    assert lengths == [2, 4, 6, 8, 4, 6, 8, 4]
    texts = [h.text for h in await store.history("console", "c1")]
    assert texts[-2:] == ["m7", "ok"] and "m0" not in texts


async def test_history_and_profile_have_ttls(store: RedisMemoryStore, raw_redis: aioredis.Redis) -> None:
    uid = await store.record_turn(_rec("Alice", "hi"))
    hist_ttl = await raw_redis.ttl(store.keys.history("console", "c1"))
    assert 0 < hist_ttl <= 30 * 86400
    assert await raw_redis.ttl(store.keys.profile(uid)) > 0


async def test_unicode_and_quotes_survive(store: RedisMemoryStore) -> None:
    text = 'héllo "wörld" 🔥 \\ {json}\nsecond line'
    await store.record_turn(_rec("Zoë", text))
    hist = await store.history("console", "c1")
    assert hist[0].text == text and hist[0].name == "Zoë"


async def test_one_round_trip_to_load_and_one_to_record(store: RedisMemoryStore) -> None:
    uid = await store.record_turn(_rec("Alice", "hi"))
    await store.load_turn("console", "c1", "alice")  # warm the connection
    with RoundTrips() as rt:
        ctx = await store.load_turn("console", "c1", "alice")
    assert rt.count == 1
    with RoundTrips() as rt:
        await store.record_turn(_rec("Alice", "again", uid=ctx.uid))
    assert rt.count == 1 and ctx.uid == uid


async def test_channel_settings(store: RedisMemoryStore) -> None:
    await store.set_channel_setting("console", "c1", "persona", "critic")
    assert await store.channel_settings("console", "c1") == {"persona": "critic"}
    assert (await store.load_turn("console", "c1", "x")).channel_settings == {"persona": "critic"}
    await store.set_channel_setting("console", "c1", "persona", None)
    assert await store.channel_settings("console", "c1") == {}
    assert await store.channel_settings("console", "other") == {}


async def test_space_settings_are_inherited_and_channel_wins(store: RedisMemoryStore) -> None:
    await store.set_space_setting("discord", "g1", "persona", "critic")
    assert await store.channel_settings("discord", "c1", space="g1") == {"persona": "critic"}
    await store.set_channel_setting("discord", "c1", "persona", "narrator")
    assert (await store.load_turn("discord", "c1", "7", space="g1")).channel_settings == {"persona": "narrator"}
    assert await store.channel_settings("discord", "c2", space="g1") == {"persona": "critic"}


async def test_forget_account_leaves_nothing_of_that_user(store: RedisMemoryStore, raw_redis: aioredis.Redis) -> None:
    alice = await store.record_turn(_rec("Alice", "I live in Lyon", channel="one", reply="Lyon is lovely"))
    await store.record_turn(_rec("Bob", "hi all", channel="one", reply="hi Bob"))
    await store.record_turn(_rec("Alice", "secret two", uid=alice, channel="two", reply="noted"))
    await raw_redis.set(store.keys.summary("console", "one"), "Alice lives in Lyon")
    removed = await store.forget_account("console", "alice")
    assert removed == 4  # two lines of hers, and the bot's reply to each
    assert [h.text for h in await store.history("console", "one")] == ["hi all", "hi Bob"]
    assert await store.history("console", "two") == ()
    assert not await raw_redis.exists(store.keys.summary("console", "one"))
    keys = [k async for k in raw_redis.scan_iter(match="*")]
    assert not [k for k in keys if alice in k], keys
    assert await store.resolve_uid("console", "alice") is None
    assert await store.resolve_uid("console", "bob") is not None
    assert await raw_redis.ttl(store.keys.history("console", "one")) > 0  # retention survives the rewrite


async def test_forget_unknown_account_is_a_no_op(store: RedisMemoryStore) -> None:
    assert await store.forget_account("console", "nobody") == 0


async def test_a_burst_waits_for_connections_instead_of_failing(redis_url: str) -> None:
    import asyncio

    small = RedisMemoryStore.from_url(redis_url, max_connections=3)
    results = await asyncio.gather(*(small.load_turn("console", f"c{i % 7}", f"u{i}") for i in range(300)))
    assert len(results) == 300
    await small.aclose()
