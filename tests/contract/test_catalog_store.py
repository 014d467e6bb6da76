"""The CatalogStore contract, against Redis and the in-memory twin: a catalog in service is replaced whole, and
the same content again changes nothing."""

from __future__ import annotations

from bot.memory.stores import Stores
from bot.recommend.catalog import parse_catalog

FIRST = b"id,title,kind\na,Alpha,game\nb,Beta,film\n"
SECOND = b"id,title,kind\nb,Beta,film\nc,Gamma,game\nd,Delta,music\n"


async def test_a_catalog_is_put_in_service_replaced_whole_and_kept_when_unchanged(stores: Stores) -> None:
    s = stores.catalogs
    first = parse_catalog(FIRST, "games.csv", "games", "csv")
    assert await s.put(first, "games.csv", at=100.0)
    info = await s.info("games")
    assert info is not None and info.count == 2 and info.kinds == {"film": 1, "game": 1} and info.source == "games.csv"
    assert [i.title for i in await s.items("games")] == ["Alpha", "Beta"]
    assert not await s.put(parse_catalog(FIRST, "again.csv", "games", "csv"), "again.csv", at=200.0)  # same content
    assert (await s.info("games")).imported_at == 100.0  # type: ignore[union-attr]
    assert await s.put(parse_catalog(SECOND, "games.csv", "games", "csv"), "games.csv", at=300.0)
    assert [i.id for i in await s.items("games")] == ["b", "c", "d"]  # "a" is gone: replaced, not merged
    assert await s.names() == ["games"]
    assert await s.delete("games") and await s.names() == [] and await s.info("games") is None
    assert await s.items("games") == [] and not await s.delete("games")


async def test_catalogs_are_kept_apart(stores: Stores) -> None:
    s = stores.catalogs
    await s.put(parse_catalog(FIRST, "a.csv", "films", "csv"), "a.csv", at=1.0)
    await s.put(parse_catalog(SECOND, "b.csv", "music", "csv"), "b.csv", at=2.0)
    assert await s.names() == ["films", "music"]
    assert len(await s.items("films")) == 2 and len(await s.items("music")) == 3


async def test_an_imported_catalog_does_not_expire(redis_stores: Stores, raw_redis: object) -> None:
    import redis.asyncio as aioredis

    assert isinstance(raw_redis, aioredis.Redis)
    await redis_stores.catalogs.put(parse_catalog(FIRST, "a.csv", "games", "csv"), "a.csv", at=1.0)
    assert await raw_redis.ttl("fs:{k:games}:items") == -1  # staged with a TTL, which RENAME would carry over
    assert [k async for k in raw_redis.scan_iter(match="fs:{k:games}:staging*")] == []


async def test_what_was_recommended_is_kept_per_viewer_and_forget_erases_it(stores: Stores,
                                                                              everything: object) -> None:
    from tests.contract.conftest import Everything

    assert isinstance(everything, Everything)
    uid = await stores.memory.claim_uid("twitch", "77")
    await stores.recommended.add(uid, ["celeste", "hades"])
    await stores.recommended.add(uid, ["ori"])
    assert await stores.recommended.offered(uid) == ["ori", "hades", "celeste"]  # newest first
    assert await stores.recommended.latest(uid) == ["ori"]
    await stores.recommended.rate(uid, "hades", False)
    await stores.recommended.rate(uid, "celeste", True)
    await stores.recommended.rate(uid, "hades", True)  # the latest word counts
    assert await stores.recommended.ratings(uid) == {"hades": True, "celeste": True}
    await stores.memory.forget_account("twitch", "77")
    assert await stores.recommended.offered(uid) == [] and await stores.recommended.ratings(uid) == {}
    assert await stores.recommended.latest(uid) == []
    left = await everything.text()
    assert "celeste" not in left and uid not in left


async def test_a_viewers_likes_count_in_their_crowds_until_forget_takes_them_out(stores: Stores,
                                                                                 everything: object) -> None:
    from tests.contract.conftest import Everything

    assert isinstance(everything, Everything)
    ann = await stores.memory.claim_uid("twitch", "1")
    bob = await stores.memory.claim_uid("discord", "2")
    await stores.recommended.set_fan(ann, ["all", "twitch:chan"], ["starter/celeste", "starter/hades"])
    await stores.recommended.set_fan(bob, ["all"], ["starter/celeste"])
    assert await stores.recommended.fans("all") == {ann: ["starter/celeste", "starter/hades"],
                                                   bob: ["starter/celeste"]}
    assert await stores.recommended.fans("twitch:chan") == {ann: ["starter/celeste", "starter/hades"]}
    await stores.recommended.set_fan(bob, ["all"], [])  # likes nothing in the catalogs any more
    assert bob not in await stores.recommended.fans("all")
    await stores.memory.forget_account("twitch", "1")
    assert await stores.recommended.fans("all") == {} and await stores.recommended.fans("twitch:chan") == {}
    left = await everything.text()
    assert ann not in left and "hades" not in left


async def test_a_viewer_unseen_for_the_ttl_leaves_the_crowd(redis_stores: Stores, raw_redis: object) -> None:
    import redis.asyncio as aioredis

    from bot.memory.redis.catalogs import RedisRecommendationLog

    assert isinstance(raw_redis, aioredis.Redis)
    now = [1_000_000.0]
    log = RedisRecommendationLog(raw_redis, redis_stores.recommended.keys, ttl=100,  # type: ignore[attr-defined]
                                 clock=lambda: now[0])
    await log.set_fan("u1", ["all"], ["starter/celeste"])
    now[0] += 60
    await log.set_fan("u2", ["all"], ["starter/hades"])
    assert set(await log.fans("all")) == {"u1", "u2"}
    now[0] += 50  # u1 unseen for 110 s, past the TTL; u2 for 50
    assert await log.fans("all") == {"u2": ["starter/hades"]}
    assert await raw_redis.hkeys("fs:{f:all}:fans") == ["u2"]  # the stale entry is gone from Redis too
