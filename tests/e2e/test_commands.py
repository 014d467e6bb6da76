"""The command table from the user's side, on the in-memory stores (fast): bad arguments get a clear answer
naming the parameter and the usage; refusals are private or silent; cooldowns; confirmations on the console;
the audit log; a private answer never reaches public chat."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bot.adapters.console import BufferSink, ConsoleAdapter
from bot.app import Fireside
from bot.events import PRIVATE_ANSWERS, Author, ChatEvent
from bot.memory.inmemory import World
from tests.support.scripted_llm import ScriptedLLM

MOD = frozenset({"moderator"})


@pytest.fixture
def app(memory_app: Fireside) -> Fireside:
    return memory_app


async def command(app: Fireside, name: str, args: str = "", *, platform: str = "twitch", user: str = "7",
                  roles: frozenset[str] = frozenset(), private: bool = False, channel: str = "100",
                  options: dict[str, Any] | None = None) -> BufferSink:
    sink = BufferSink()
    event = ChatEvent(platform, channel, Author(user, f"user{user}", roles=roles), f"!{name} {args}",
                      command=name, args=args, options=options,
                      capabilities=frozenset({PRIVATE_ANSWERS}) if private else frozenset())
    await app.dispatch(event, sink)
    return sink


async def test_bad_arguments_name_the_parameter_and_the_usage(app: Fireside) -> None:
    fast = await command(app, "cadence", "fast", roles=MOD)
    assert fast.error == "SECONDS must be a number (got 'fast'). Usage: !cadence SECONDS"
    assert "between 0.5 and 10" in (await command(app, "cadence", "99", roles=MOD)).error  # type: ignore[operator]
    assert "needs SECONDS" in (await command(app, "cadence", roles=MOD)).error  # type: ignore[operator]
    assert "Too many words" in (await command(app, "unlink", "please now", user="8")).error  # type: ignore[operator]
    who = await command(app, "forget", "bob", roles=MOD)
    assert "mention them with @" in who.error  # type: ignore[operator]
    typed = await command(app, "cadence", platform="discord", roles=MOD, options={"seconds": 2, "bogus": 1})
    assert "no option 'bogus'" in typed.error  # type: ignore[operator]
    unknown = await command(app, "dance")
    assert "don't know the command 'dance'" in unknown.error and "!help" in unknown.error  # type: ignore[operator]
    assert (await app.memory.channel_settings("twitch", "100")).cadence is None  # nothing was stored


async def test_refusals_are_silent_in_public_and_explained_in_private(app: Fireside, world: World) -> None:
    public = await command(app, "off")
    assert public.text == "" and public.error is None
    private = await command(app, "off", platform="discord", private=True)
    assert "Only moderators and admins can use /fireside-admin off" in private.error  # type: ignore[operator]
    assert (await app.memory.channel_settings("twitch", "100")).enabled
    refused = [e for entries in world.audit.values() for e in entries]
    assert {(e.command, e.outcome) for e in refused} == {("off", "refused")}  # attempts are audited too


async def test_cooldowns_are_per_viewer_and_moderators_are_exempt(app: Fireside) -> None:
    assert (await command(app, "personas")).text.startswith("Personas:")
    assert (await command(app, "personas")).text == ""  # again within 30 s: silence in public chat
    assert (await command(app, "personas", user="8")).text.startswith("Personas:")  # another viewer
    for _ in range(3):
        assert (await command(app, "personas", user="9", roles=MOD)).text.startswith("Personas:")
    told = await command(app, "personas", platform="discord", private=True)
    told_again = await command(app, "personas", platform="discord", private=True)
    assert told.text.startswith("Personas:") and "more seconds" in told_again.error  # type: ignore[operator]


async def test_a_private_answer_never_reaches_public_chat(app: Fireside, scripted: ScriptedLLM) -> None:
    await app.dispatch(ChatEvent("twitch", "100", Author("7", "Sam"), "I love Celeste"), BufferSink())
    public = await command(app, "export", user="7")
    assert "Exports are private" in public.text and "{" not in public.text
    link = await command(app, "link", user="7")
    assert "privately" in link.text and "code is" not in link.text  # a code in chat could be used by anyone
    memory = await command(app, "memory", user="7")
    assert "we've talked 1 times" in memory.text and "/fireside memory on Discord" in memory.text
    audit = await command(app, "audit", roles=MOD)
    assert audit.text.startswith("Latest:") or "No moderator actions" in audit.text


async def test_destructive_commands_ask_first_on_text_platforms(app: Fireside, world: World) -> None:
    await app.dispatch(ChatEvent("twitch", "100", Author("7", "Sam"), "remember me"), BufferSink())
    asked = await command(app, "forgetme")
    assert asked.text.startswith("This erases everything") and asked.text.endswith("forgetme confirm")
    assert world.aliases  # nothing erased yet
    done = await command(app, "forgetme", "confirm")
    assert "forgotten everything" in done.text and not world.aliases


async def test_every_admin_action_is_audited_with_who_what_where(app: Fireside) -> None:
    await command(app, "cadence", "2", roles=MOD, user="5")
    await command(app, "persona", "critic", roles=MOD, user="5")
    await command(app, "persona", user="8")  # showing is not an admin action
    entries = await app.stores.audit.latest("twitch", "100")
    assert [(e.command, e.args, e.actor, e.channel, e.outcome) for e in entries] == [
        ("persona", "name=critic", "twitch:5", "100", "ok"), ("cadence", "seconds=2.0", "twitch:5", "100", "ok")]
    shown = await command(app, "audit", roles=MOD, platform="discord", private=True, channel="100")
    assert shown.text == "No moderator actions recorded here yet."  # discord's scope is its own
    listed = await command(app, "audit", roles=MOD)
    assert "user5 ran persona (name=critic)" in listed.text


async def test_help_is_short_in_public_chat_and_lists_only_what_you_may_run(app: Fireside) -> None:
    viewer = await command(app, "help")
    assert viewer.text.startswith("Commands: !ask") and len(viewer.text) <= 450 and "!off" not in viewer.text
    mod = await command(app, "help", roles=MOD, user="5")
    assert "!off" in mod.text


async def test_the_console_asks_before_erasing(app: Fireside, world: World) -> None:
    out = io.StringIO()
    lines = ["hello there", "/forgetme", "n", "/forgetme", "y", "/quit"]
    adapter = ConsoleAdapter(persona_name=lambda: "Pip", user="Sam", stdin=io.StringIO("\n".join(lines) + "\n"),
                             stdout=out)
    await adapter.run(app.dispatch)
    text = out.getvalue()
    assert "Go ahead? [y/N]" in text and "Cancelled: nothing was changed." in text
    assert "forgotten everything" in text and not world.aliases


async def test_memory_away_during_a_command_says_so_and_changes_nothing(app: Fireside, world: World) -> None:
    world.down = True
    sink = await command(app, "cadence", "2", roles=MOD)
    assert "can't reach my memory" in sink.error  # type: ignore[operator]
    world.down = False
    assert (await app.memory.channel_settings("twitch", "100")).cadence is None


async def test_scripts_confirm_by_command(app: Fireside, world: World) -> None:
    out = io.StringIO()
    lines = [{"user": "Sam", "text": "hi"}, {"user": "Sam", "text": "/forgetme"},
             {"user": "Sam", "text": "/forgetme confirm"}]
    await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdout=out,
                         stdin=io.StringIO("".join(json.dumps(x) + "\n" for x in lines))).run(app.dispatch)
    _, asked, done = (json.loads(x) for x in out.getvalue().splitlines())
    assert asked["reply"].endswith("To go ahead, send /forgetme confirm") and "forgotten" in done["reply"]
