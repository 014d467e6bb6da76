"""What only the Redis stores promise: retention TTLs, round trips per turn, bursts past the pool, scripts that
stay in one hash slot (Redis Cluster), and every failure translated into MemoryUnavailable."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.crc import key_slot

from bot.memory.audit import AuditEntry
from bot.memory.base import HistoryLine, MemoryUnavailable, TurnRecord
from bot.memory.facts import Change, new_fact
from bot.memory.forget import Forgetter
from bot.memory.redis.backend import open_redis_stores
from bot.memory.redis.errors import RedisBacked
from bot.memory.stores import Stores
from bot.story.model import Suggestion
from tests.support.redis_cluster import RedisTarget
from tests.support.roundtrips import RoundTrips


def _rec(user: str, text: str, uid: str | None = None, channel: str = "c1") -> TurnRecord:
    return TurnRecord(platform="console", channel=channel, account_id=user.lower(), uid=uid, display_name=user,
                      user_text=text, bot_name="Pip", reply="ok", at=1000.0)


async def test_history_and_profile_have_ttls(redis_stores: Stores, raw_redis: aioredis.Redis) -> None:
    uid = await redis_stores.memory.record_turn(_rec("Alice", "hi"))
    assert 0 < await raw_redis.ttl("fs:{c:console:c1}:hist") <= 30 * 86400
    assert await raw_redis.ttl(f"fs:{{u:{uid}}}:profile") > 0


async def test_a_known_speaker_costs_one_round_trip_to_read_and_one_to_write(redis_stores: Stores) -> None:
    memory = redis_stores.memory
    uid = await memory.record_turn(_rec("Alice", "hi"))
    await redis_stores.facts.apply(uid, [Change("ADD", new_fact("User loves Celeste", "preference", "s"))])
    await memory.load_turn("console", "c1", "alice")  # warm the connection
    overheard = (HistoryLine("user", "Bob", "meanwhile", account="console:bob"),)
    with RoundTrips() as rt:
        ctx = await memory.load_turn("console", "c1", "alice", space="g1", overheard=overheard)
    assert rt.count == 1 and [f.text for f in ctx.facts] == ["User loves Celeste"]
    with RoundTrips() as rt:
        await memory.record_turn(_rec("Alice", "again", uid=ctx.uid))
    assert rt.count == 1


async def test_a_stale_uid_hint_is_noticed(redis_stores: Stores, raw_redis: aioredis.Redis) -> None:
    memory = redis_stores.memory
    await memory.record_turn(_rec("Alice", "hi"))
    other = await memory.record_turn(_rec("Zed", "hi"))
    await redis_stores.facts.apply(other, [Change("ADD", new_fact("User is Zed", "fact", "s"))])
    await raw_redis.set("fs:{a:console:alice}", other)  # another replica re-pointed the alias
    ctx = await memory.load_turn("console", "c1", "alice")
    assert ctx.uid == other and [f.text for f in ctx.facts] == ["User is Zed"]


async def test_a_burst_waits_for_connections_instead_of_failing(redis_target: RedisTarget) -> None:
    """On one server (a blocking pool) and on the cluster (a bound on calls at once)."""
    small = open_redis_stores(redis_target.url, cluster=redis_target.cluster, max_connections=3)
    results = await asyncio.gather(*(small.memory.load_turn("console", f"c{i % 7}", f"u{i}") for i in range(300)))
    assert len(results) == 300
    await small.aclose()


async def test_a_restarted_redis_gets_its_scripts_back(redis_stores: Stores, raw_redis: aioredis.Redis) -> None:
    await raw_redis.script_flush()
    overheard = (HistoryLine("user", "Bob", "after the flush", account="console:bob"),)
    ctx = await redis_stores.memory.load_turn("console", "c1", "alice", overheard=overheard)
    assert [h.text for h in ctx.history] == ["after the flush"]
    await raw_redis.script_flush()
    await redis_stores.memory.record_turn(_rec("Alice", "hi"))


@pytest.fixture
def script_keys() -> Iterator[list[tuple[str, tuple[str, ...]]]]:
    """Every EVAL/EVALSHA the stores send, with its keys, whether pipelined or not."""
    seen: list[tuple[str, tuple[str, ...]]] = []
    originals = {cls: cls.execute_command for cls in (aioredis.Redis, Pipeline)}

    def recorder(cls: Any) -> Any:
        original = originals[cls]

        def record(self: Any, *args: Any, **kwargs: Any) -> Any:
            if str(args[0]).upper() in ("EVAL", "EVALSHA"):
                count = int(args[2])
                seen.append((str(args[0]), tuple(str(k) for k in args[3:3 + count])))
            return original(self, *args, **kwargs)

        return record

    for cls in originals:
        cls.execute_command = recorder(cls)  # type: ignore[method-assign]
    yield seen
    for cls, original in originals.items():
        cls.execute_command = original  # type: ignore[method-assign]


async def test_every_script_touches_one_hash_slot(redis_stores: Stores, script_keys: list[Any]) -> None:
    memory = redis_stores.memory
    uid = await memory.record_turn(_rec("Alice", "hi"))
    await memory.load_turn("console", "c1", "alice", overheard=(HistoryLine("user", "B", "x", account="console:b"),))
    await memory.observe("console", "c2", [HistoryLine("user", "B", "y", account="console:b")])
    await redis_stores.audit.record(AuditEntry(
        at=1.0, platform="console", scope="c1", channel="c1", actor="console:alice", actor_name="Alice",
        command="off", args=""))
    await Forgetter(memory, redis_stores.audit, redis_stores.stories).forget("console", "alice")
    assert uid and len(script_keys) >= 5
    for command, keys in script_keys:
        assert len({key_slot(k.encode()) for k in keys}) == 1, (command, keys)


def test_every_public_method_of_every_redis_store_translates_errors() -> None:
    stores = open_redis_stores("redis://127.0.0.1:1")
    for store in (stores.memory, stores.facts, stores.identity, stores.audit, stores.tokens, stores.stories,
                  stores.catalogs, stores.recommended):
        assert isinstance(store, RedisBacked)
        for name, method in inspect.getmembers(type(store), inspect.iscoroutinefunction):
            if not name.startswith("_"):
                assert hasattr(method, "__wrapped__"), f"{type(store).__name__}.{name} is not translated"


async def test_redis_away_is_memory_unavailable_everywhere() -> None:
    stores = open_redis_stores("redis://127.0.0.1:1")  # nothing listens on port 1
    calls = [
        stores.memory.load_turn("console", "c", "a"), stores.memory.record_turn(_rec("A", "x")),
        stores.memory.resolve_uid("console", "a"), stores.memory.profile("u"), stores.memory.history("console", "c"),
        stores.memory.summary("console", "c"), stores.memory.channel_settings("console", "c"),
        stores.memory.forget_account("console", "a"), stores.memory.opted_out(),
        stores.facts.facts("u"), stores.facts.likes("u"), stores.facts.log("u"),
        stores.identity.create_code("console", "a"), stores.identity.export("console", "a"),
        stores.audit.latest("console", "c"), stores.audit.redact(["console:a"], ["A"]), stores.tokens.load(),
        stores.memory.claim_uid("console", "a"), stores.stories.load("twitch", "1"),
        stores.stories.vote("twitch", "1", "twitch:2", 1), stores.stories.tally("twitch", "1", 3),
        stores.stories.suggest("twitch", "1", Suggestion("twitch:2", "B", "An idea"), 5),
        stores.stories.clear_votes("twitch", "1"), stores.stories.forget(["twitch:2"], ["B"]),
        stores.catalogs.names(), stores.catalogs.items("games"), stores.catalogs.info("games"),
        stores.recommended.offered("u"), stores.recommended.add("u", ["x"]), stores.recommended.latest("u"),
        stores.recommended.rate("u", "x", True), stores.recommended.ratings("u"),
    ]
    for call in calls:
        with pytest.raises(MemoryUnavailable):
            await call
    await stores.aclose()


async def test_a_forget_that_dies_halfway_can_be_run_again_to_the_end(redis_stores: Stores,
                                                                       raw_redis: object) -> None:
    import redis.asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from bot.memory.base import MemoryUnavailable

    assert isinstance(raw_redis, aioredis.Redis)
    memory = redis_stores.memory
    uid = await memory.record_turn(TurnRecord(platform="twitch", channel="100", account_id="7", uid=None,
                                              display_name="Ann", user_text="my secret is 42", bot_name="Pip",
                                              reply="ok", at=1.0))
    await redis_stores.recommended.set_fan(uid, ["all"], ["starter/celeste"])
    client = memory._r  # type: ignore[attr-defined]
    real = client.hdel

    async def dies(*args: object) -> object:  # the process dies while taking them out of the crowds
        raise RedisConnectionError("connection lost")

    client.hdel = dies
    try:
        with pytest.raises(MemoryUnavailable):
            await memory.forget_account("twitch", "7")
    finally:
        client.hdel = real
    await memory.forget_account("twitch", "7")  # run again: it still finds everything through the alias
    keys = [k async for k in raw_redis.scan_iter(match="*") if not k.endswith(":gone")]
    left = " ".join([*keys, *[str(await raw_redis.dump(k)) for k in keys]])
    assert uid not in left and "secret" not in left


async def test_forgotten_words_leave_the_append_only_file_too(redis_stores: Stores, raw_redis: object,
                                                               redis_server: Any) -> None:
    assert isinstance(raw_redis, aioredis.Redis)
    memory = redis_stores.memory
    await memory.record_turn(TurnRecord(platform="twitch", channel="100", account_id="7", uid=None,
                                        display_name="Ann", user_text="my code word is PAPAYA", bot_name="Pip",
                                        reply="ok", at=1.0))
    folder = redis_server.data_dir / "appendonlydir"

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())

    for _ in range(40):  # written before Redis answers
        if b"PAPAYA" in on_disk():
            break
        await asyncio.sleep(0.1)
    assert b"PAPAYA" in on_disk()
    await memory.forget_account("twitch", "7")
    for _ in range(200):  # a rewrite another test began may run first
        if b"PAPAYA" not in on_disk():
            break
        await asyncio.sleep(0.1)
    assert b"PAPAYA" not in on_disk()


async def test_a_managed_redis_that_refuses_the_rewrite_is_asked_once() -> None:
    from redis.exceptions import ResponseError

    from bot.memory.redis.aof import AofRewrites

    class Managed:
        asked = 0

        async def info(self, section: str, **_node: Any) -> dict[str, Any]:
            return {"aof_enabled": 1}

        async def execute_command(self, *args: Any, **_node: Any) -> None:
            assert args == ("BGREWRITEAOF",)
            Managed.asked += 1
            raise ResponseError("ERR unknown command 'BGREWRITEAOF'")

    rewrites = AofRewrites(Managed(), min_gap=0)  # type: ignore[arg-type]
    for _ in range(3):
        rewrites.request()
        await asyncio.sleep(0.01)
    assert rewrites.refused and Managed.asked == 1


async def test_a_forget_while_a_rewrite_runs_gets_a_rewrite_of_its_own() -> None:
    """The running rewrite forked before this forget, so its file may still hold the words: one more is due."""
    from bot.memory.redis.aof import AofRewrites

    started: list[int] = []
    release = asyncio.Event()

    class Server:
        async def info(self, section: str, **_node: Any) -> dict[str, Any]:
            return {"aof_enabled": 1, "aof_rewrite_in_progress": 0}

        async def execute_command(self, *args: Any, **_node: Any) -> None:
            started.append(1)
            await release.wait()

    rewrites = AofRewrites(Server(), min_gap=0)  # type: ignore[arg-type]
    rewrites.request()
    for _ in range(100):
        if started:
            break
        await asyncio.sleep(0.01)
    rewrites.request()  # a second forget while the first rewrite runs
    rewrites.request()  # and a third: covered by the same next one
    release.set()
    for _ in range(100):
        if len(started) == 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert len(started) == 2
    await rewrites.aclose()
