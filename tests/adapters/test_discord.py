"""The Discord adapter from the user's side: real discord.Message objects pushed through our client, the real
core (scripted model, real Redis), and the sends and edits read back from the mocked HTTP client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.client import DiscordOptions
from bot.adapters.discord.sink import DiscordReplySink
from bot.adapters.discord.translate import Policy
from bot.app import Fireside
from bot.settings import load_settings
from tests.support.app import fireside_app
from tests.support.cards import ADULT_ONLY_PERSONA
from tests.support.clock import FakeClock
from tests.support.discord_harness import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    DiscordHarness,
    build,
    http_429,
    thread_payload,
    user_payload,
)
from tests.support.scripted_llm import Reply, ScriptedLLM

NO_PINGS = {"parse": []}


@pytest.fixture
async def app(redis_url: str, scripted: ScriptedLLM) -> AsyncIterator[Fireside]:
    async with fireside_app(scripted.base_url, redis_url=redis_url) as core:
        core.channel_settings.ttl = 0  # tests change settings behind the cache's back
        yield core


@pytest.fixture
async def dc(app: Fireside, monkeypatch: pytest.MonkeyPatch) -> DiscordHarness:
    harness = build(app.dispatch, app.table)
    harness.capture_webhooks(monkeypatch)
    return harness


async def test_mention_gets_a_streamed_reply(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["Hi ", "Alice! ", "Welcome."]))
    msg = dc.message(f"<@{BOT_ID}> hello there", mentions=(BOT_ID,))
    await dc.client.handle_message(msg)
    assert dc.final_texts() == ["Hi Alice! Welcome."]
    first = dc.sends[0].payload
    assert first["message_reference"]["message_id"] == msg.id  # a reply, threaded to the asker
    assert first["allowed_mentions"] == {"parse": [], "replied_user": False}  # mention_author=False
    assert scripted.requests[0].body["messages"][-2]["content"] == "Alice: hello there"  # the mention is gone
    dc.state.http.send_typing.assert_awaited()  # typing while waiting for the first token


async def test_reply_to_the_bot_and_dm_trigger(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    bot_msg = dc.payload_of(dc.message("earlier", author=(BOT_ID, "Fireside"), bot=True))
    await dc.client.handle_message(dc.message("and then?", reply_to=bot_msg))
    await dc.client.handle_message(dc.message("psst", dm=True))
    assert len(dc.sends) == 2
    assert dc.sends[1].channel_id == 77


async def test_other_messages_are_ignored(dc: DiscordHarness, app: Fireside) -> None:
    await dc.client.handle_message(dc.message("just chatting"))  # not addressed
    await dc.client.handle_message(dc.message("@everyone hi", mention_everyone=True))  # @everyone is no address
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> hi", mentions=(BOT_ID,), author=(8, "OtherBot"),
                                              bot=True))
    await dc.client.handle_message(dc.message("me", author=(BOT_ID, "Fireside"), bot=True))
    assert dc.calls == []


async def test_dms_can_be_switched_off_and_bots_allowed(app: Fireside) -> None:
    dc = build(app.dispatch, app.table, DiscordOptions(policy=Policy(dms=False, respond_to_bots=True)))
    dc.state.loop = asyncio.get_running_loop()
    await dc.client.handle_message(dc.message("psst", dm=True))
    assert dc.calls == []
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> hi", mentions=(BOT_ID,), author=(8, "Helper"), bot=True))
    assert len(dc.sends) == 1


async def test_open_channel_answers_every_message(app: Fireside) -> None:
    await app.memory.set_channel_setting("discord", "10", "free", "1")
    dc = build(app.dispatch, app.table, DiscordOptions(message_content=True))
    await dc.client.handle_message(dc.message("anyone around?"))
    assert len(dc.sends) == 1
    closed = build(app.dispatch, app.table)
    await app.memory.set_channel_setting("discord", "10", "free", None)
    await closed.client.handle_message(closed.message("and here?"))
    assert closed.calls == []


async def test_reply_chain_is_context(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    question = dc.payload_of(dc.message("Which game should I play?", author=(9, "Bob")))
    bot_answer = {**dc.payload_of(dc.message("Try Celeste.", author=(BOT_ID, "Fireside"), bot=True)),
                  "type": 19, "message_reference": {"message_id": question["id"], "channel_id": "10"},
                  "referenced_message": question}
    await dc.client.handle_message(dc.message("why that one?", reply_to=bot_answer))
    last = scripted.requests[0].body["messages"]
    context = last[-1]["content"]
    assert 'Alice is replying to Fireside: "Try Celeste."' in context
    assert 'Alice is replying to Bob: "Which game should I play?"' in context
    assert context.index("Bob") < context.index("Fireside")  # oldest first


async def test_deleted_referenced_message(dc: DiscordHarness) -> None:
    await dc.client.handle_message(dc.message("replying to something gone", reply_to=None))
    assert dc.calls == []  # not addressed, and no crash
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> what was that?", mentions=(BOT_ID,), reply_to=None))
    assert len(dc.sends) == 1


async def test_long_reply_splits_at_2000(app: Fireside, dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    # The narrator: no sentence limit (the default sidekick stops at three).
    await app.stores.memory.set_channel_setting("discord", str(CHANNEL_ID), "persona", "narrator")
    sentence = "This sentence is about forty characters. "
    scripted.script(Reply([sentence] * 120))  # ~4900 characters
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> tell me everything", mentions=(BOT_ID,)))
    finals = dc.final_texts()
    assert len(finals) == 3 and all(len(t) <= 2000 for t in finals)
    assert all(t.endswith("characters.") for t in finals)  # cut at sentence boundaries, no cursor left
    assert "".join(finals).count("forty") == 120


async def test_allowed_mentions_on_every_call_and_injection_neutralised(
        dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["Hey @everyone and @here, ", "ping <@&123> and <@456>! ", "ok."] * 3))
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> say hi to all", mentions=(BOT_ID,)))
    assert dc.calls
    for call in dc.calls:
        assert call.payload["allowed_mentions"]["parse"] == []
        text = call.payload["content"]
        assert "@everyone" not in text and "@here" not in text and "<@&" not in text and "<@456>" not in text


async def test_429_slows_the_cadence_instead_of_failing(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["word "] * 60, delay=0.03))
    dc.edit_errors.extend([http_429(), http_429()])
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> count", mentions=(BOT_ID,)))
    assert dc.final_texts() == [("word " * 60).strip()]


# --- the sink alone, under a fake clock



async def test_edit_cadence_under_a_fake_clock(dc: DiscordHarness) -> None:
    clock = FakeClock()
    sink = DiscordReplySink(dc.channel, interval=1.0, clock=clock, sleep=clock.sleep)
    await sink.start("Pip")
    for i in range(30):  # a token every 0.1 s for 3 s
        await sink.write(f"t{i} ")
        await asyncio.sleep(0)  # the model stream yields between tokens; edits run beside it
        clock.now += 0.1
    assert len(dc.sends) == 1 and 2 <= len(dc.edits) <= 3  # about one edit a second, not 30
    assert all(e.payload["content"].endswith(" ▌") for e in dc.edits)  # still being written
    await sink.finish()
    assert not dc.final_texts()[-1].endswith("▌")


async def test_rate_limit_doubles_the_interval(dc: DiscordHarness) -> None:
    clock = FakeClock()
    sink = DiscordReplySink(dc.channel, interval=1.0, clock=clock, sleep=clock.sleep)
    await sink.write("a")
    dc.edit_errors.append(discord.RateLimited(3.0))
    clock.now += 1.5
    await sink.write("b")
    await asyncio.sleep(0)  # the edit runs beside the stream
    assert sink.interval == 3.0 and sink.rate_limited == 1
    clock.now += 1.0
    await sink.write("c")
    assert not dc.edits  # waits out the longer interval
    clock.now += 3.0
    await sink.write("d")
    await sink.finish()
    assert dc.final_texts() == ["abcd"]


async def test_failure_after_partial_reply_is_shown_in_place(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["Once upon a time! ", "There was ", "never"], cut_after=2))
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> story", mentions=(BOT_ID,)))
    [text] = dc.final_texts()
    assert text.startswith("Once upon a time!") and text.endswith("moment.*") and "▌" not in text


# --- slash commands, through the real CommandTree from interaction payloads

ADMIN = discord.Permissions(manage_guild=True)


async def test_admin_sets_persona_and_members_cannot(dc: DiscordHarness, raw_redis: aioredis.Redis) -> None:
    calls = await dc.slash("fireside-admin", "persona", {"name": "critic"}, perms=ADMIN)
    assert calls[0].path.endswith("/callback") and calls[0].body["type"] == 5  # deferred within 3 s
    [answer] = dc.answers()
    assert "Marlowe will speak in this channel" in answer.content and not answer.ephemeral  # everyone sees it
    assert answer.body["allowed_mentions"] == NO_PINGS
    assert await raw_redis.hget("fs:{c:discord:10}:settings", "persona") == "critic"
    # A member: Discord hides the admin group, but a server may override that; the check in code still holds.
    denied = await dc.slash("fireside-admin", "persona", {"name": "narrator"}, perms=discord.Permissions.none())
    assert denied[-1].body["type"] == 4 and denied[-1].ephemeral
    assert "Manage Server" in denied[-1].content
    assert await raw_redis.hget("fs:{c:discord:10}:settings", "persona") == "critic"
    shown = await dc.slash("fireside", "persona")  # members can ask who speaks
    assert "Marlowe" in shown[-1].content


async def test_server_wide_persona_is_inherited(dc: DiscordHarness, scripted: ScriptedLLM,
                                                raw_redis: aioredis.Redis) -> None:
    await dc.slash("fireside-admin", "persona", {"name": "narrator", "server": True}, perms=ADMIN)
    assert "Ember will speak in this server" in dc.answers()[-1].content
    assert await raw_redis.hget("fs:{s:discord:1}:settings", "persona") == "narrator"
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> tell a tale", mentions=(BOT_ID,)))
    assert scripted.requests[-1].body["messages"][0]["content"].startswith("You are Ember")


async def test_admin_group_is_protected_in_discord_and_in_code(dc: DiscordHarness) -> None:
    from discord import app_commands

    groups = {c.name: c for c in dc.client.tree.get_commands()}
    admin = groups["fireside-admin"]
    assert isinstance(admin, app_commands.Group)
    assert admin.default_permissions is not None and admin.default_permissions.manage_guild and admin.guild_only
    for command in admin.commands:
        assert command.checks, f"{command.name} has no permission check"
    member_facing = {c.name for c in groups["fireside"].commands}  # type: ignore[union-attr]
    assert {"memory", "forgetme", "optout", "optin", "export", "link", "unlink", "persona", "help"} <= member_facing
    assert {"open", "close", "on", "off", "cadence", "settings", "forget", "reload", "audit", "persona"} <= {
        c.name for c in admin.commands}


async def test_open_needs_the_message_content_intent(dc: DiscordHarness, raw_redis: aioredis.Redis) -> None:
    await dc.slash("fireside-admin", "open", perms=ADMIN)
    answer = dc.answers()[-1]
    assert "Message Content intent" in answer.content and "FIRESIDE_DISCORD__MESSAGE_CONTENT" in answer.content
    assert await raw_redis.hget("fs:{c:discord:10}:settings", "free") is None


async def test_open_close_on_off_cadence_settings(app: Fireside, monkeypatch: pytest.MonkeyPatch,
                                                  scripted: ScriptedLLM) -> None:
    dc = build(app.dispatch, app.table, DiscordOptions(message_content=True))
    dc.capture_webhooks(monkeypatch)

    async def run(command: str, **options: Any) -> str:
        await dc.slash("fireside-admin", command, options or None, perms=ADMIN)
        return dc.answers()[-1].content

    assert "every message" in await run("open")
    await dc.client.handle_message(dc.message("anyone around?"))  # unaddressed: answered in an open channel
    assert len(dc.sends) == 1
    assert "Answers: every message" in await run("settings")
    assert "every 2.5 s" in await run("cadence", seconds=2.5)
    assert "between 0.5 and 10" in await run("cadence", seconds=99.0)
    assert "cadence: 2.5 s" in await run("settings")
    assert "off in this channel" in await run("off")
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> still there?", mentions=(BOT_ID,)))
    assert len(dc.sends) == 1  # switched off: chat is ignored
    assert "back on" in await run("on")
    assert "only answer" in await run("close")
    await dc.client.handle_message(dc.message("and now?"))
    assert len(dc.sends) == 1


async def test_memory_privately_and_forget_a_user(dc: DiscordHarness, raw_redis: aioredis.Redis) -> None:
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> I'm Alice", mentions=(BOT_ID,)))
    await dc.slash("fireside", "memory")
    answer = dc.answers()[-1]
    assert "We've talked 1 times" in answer.content and answer.ephemeral  # private: only Alice sees it
    await dc.slash("fireside-admin", "forget", {"user": "7"}, perms=ADMIN, user=(1, "Mod"),
                   resolved={"users": {"7": user_payload(7, "Alice")}})
    assert "forgotten everything" in dc.answers()[-1].content
    assert not [k async for k in raw_redis.scan_iter(match="fs:{u:*") if not k.endswith(":gone")]
    assert await raw_redis.lrange("fs:{c:discord:10}:hist", 0, -1) == []
    await dc.slash("fireside", "memory", user=(7, "Alice"), perms=ADMIN)  # past the 30 s cooldown: as a mod
    assert "don't remember" in dc.answers()[-1].content
    await dc.slash("fireside-admin", "audit", perms=ADMIN, user=(1, "Mod"))
    assert "Mod ran forget" in dc.answers()[-1].content  # every admin action is in the audit log


async def test_forgetme_asks_with_buttons(dc: DiscordHarness, raw_redis: aioredis.Redis) -> None:
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> remember me", mentions=(BOT_ID,)))
    await dc.slash("fireside", "forgetme", wait=False)
    question = dc.answers()[-1]
    assert "erases everything" in question.content and question.ephemeral
    assert [b["custom_id"] for row in question.body["components"] for b in row["components"]] == [
        "fireside:confirm", "fireside:cancel"]
    await dc.click(question, "fireside:cancel")
    await dc.settle()
    assert dc.webhook[-1].body["type"] == 7 and "nothing was changed" in dc.webhook[-1].content  # edits the question
    assert [k async for k in raw_redis.scan_iter(match="fs:{u:*")]  # still remembered
    await dc.slash("fireside", "forgetme", wait=False)
    await dc.click(dc.answers()[-1], "fireside:confirm")
    await dc.settle()
    assert "forgotten everything" in dc.answers()[-1].content
    assert not [k async for k in raw_redis.scan_iter(match="fs:{u:*") if not k.endswith(":gone")]


async def test_long_export_arrives_as_a_private_file(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    for i in range(3):  # within one viewer's burst
        await dc.client.handle_message(dc.message(f"<@{BOT_ID}> message number {i} " + "x" * 900,
                                                  mentions=(BOT_ID,)))
    await dc.slash("fireside", "export")
    answer = dc.answers()[-1]
    assert answer.ephemeral and answer.files and answer.files[0].filename == "fireside-export.json"


async def test_optout_and_optin_are_on_discord(dc: DiscordHarness, raw_redis: aioredis.Redis) -> None:
    await dc.slash("fireside", "optout", wait=False)
    await dc.click(dc.answers()[-1], "fireside:confirm")
    await dc.settle()
    assert "won't store anything" in dc.answers()[-1].content
    assert await raw_redis.sismember("fs:optout", "discord:7")
    await dc.slash("fireside", "optin")
    assert "Welcome back" in dc.answers()[-1].content


async def test_persona_autocomplete_caps_at_25(app: Fireside, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"p{i}" for i in range(40)]
    dc = build(app.dispatch, app.table, persona_names=lambda: names)
    dc.capture_webhooks(monkeypatch)
    await dc.slash("fireside-admin", "persona", {"name": "p"}, perms=ADMIN, focused="name")
    choices = dc.webhook[-1].body["data"]["choices"]
    assert dc.webhook[-1].body["type"] == 8 and len(choices) == 25 and choices[0]["value"] == "p0"
    await dc.slash("fireside-admin", "persona", {"name": "p39"}, perms=ADMIN, focused="name")
    assert [c["value"] for c in dc.webhook[-1].body["data"]["choices"]] == ["p39"]


async def test_bad_option_values_get_a_clear_private_error(dc: DiscordHarness, raw_redis: aioredis.Redis) -> None:
    await dc.slash("fireside-admin", "persona", {"name": "no-such-persona"}, perms=ADMIN)
    answer = dc.answers()[-1]
    assert "no-such-persona" in answer.content and answer.ephemeral
    assert await raw_redis.hget("fs:{c:discord:10}:settings", "persona") is None


# --- start-up

async def test_run_with_no_platform_configured_says_what_to_set(redis_url: str, scripted: ScriptedLLM) -> None:
    from bot.errors import ConfigError
    from bot.run import run

    settings = load_settings(redis={"url": redis_url}, llm={"base_url": scripted.base_url, "model": "scripted"})
    with pytest.raises(ConfigError, match="FIRESIDE_DISCORD__TOKEN"):
        await run(settings, progress=lambda _m: None)


async def test_refused_token_names_the_setting(redis_url: str, scripted: ScriptedLLM,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.adapters.discord.client import FiresideDiscord
    from bot.errors import ConfigError
    from bot.run import run

    async def refuse(self: FiresideDiscord, token: str, *, reconnect: bool = True) -> None:
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(FiresideDiscord, "start", refuse)
    settings = load_settings(redis={"url": redis_url}, llm={"base_url": scripted.base_url, "model": "scripted"},
                             discord={"token": "not-a-real-token"})
    with pytest.raises(ConfigError) as err:
        await run(settings, progress=lambda _m: None)
    assert "FIRESIDE_DISCORD__TOKEN was refused" in str(err.value) and "not-a-real-token" not in str(err.value)


async def test_sharding_settings_reach_the_client(app: Fireside) -> None:
    from bot.adapters.discord.runner import build_client
    from bot.settings import DiscordSettings

    client = build_client(DiscordSettings(token="x", shard_ids=[2, 3], shard_count=8), app.dispatch, app.table,
                          app.personas.registry.names, app.personas.registry.lorebook_names)
    assert client.shard_ids == [2, 3] and client.shard_count == 8
    assert client.intents.message_content is False
    assert client.allowed_mentions is not None and client.allowed_mentions.everyone is False


def test_no_test_reaches_the_network() -> None:
    import socket

    with socket.socket() as s, pytest.raises(ConnectionRefusedError, match="only loopback"):
        s.connect(("192.0.2.1", 443))  # TEST-NET: refused by our guard before any packet leaves
    with pytest.raises(socket.gaierror, match="only loopback"):
        socket.getaddrinfo("discord.com", 443)  # no name lookups leave the machine either


async def test_a_story_on_discord_with_vote_buttons(dc: DiscordHarness, app: Fireside, scripted: ScriptedLLM,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import deque

    app.outlets.register("discord", dc.client.open_outlet, places=dc.client.open_thread, tally=dc.client.show_tally)
    app.stories.max_scenes, app.stories.tick, app.stories.tally_every = 2, 0.02, 0.05
    scripted.script(Reply(["A ship rocks in the harbour. ", "Gulls cry."]), Reply(["You sail away. The end."]))
    scripted.json_by_name["choices"] = deque([json.dumps({"choices": [
        {"label": "Board", "text": "Board the ship."}, {"label": "Stay", "text": "Stay on the pier."}]})])
    await dc.slash("fireside-admin", "story", {"premise": "A harbour town"}, perms=ADMIN)
    # The story opens a public thread (type 11) in the channel, and plays out there.
    assert len(dc.threads) == 1 and dc.threads[0]["type"] == 11 and dc.threads[0]["name"] == "Pip: a story"
    for _ in range(500):
        if dc.final_texts() and dc.final_texts()[-1].endswith("2. Stay on the pier."):
            break
        await asyncio.sleep(0.02)
    scene = next(c for c in reversed(dc.calls) if c.payload.get("components"))
    thread_id = scene.channel_id
    assert thread_id != CHANNEL_ID and all(c.channel_id == thread_id for c in dc.calls)
    answer = dc.answers()[-1]
    assert "A story begins" in answer.content and f"It plays out in <#{thread_id}>." in answer.content
    assert not answer.ephemeral
    thread = thread_payload(thread_id, CHANNEL_ID, "Pip: a story")
    assert dc.final_texts()[-1].startswith("A ship rocks in the harbour.")
    await dc.slash("fireside", "vote", {"choice": 1}, user=(12, "Flo"))  # in the channel, not the thread
    assert f"The story runs in its thread <#{thread_id}>" in dc.answers()[-1].content
    busy = await dc.slash("fireside-admin", "story", {"premise": "Another"}, perms=ADMIN)
    assert "already running in this channel's thread" in busy[-1].content and len(dc.threads) == 1
    buttons = [b for row in scene.payload["components"] for b in row["components"]]
    assert [(b["custom_id"], b["label"]) for b in buttons] == [("fireside:vote:1:1", "1. Board"),
                                                               ("fireside:vote:1:2", "2. Stay")]
    await dc.click(scene, "fireside:vote:1:2", user=(8, "Bea"), channel=thread)
    await dc.settle()
    assert dc.answers()[-1].ephemeral and "Your vote: 2" in dc.answers()[-1].content

    def labels_shown() -> list[tuple[str, bool]]:
        edited = [c for c in dc.edits if c.message_id == scene.message_id and c.payload.get("components")]
        if not edited:
            return []
        return [(b["label"], b.get("disabled", False)) for row in edited[-1].payload["components"]
                for b in row["components"]]

    for _ in range(500):  # the live tally is edited into the buttons
        if labels_shown() == [("1. Board · 0", False), ("2. Stay · 1", False)]:
            break
        await asyncio.sleep(0.02)
    assert labels_shown() == [("1. Board · 0", False), ("2. Stay · 1", False)]
    # The bot restarts: a new client, the same message, the same button still votes.
    again = build(app.dispatch, app.table)
    again.capture_webhooks(monkeypatch)
    await again.click(scene, "fireside:vote:1:1", user=(9, "Cy"), channel=thread)
    await again.settle()
    assert "Your vote: 1" in again.answers()[-1].content
    dc.capture_webhooks(monkeypatch)  # answers are recorded by the harness that patched last
    await dc.slash("fireside", "vote", {"choice": 1}, user=(10, "Di"), channel=thread)  # the slash command votes too
    assert "Your vote: 1" in dc.answers()[-1].content
    await dc.slash("fireside-admin", "skipvote", perms=ADMIN, channel=thread)
    for _ in range(500):
        if dc.final_texts()[-1].endswith("*The End.*"):
            break
        await asyncio.sleep(0.02)
    assert "The audience chose (2 of 3 votes): 1. Board the ship." in dc.final_texts()
    for _ in range(500):  # the final count, greyed out, is edited in beside the next scene
        if labels_shown() == [("1. Board · 2", True), ("2. Stay · 1", True)]:
            break
        await asyncio.sleep(0.02)
    assert labels_shown() == [("1. Board · 2", True), ("2. Stay · 1", True)]
    assert dc.final_texts()[-1].endswith("*The End.*")
    await dc.click(scene, "fireside:vote:1:2", user=(11, "Ed"), channel=thread)  # a button of a story that has ended
    await dc.settle()
    assert "No story is running here" in dc.answers()[-1].content and dc.answers()[-1].ephemeral
    await dc.slash("fireside", "transcript", user=(8, "Bea"), channel=thread)  # the ended story, as a Markdown file
    exported = [a for a in dc.answers() if a.files]
    assert exported[-1].ephemeral and exported[-1].files[0].filename.endswith(".md")
    text = exported[-1].files[0].fp.getvalue().decode("utf-8")
    assert text.startswith("# A story, told by") and "A ship rocks in the harbour." in text
    assert "The audience chose (2 of 3 votes): 1. Board the ship." in text and "You sail away" in text


async def test_a_story_stays_in_the_channel_where_the_bot_may_not_open_threads(
        dc: DiscordHarness, app: Fireside, scripted: ScriptedLLM, caplog: pytest.LogCaptureFixture) -> None:
    from collections import deque
    from unittest.mock import MagicMock

    app.outlets.register("discord", dc.client.open_outlet, places=dc.client.open_thread)
    app.stories.tick = 0.02
    scripted.json_by_name["choices"] = deque([json.dumps({"choices": [
        {"label": "Board", "text": "Board the ship."}, {"label": "Stay", "text": "Stay on the pier."}]})])
    dc.thread_error = discord.Forbidden(MagicMock(status=403, reason="Forbidden"),
                                        {"code": 50013, "message": "Missing Permissions"})
    await dc.slash("fireside-admin", "story", {"premise": "A harbour town"}, perms=ADMIN)
    answer = dc.answers()[-1].content
    assert "A story begins" in answer and "plays out in" not in answer
    assert "could not open a thread" in caplog.text and "Missing Permissions" in caplog.text
    for _ in range(500):
        if dc.final_texts() and dc.final_texts()[-1].endswith("2. Stay on the pier."):
            break
        await asyncio.sleep(0.02)
    assert {c.channel_id for c in dc.calls} == {CHANNEL_ID}
    await dc.slash("fireside", "vote", {"choice": 2}, user=(12, "Flo"))
    assert "Your vote: 2" in dc.answers()[-1].content


async def test_a_story_cast_speaks_under_its_own_names_through_a_webhook(
        dc: DiscordHarness, app: Fireside, scripted: ScriptedLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import deque

    dc.allow_webhooks()
    app.outlets.register("discord", dc.client.open_outlet, places=dc.client.open_thread, tally=dc.client.show_tally)
    app.stories.max_scenes, app.stories.tick, app.stories.tally_every = 2, 0.02, 0.05
    scripted.script(Reply(["The door creaks open.\n", "Mi", "ra: Who goes ", "there?\n",
                           "**Old Tom:** Only me.\n", "The wind answers for them both."]))
    scripted.json_by_name["choices"] = deque([json.dumps({"choices": [
        {"label": "Enter", "text": "Step inside."}, {"label": "Run", "text": "Run for the hills."}]})])
    await dc.slash("fireside-admin", "story", {"premise": "A door in the rock"}, perms=ADMIN)
    for _ in range(500):
        if any(c.body.get("components") for c in dc.voiced):
            break
        await asyncio.sleep(0.02)
    posts = [c for c in dc.voiced if c.method == "POST"]
    shown: dict[str, str] = {}
    for call in dc.voiced:  # what each webhook message shows at the end
        if "content" in call.body:
            shown[call.body["id"]] = call.body["content"]
    said = [(p.body["username"], shown[p.body["id"]]) for p in posts]
    assert said == [("Pip", "The door creaks open."), ("Mira", "Who goes there?"), ("Old Tom", "Only me."),
                    ("Pip", "The wind answers for them both.\n\n1. Step inside.\n2. Run for the hills.")]
    final = next(c for c in reversed(dc.voiced) if c.body.get("components"))
    assert final.body["id"] == posts[-1].body["id"]  # the buttons sit under the narrator's choices
    assert not dc.calls  # nothing went out as the bot's own message in the thread
    running = await app.stores.stories.running()
    story = await app.stores.stories.load(*running[0])
    assert story is not None and story.characters == ("Mira", "Old Tom")  # kept in the story's state
    # A vote, then the live tally is edited into the narrator's webhook message.
    running = await app.stores.stories.running()
    await app.stories.vote("discord", running[0][1], "discord:8", 2)
    for _ in range(500):
        tallies = [c for c in dc.voiced if c.method == "PATCH" and c.body.get("components")
                   and "· 1" in json.dumps(c.body["components"], ensure_ascii=False)]
        if tallies:
            break
        await asyncio.sleep(0.02)
    assert tallies and tallies[-1].path.endswith(f"/messages/{final.body['id']}")


async def test_a_four_scene_story_on_discord_played_to_its_end_by_buttons(
        dc: DiscordHarness, app: Fireside, scripted: ScriptedLLM) -> None:
    from collections import deque

    app.outlets.register("discord", dc.client.open_outlet, places=dc.client.open_thread, tally=dc.client.show_tally)
    app.stories.max_scenes, app.stories.tick = 4, 0.02
    scripted.script(*(Reply([f"Scene {n} unfolds."]) for n in range(1, 5)))
    scripted.json_by_name["choices"] = deque([json.dumps({"choices": [
        {"label": f"Left {n}", "text": f"Go left {n}."}, {"label": f"Right {n}", "text": f"Go right {n}."}]})
        for n in range(1, 4)])
    await dc.slash("fireside-admin", "story", {"premise": "A maze"}, perms=ADMIN)
    thread: dict[str, Any] | None = None
    for n in range(1, 4):
        for _ in range(750):
            if dc.final_texts() and dc.final_texts()[-1].endswith(f"2. Go right {n}."):
                break
            await asyncio.sleep(0.02)
        scene = next(c for c in reversed(dc.calls) if c.payload.get("components"))
        thread = thread or thread_payload(scene.channel_id, CHANNEL_ID, "Pip: a story")
        assert dc.final_texts()[-1].startswith(f"Scene {n} unfolds.")
        # Two viewers press "right", a third "left" and then changes their mind: right wins 3 to 0.
        for user, choice in (((20, "Ann"), 2), ((21, "Bo"), 2), ((22, "Cy"), 1), ((22, "Cy"), 2)):
            await dc.click(scene, f"fireside:vote:{n}:{choice}", user=user, channel=thread)
            await dc.settle()
        await dc.slash("fireside-admin", "skipvote", perms=ADMIN, channel=thread)
        for _ in range(750):
            if f"The audience chose (3 of 3 votes): 2. Go right {n}." in dc.final_texts():
                break
            await asyncio.sleep(0.02)
        assert f"The audience chose (3 of 3 votes): 2. Go right {n}." in dc.final_texts()
    for _ in range(750):
        if dc.final_texts()[-1].endswith("*The End.*"):
            break
        await asyncio.sleep(0.02)
    assert dc.final_texts()[-1] == "Scene 4 unfolds.\n\n*The End.*"
    story = (await app.stores.stories.load("discord", str(thread["id"] if thread else "")))
    assert story is not None and story.status == "ended" and story.path == ("Go right 1.", "Go right 2.", "Go right 3.")


async def test_a_deleted_story_webhook_falls_back_to_the_bot_and_is_made_again(
        dc: DiscordHarness, app: Fireside, scripted: ScriptedLLM) -> None:
    from collections import deque

    dc.allow_webhooks()
    dc.webhook_deleted = True  # made earlier, then deleted under Integrations
    app.outlets.register("discord", dc.client.open_outlet, places=dc.client.open_thread)
    app.stories.tick = 0.02
    scripted.script(Reply(["A bell rings."]))
    scripted.json_by_name["choices"] = deque([json.dumps({"choices": [
        {"label": "Ring", "text": "Ring it back."}, {"label": "Hide", "text": "Hide."}]})])
    await dc.slash("fireside-admin", "story", {"premise": "A bell tower"}, perms=ADMIN)
    for _ in range(300):
        if dc.final_texts() and dc.final_texts()[-1].endswith("2. Hide."):
            break
        await asyncio.sleep(0.02)
    assert dc.final_texts()[-1] == "A bell rings.\n\n1. Ring it back.\n2. Hide."  # said by the bot itself
    assert not dc.voiced
    assert not dc.client.voices._hooks  # forgotten: the next scene finds or makes one again


async def test_links_the_model_writes_are_defanged_unless_allowed(dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    said = "Grab [free nitro](https://evil.example/gift) and join discord.gg/raid. Guide: https://wiki.example.org/a"
    scripted.script(Reply([said]), Reply([said]))
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> any tips?", mentions=(BOT_ID,)))
    first = dc.final_texts()[-1]
    assert "://" not in first and "evil.example" not in first and "discord.gg" not in first
    assert "free nitro" in first and "wiki[.]example[.]org/a" in first
    answer = (await dc.slash("fireside-admin", "links", {"sites": "example.org"}, perms=ADMIN))[-1]
    assert "may link to example.org now" in answer.content
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> and now?", mentions=(BOT_ID,)))
    second = dc.final_texts()[-1]
    assert "https://wiki.example.org/a" in second and "evil[.]example" not in second and "discord[.]gg/raid" in second
    refused = (await dc.slash("fireside-admin", "links", {"sites": "not a host!"}, perms=ADMIN))[-1]
    assert refused.ephemeral and "is not a host" in refused.content


async def test_a_flood_from_one_user_costs_a_few_model_calls_and_never_starves_another(
        dc: DiscordHarness, scripted: ScriptedLLM) -> None:
    scripted.default = Reply(["ok"], delay=0.01)
    flood = [dc.client.handle_message(dc.message(f"<@{BOT_ID}> spam {n}", mentions=(BOT_ID,))) for n in range(50)]
    other = dc.client.handle_message(dc.message(f"<@{BOT_ID}> hello, I'm new", author=(8, "Bea"), mentions=(BOT_ID,)))
    await asyncio.gather(*flood, other)
    asked = [r.body["messages"][-2]["content"] for r in scripted.requests]
    assert "Bea: hello, I'm new" in asked  # the other viewer is answered
    assert sum(a.startswith("Alice: spam") for a in asked) <= 3  # the flooder's burst, then nothing
    busy = [t for t in dc.final_texts() if "one at a time" in t.lower()]
    assert len(busy) <= 1  # at most one short in-character word about it
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}>   ", mentions=(BOT_ID,), author=(9, "Cy")))
    assert not any(a.startswith("Cy:") for a in (r.body["messages"][-2]["content"] for r in scripted.requests))


async def test_a_turn_in_flight_when_its_author_is_forgotten_stores_nothing(
        dc: DiscordHarness, scripted: ScriptedLLM, raw_redis: aioredis.Redis) -> None:
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> hi, I'm Alice", mentions=(BOT_ID,)))
    scripted.script(Reply(["Noted ", "your ", "address."], delay=0.3))
    turn = asyncio.ensure_future(dc.client.handle_message(
        dc.message(f"<@{BOT_ID}> my address is 12 Elm St", mentions=(BOT_ID,))))
    await asyncio.sleep(0.2)  # the model is writing the reply when a moderator forgets Alice
    await dc.slash("fireside-admin", "forget", {"user": "7"}, perms=ADMIN, user=(1, "Mod"),
                   resolved={"users": {"7": user_payload(7, "Alice")}})
    await turn
    assert dc.final_texts()[-1] == "Noted your address."  # she still got her reply
    keys = [k async for k in raw_redis.scan_iter(match="*") if not k.endswith(":gone")]
    stored = " ".join([*keys, *[str(v) for k in keys if await raw_redis.type(k) == "list"
                                for v in await raw_redis.lrange(k, 0, -1)]])
    assert "Elm" not in stored and "Alice" not in stored and not [k for k in keys if k.startswith("fs:{u:")]


async def test_a_message_deleted_on_discord_leaves_the_history_with_the_reply_to_it(
        app: Fireside, dc: DiscordHarness, raw_redis: aioredis.Redis) -> None:
    dc.client.moderation = app.moderation
    kept = dc.message(f"<@{BOT_ID}> hello", mentions=(BOT_ID,))
    doxx = dc.message(f"<@{BOT_ID}> Bea lives at 12 Elm St", author=(8, "Mallory"), mentions=(BOT_ID,))
    await dc.client.handle_message(kept)
    await dc.client.handle_message(doxx)
    # As the gateway delivers it: ids only, for a message the cache may not hold (discord/raw_models.py:102).
    await dc.client.on_raw_message_delete(discord.RawMessageDeleteEvent(
        {"id": str(doxx.id), "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID)}))
    lines = [json.loads(x)["t"] for x in await raw_redis.lrange(f"fs:{{c:discord:{CHANNEL_ID}}}:hist", 0, -1)]
    assert lines == ["hello", "Hello there!"]


async def test_an_adult_only_persona_speaks_in_age_restricted_channels_only(
        redis_url: str, scripted: ScriptedLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "personas"
    mine.mkdir()
    (mine / "velvet.yaml").write_text(ADULT_ONLY_PERSONA)
    async with fireside_app(scripted.base_url, redis_url=redis_url, chat={"persona_dir": mine}) as app:
        app.channel_settings.ttl = 0
        dc = build(app.dispatch, app.table)
        dc.capture_webhooks(monkeypatch)
        refused = (await dc.slash("fireside-admin", "persona", {"name": "velvet"}, perms=ADMIN))[-1]
        assert "for channels marked for adults only" in refused.content
        dc.channel.nsfw = True  # the channel made age-restricted in Discord (TextChannel.is_nsfw)
        chosen = (await dc.slash("fireside-admin", "persona", {"name": "velvet"}, perms=ADMIN))[-1]
        assert "Velvet will speak" in chosen.content
        await dc.client.handle_message(dc.message(f"<@{BOT_ID}> evening!", mentions=(BOT_ID,)))
        assert dc.final_texts()[-1] == "Hello there!"
        dc.channel.nsfw = False
        await dc.client.handle_message(dc.message(f"<@{BOT_ID}> still there?", mentions=(BOT_ID,)))
        assert "Velvet only speaks in channels marked for adults" in dc.final_texts()[-1]
