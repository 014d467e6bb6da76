"""Delivery on live Discord, as discord.py 2.7.1 really behaves (read from its source): it sleeps through 429s
of up to 30 s inside an edit and raises RateLimited only past that (http.py, request); a reply to a deleted
message is a 400 unless the reference says fail_if_not_exists=false (message.py, to_reference)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.adapters.discord.client import DiscordOptions
from bot.adapters.discord.sink import DiscordReplySink
from bot.app import Fireside
from bot.errors import ConfigError
from bot.settings import load_settings
from tests.support.app import fireside_app
from tests.support.clock import FakeClock
from tests.support.discord_harness import BOT_ID, DiscordHarness, build
from tests.support.scripted_llm import Reply, ScriptedLLM


@pytest.fixture
async def app(redis_url: str, scripted: ScriptedLLM) -> AsyncIterator[Fireside]:
    async with fireside_app(scripted.base_url, redis_url=redis_url) as core:
        yield core


@pytest.fixture
async def dc(app: Fireside) -> DiscordHarness:
    return build(app.dispatch, app.table)


async def test_reply_to_a_message_deleted_meanwhile_still_arrives(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["Still ", "here!"]))
    msg = dc.message(f"<@{BOT_ID}> quick question", mentions=(BOT_ID,))
    dc.deleted.add(msg.id)  # the asker deleted it while the bot was thinking
    await dc.client.handle_message(msg)
    assert dc.final_texts() == ["Still here!"]
    assert dc.sends[0].payload["message_reference"]["fail_if_not_exists"] is False


async def test_a_long_rate_limit_still_finishes_the_message(dc: DiscordHarness) -> None:
    clock = FakeClock()
    sink = DiscordReplySink(dc.channel, interval=1.0, clock=clock, sleep=clock.sleep)
    await sink.write("Hello")
    # Past discord.py's max_ratelimit_timeout it raises RateLimited instead of sleeping, every time.
    dc.edit_errors.extend([discord.RateLimited(45.0) for _ in range(6)])
    clock.now += 1.1
    await sink.write(" world")
    await sink.finish()
    assert dc.final_texts() == ["Hello world"]  # no cursor left behind


async def test_an_edit_discord_py_is_sleeping_through_does_not_stall_the_reply(dc: DiscordHarness) -> None:
    clock = FakeClock()
    sink = DiscordReplySink(dc.channel, interval=1.0, clock=clock, sleep=clock.sleep)
    await sink.write("a")
    dc.edit_gate = asyncio.Event()  # discord.py is sleeping out a 429 inside this edit
    for piece in "bcd":
        clock.now += 1.1
        await asyncio.wait_for(sink.write(piece), 1.0)  # generation goes on meanwhile
    dc.edit_gate.set()
    await sink.finish()
    assert dc.final_texts() == ["abcd"]


async def test_a_reply_deleted_by_a_moderator_mid_stream_stops_quietly(dc: DiscordHarness) -> None:
    clock = FakeClock()
    sink = DiscordReplySink(dc.channel, interval=1.0, clock=clock, sleep=clock.sleep)
    await sink.write("first words")
    assert sink.live is not None
    dc.deleted.add(sink.live.id)
    clock.now += 1.1
    await sink.write(" and more")
    await sink.finish()  # no exception, no apology posted
    assert len(dc.sends) == 1


async def test_failure_to_send_anything_is_logged_not_raised(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    forbidden = discord.Forbidden(MagicMock(status=403, reason="Forbidden"), {"code": 50013,
                                                                             "message": "Missing Permissions"})
    dc.state.http.send_message = AsyncMock(side_effect=forbidden)
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> hi", mentions=(BOT_ID,)))  # nothing escapes


def test_shard_ids_need_a_shard_count() -> None:
    with pytest.raises(ConfigError, match="FIRESIDE_DISCORD__SHARD_COUNT"):
        load_settings(discord={"token": "x", "shard_ids": [0, 1]})
    with pytest.raises(ConfigError, match="FIRESIDE_DISCORD__SHARD_IDS"):
        load_settings(discord={"token": "x", "shard_ids": [0, 4], "shard_count": 2})


async def test_unreachable_sync_guild_is_a_settings_error(app: Fireside) -> None:
    dc = build(app.dispatch, app.table, DiscordOptions(sync_guild=123))
    dc.state.application_id = BOT_ID
    missing_access = discord.Forbidden(MagicMock(status=403, reason="Forbidden"), {"code": 50001,
                                                                                  "message": "Missing Access"})
    dc.state.http.bulk_upsert_guild_commands = AsyncMock(side_effect=missing_access)
    with pytest.raises(ConfigError, match="FIRESIDE_DISCORD__SYNC_GUILD=123"):
        await dc.client.setup_hook()
