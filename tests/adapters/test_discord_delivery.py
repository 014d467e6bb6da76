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


# --- found by reviewing the generated commands against discord.py's source


@pytest.fixture
async def dcw(app: Fireside, monkeypatch: pytest.MonkeyPatch) -> DiscordHarness:
    harness = build(app.dispatch, app.table)
    harness.capture_webhooks(monkeypatch)
    return harness


async def test_a_refusal_of_a_public_command_is_still_private(dcw: DiscordHarness) -> None:
    await dcw.slash("fireside", "persona")
    assert not dcw.answers()[-1].ephemeral  # a public answer: everyone sees who speaks
    calls = await dcw.slash("fireside", "persona")  # again within its 10 s cooldown
    # The first follow-up after a public defer would replace the public "thinking" message: delete it first.
    assert [c.method for c in calls if "@original" in c.path] == ["DELETE"]
    assert calls[-1].ephemeral and "more seconds" in calls[-1].content


async def test_mass_mentions_never_push_a_message_past_2000(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["@everyone " * 150, "and a tail. " * 40]))  # defusing adds a character to each
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> shout", mentions=(BOT_ID,)))
    assert dc.calls and all(len(c.payload["content"]) <= 2000 for c in dc.calls)
    assert not dc.final_texts()[-1].endswith("▌")


async def test_a_reply_deleted_before_it_rolls_over_sends_nothing_more(dc: DiscordHarness) -> None:
    clock = FakeClock()
    sink = DiscordReplySink(dc.channel, interval=1.0, clock=clock, sleep=clock.sleep)
    await sink.write("word " * 100)
    assert sink.live is not None
    dc.deleted.add(sink.live.id)
    await sink.write("more " * 400)  # past 2000: the finished part's edit finds the message gone
    await sink.finish()
    assert len(dc.sends) == 1


async def test_an_unanswered_confirmation_loses_its_buttons(dcw: DiscordHarness,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.adapters.discord import commands

    monkeypatch.setattr(commands, "CONFIRM_TIMEOUT", 0.2)
    await dcw.slash("fireside", "forgetme", wait=False)
    await asyncio.sleep(0.5)
    await dcw.settle()
    edits = [c for c in dcw.webhook if c.method == "PATCH"]
    assert edits and edits[-1].body["components"] == [] and "nothing was changed" in edits[-1].content


async def test_a_long_answer_is_split_and_only_an_export_is_a_file(dcw: DiscordHarness) -> None:
    from bot.adapters.discord.commands import InteractionSink

    inter = discord.Interaction(data=dcw.interaction_payload("fireside", "help"), state=dcw.state)  # type: ignore[arg-type]
    sink = InteractionSink(inter, private=True)
    await sink.write("A line of help text that goes on. " * 120)
    await sink.finish()
    parts = dcw.answers()
    assert len(parts) == 3 and all(len(p.content) <= 2000 and not p.files and p.ephemeral for p in parts)
    export = InteractionSink(inter, private=True)
    await export.write('{"uid": "' + "x" * 3000 + '"}')
    await export.finish()
    assert dcw.answers()[-1].files[0].filename == "fireside-export.json"
