"""Personas from the user's side: import a card, choose it for a channel with an admin command, and see
it played, lorebook entries included, through the console adapter; plus reload and the OOC guard."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.adapters.console import BufferSink, ConsoleAdapter
from bot.app import Fireside
from bot.events import PRIVATE_ANSWERS, Author, ChatEvent
from bot.metrics import OOC_REPLIES
from tests.support.app import fireside_app
from tests.support.cards import full_card, v2
from tests.support.scripted_llm import Reply, ScriptedLLM

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "cards"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
async def app(redis_url: str, scripted: ScriptedLLM, data_dir: Path) -> AsyncIterator[Fireside]:
    async with fireside_app(scripted.base_url, redis_url=redis_url, data_dir=data_dir,
                            chat={"persona_dir": data_dir / "mine"}) as core:
        yield core


def fireside(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          env={**env, "FIRESIDE_DATA_DIR": str(data_dir)}, timeout=60, check=False)


async def chat(app: Fireside, *lines: tuple[str, str]) -> list[dict[str, Any]]:
    out = io.StringIO()
    stdin = io.StringIO("".join(json.dumps({"user": u, "text": t}) + "\n" for u, t in lines))
    await ConsoleAdapter(persona_name=lambda: "?", jsonl=True, stdin=stdin, stdout=out).run(app.dispatch)
    return [json.loads(x) for x in out.getvalue().splitlines()]


def last_prompt(scripted: ScriptedLLM) -> list[str]:
    return [m["content"] for m in scripted.requests[-1].body["messages"]]


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is not present")
async def test_admin_imports_seraphina_and_her_lore_appears(
        data_dir: Path, redis_url: str, scripted: ScriptedLLM) -> None:
    done = fireside(data_dir, "persona", "import", str(REALWORLD / "default_Seraphina.png"))
    assert done.returncode == 0, done.stderr
    done = fireside(data_dir, "lorebook", "import", str(REALWORLD / "Eldoria.worldbook.json"))
    assert done.returncode == 0, done.stderr
    scripted.script(Reply(["*Seraphina smiles.* ", "Rest now."]), Reply(["The glade."]), Reply(["Shadowfangs."]))
    async with fireside_app(scripted.base_url, redis_url=redis_url, data_dir=data_dir) as app:
        replies = await chat(app, ("Admin", "/persona seraphina"), ("Sam", "hello, who are you?"),
                             ("Sam", "Where am I? Is this a forest?"), ("Sam", "What were those beasts?"))
    assert "Seraphina will speak" in replies[0]["reply"]
    assert replies[1] == {"user": "Sam", "persona": "Seraphina", "reply": "*Seraphina smiles.* Rest now.",
                          "stored": True}
    first, forest, beasts = ([m["content"] for m in r.body["messages"]] for r in scripted.requests)
    assert "Seraphina" in first[0]
    assert "What is Eldoria?" not in "".join(first) and "What are Shadowfangs?" not in "".join(first)
    assert "What is Eldoria?" in forest[-1]  # "forest", in the late system message, after the line
    assert "What are Shadowfangs?" in beasts[-1]  # "beasts"
    assert beasts[-1].count("What are Shadowfangs?") == 1  # card book and linked world book: once
    assert "{{char}}" not in beasts[-1] and "Sam:" in beasts[-1]  # {{user}} became the speaker
    assert beasts[-2] == "Sam: What were those beasts?"
    assert all("What is Eldoria?" not in m for m in forest[:-2])  # triggered lore stays out of the prefix
    assert "ST Default Bot contest" not in "".join(first)  # creator_notes never enter the prompt


async def test_card_persona_chosen_per_channel_and_persisted(
        app: Fireside, data_dir: Path, scripted: ScriptedLLM, redis_url: str) -> None:
    card = data_dir / "lyra.json"
    card.parent.mkdir(parents=True)
    card.write_text(json.dumps(v2(full_card("Lyra"))))
    assert fireside(data_dir, "persona", "import", str(card)).returncode == 0
    replies = await chat(app, ("Admin", "/persona lyra"), ("Sam", "a storm is coming"))
    assert replies[1]["persona"] == "Lyra"
    prompt = last_prompt(scripted)
    joined = "\n".join(prompt)
    for secret in ("NOTES-NEVER-PROMPT", "TAG-NEVER-PROMPT", "CREATOR-NEVER", "VERSION-NEVER"):
        assert secret not in joined
    assert prompt[0].startswith("You are Lyra. Stay in character as Lyra at all times. Keep it short.")
    assert "Storms here last three days." in prompt[-1] and "Stay gloomy." in prompt[-1]
    # Another channel still has the default; this one keeps Lyra across restarts (it lives in Redis).
    other = await chat_in(app, "elsewhere", ("Sam", "hi"))
    assert other.speaker == "Pip"
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    assert await client.hget("fs:{c:console:local}:settings", "persona") == "lyra"
    await client.aclose()


async def chat_in(app: Fireside, channel: str, line: tuple[str, str]) -> BufferSink:
    sink = BufferSink()
    await app.dispatch(ChatEvent("console", channel, Author(line[0].lower(), line[0]), line[1]), sink)
    return sink


async def test_only_admins_choose_the_persona(app: Fireside) -> None:
    anyone = BufferSink()
    await app.dispatch(ChatEvent("discord", "c1", Author("42", "Mallory"), "", command="persona"), anyone)
    assert "Pip" in anyone.text  # showing the persona is for everyone
    private, public = BufferSink(), BufferSink()
    attempt = ChatEvent("discord", "c2", Author("42", "Mallory"), "/persona critic", command="persona", args="critic",
                        capabilities=frozenset({PRIVATE_ANSWERS}))
    await app.dispatch(attempt, private)
    assert "Only moderators and admins can change" in private.error  # type: ignore[operator]  # told privately
    await app.dispatch(replace(attempt, channel="c3", capabilities=frozenset()), public)
    assert public.text == "" and public.error is None  # in public chat a refusal is silence
    assert (await app.memory.channel_settings("discord", "c2")).persona is None


async def test_unknown_persona_and_command_get_clear_errors(app: Fireside) -> None:
    replies = await chat(app, ("Admin", "/persona nobody"), ("Admin", "/dance"), ("Admin", "/personas"))
    assert "no persona named 'nobody'" in replies[0]["error"]
    assert "don't know the command" in replies[1]["error"]
    assert "critic" in replies[2]["reply"] and "sidekick" in replies[2]["reply"]


async def test_reload_picks_up_edits_and_keeps_last_good_on_errors(
        app: Fireside, data_dir: Path, scripted: ScriptedLLM) -> None:
    mine = data_dir / "mine"
    mine.mkdir(parents=True)
    (mine / "vex.yaml").write_text("name: Vex\ndescription: a fox\n")
    replies = await chat(app, ("Admin", "/persona vex"), ("Sam", "hi"))
    assert replies[1]["persona"] == "Vex"
    (mine / "vex.yaml").write_text("name: Vexa\ndescription: a fox\n")
    replies = await chat(app, ("Admin", "/reload"), ("Sam", "hi again"))
    assert replies[1]["persona"] == "Vexa"
    (mine / "vex.yaml").write_text("name: Vexa\ndescripton: typo\n")
    replies = await chat(app, ("Admin", "/reload"), ("Sam", "still there?"))
    assert "1 failed" in replies[0]["reply"] and "descripton" in replies[0]["reply"]
    assert replies[1]["persona"] == "Vexa"  # the last good version stays in service


async def test_out_of_character_reply_is_regenerated(app: Fireside, scripted: ScriptedLLM) -> None:
    before = OOC_REPLIES.labels("assistant_boilerplate", "regenerated")._value.get()
    scripted.script(Reply(["As an AI language model, ", "I cannot have feelings."]), Reply(["*beep* ", "Hi Sam!"]))
    [reply] = await chat(app, ("Sam", "how do you feel?"))
    assert reply["reply"] == "*beep* Hi Sam!"
    assert "Stay in character as Pip" in last_prompt(scripted)[-1]
    assert OOC_REPLIES.labels("assistant_boilerplate", "regenerated")._value.get() == before + 1


async def test_out_of_character_twice_gives_an_in_character_error(app: Fireside, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["As an AI, I can't."]), Reply(["I'm an AI assistant."]))
    [reply] = await chat(app, ("Sam", "are you real?"))
    assert reply["reply"] == "" and "train of thought" in reply["error"]


async def test_out_of_character_mid_reply_is_cut(app: Fireside, scripted: ScriptedLLM) -> None:
    before = OOC_REPLIES.labels("wrong_name", "repaired")._value.get()
    scripted.script(Reply(["Hey Sam! ", "Good to see you. ", "My name is Claude, ", "by the way."]))
    [reply] = await chat(app, ("Sam", "yo"))
    assert reply["reply"] == "Hey Sam! Good to see you."
    assert OOC_REPLIES.labels("wrong_name", "repaired")._value.get() == before + 1
