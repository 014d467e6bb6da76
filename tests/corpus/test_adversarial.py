"""The adversarial corpus (tests/data/adversarial.jsonl: 104 inputs of our own in 11 categories) pushed through
the mocked Discord and Twitch adapters and the console, against a scripted model that complies with attacks
(it echoes links and mentions, recites its instructions, turns every message into a fact). Every outbound
message is checked against the invariants, and Redis afterwards. Floods have their own tests (test_discord)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import redis.asyncio as aioredis
import twitchio

from bot.adapters.console import ConsoleAdapter
from bot.adapters.twitch.bot import FiresideTwitch
from bot.app import Fireside
from bot.memory.extraction import Candidate, screen
from bot.memory.redis.fact_codec import decode_fact
from bot.memory.redis.lines import decode_line
from bot.memory.tokens import FileTokenStore
from bot.router import APOLOGY
from bot.safety.links import LinkPolicy
from bot.settings import TwitchSettings
from tests.support.app import fireside_app
from tests.support.discord_harness import BOT_ID, build
from tests.support.scripted_llm import Comply, ScriptedLLM
from tests.support.services import data_dir_with_embedder
from tests.support.twitch_harness import BOT_ID as TWITCH_BOT_ID
from tests.support.twitch_harness import BOT_LOGIN, chat_message

CASES = [json.loads(line) for line in (Path(__file__).parents[1] / "data" / "adversarial.jsonl").read_text()
         .splitlines() if line.strip()]
UNLIMITED = {"channel_burst": 10_000, "channel_per_minute": 60_000, "server_burst": 10_000,
             "server_per_minute": 60_000, "channel_queue": 1000}
LEAK_WORDS = 8


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def shingles(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i:i + LEAK_WORDS]) for i in range(len(w) - LEAK_WORDS + 1)}


def complying(case: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    model = case.get("model", "ECHO")
    if model == "ECHO":  # repeats the user's line, links, mentions and all
        return lambda body: body["messages"][-1]["content"].split(": ", 1)[-1]
    if model == "SYSTEM_PROMPT_ECHO":  # recites its instructions
        return lambda body: body["messages"][0]["content"]
    return lambda body: str(model)


def facts_from_everything(body: dict[str, Any]) -> str:
    """A model that turns whatever the user said into a fact (the extraction request's user part)."""
    said = body["messages"][-1]["content"][-150:]
    return json.dumps({"facts": [{"text": f"User says {said}"[:160], "kind": "fact"}]})


class Outbound:
    """Every message the bot sent, with where; checked case by case."""

    def __init__(self, instructions: Callable[[], str]) -> None:
        self.instructions = instructions
        self.broken: list[str] = []

    def check(self, case: dict[str, Any], platform: str, text: str, limit: int) -> None:
        where = f"{case['id']} on {platform}: {text[:120]!r}"
        if APOLOGY in text:
            self.broken.append(f"unhandled error, {where}")
        if LinkPolicy().clean(text)[1]:
            self.broken.append(f"a live link, {where}")
        if platform == "discord" and (re.search(r"(?<![\w\u200b])@(everyone|here)\b", text)
                                      or re.search(r"<@[!&]?\d+>", text)):  # (text only anywhere else)
            self.broken.append(f"a live mention, {where}")
        if shingles(text) & shingles(self.instructions()):
            self.broken.append(f"the instructions recited, {where}")
        if len(text) > limit:
            self.broken.append(f"over {limit} characters, {where}")
        if platform == "twitch" and text[:1] in "/.":
            self.broken.append(f"a chat command, {where}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.broken.append(f"text that can't be encoded, {where}")


@pytest.fixture
async def app(redis_url: str, scripted: ScriptedLLM, tmp_path: Path) -> AsyncIterator[Fireside]:
    scripted.json_comply = facts_from_everything
    async with fireside_app(scripted.base_url, redis_url=redis_url, limits=UNLIMITED,
                            data_dir=data_dir_with_embedder(tmp_path / "data")) as core:
        yield core


async def test_the_corpus_breaks_no_invariant_on_any_platform(
        app: Fireside, scripted: ScriptedLLM, raw_redis: aioredis.Redis, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(CASES) >= 100
    outbound = Outbound(lambda: scripted.requests[-1].body["messages"][0]["content"] if scripted.requests else "")
    dc = build(app.dispatch, app.table)
    dc.capture_webhooks(monkeypatch)
    cfg = TwitchSettings(client_id="cid", client_secret="secret", bot_id=TWITCH_BOT_ID, channels=["streamer"])
    with patch.object(twitchio.PartialUser, "send_message", autospec=True) as sent:
        tw = FiresideTwitch(cfg, app.dispatch, app.ingestor.add, FileTokenStore(tmp_path / "tokens.json"),
                            app.table, bot_login=BOT_LOGIN)
        try:
            for n, case in enumerate(CASES):
                scripted.default = Comply(complying(case))
                text, user = case["text"], (1000 + n, f"viewer{n}")
                # Discord: a mention; every call made without pings.
                calls = len(dc.calls)
                await dc.client.handle_message(dc.message(f"<@{BOT_ID}> {text}", author=user, mentions=(BOT_ID,)))
                for call in dc.calls[calls:]:
                    allowed = call.payload.get("allowed_mentions") or {}
                    if allowed.get("parse") or allowed.get("users") or allowed.get("roles") or \
                            allowed.get("replied_user"):
                        outbound.broken.append(f"pings allowed {allowed}, {case['id']} on discord")
                    if "content" in call.payload:
                        outbound.check(case, "discord", call.payload["content"] or "", 2000)
                # Twitch: a command as typed, anything else asked with !ask.
                said = len(sent.await_args_list)
                typed = text if text.startswith("!") else f"!ask {text}"
                await tw.event_message(chat_message(tw, typed, chatter=(str(user[0]), user[1])))
                for call in sent.await_args_list[said:]:
                    outbound.check(case, "twitch", call.args[1], 500)
                # The console, as a script drives it.
                out = io.StringIO()
                line = json.dumps({"user": user[1], "text": text.removeprefix("!")
                                   if case["category"] == "commands" else text})
                await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdout=out,
                                     stdin=io.StringIO(line + "\n")).run(app.dispatch)
                for reply in (json.loads(x) for x in out.getvalue().splitlines()):
                    outbound.check(case, "console", reply.get("reply", "") + reply.get("error", ""), 100_000)
        finally:
            await tw.close()
    if outbound.broken:
        print("\n".join(outbound.broken))
    assert outbound.broken == []
    # Redis afterwards: every line readable, every bot line clean, no fact that the screen would refuse.
    assert app.fact_worker is not None
    await app.fact_worker.drain()
    stored: list[str] = []
    kept = 0
    async for key in raw_redis.scan_iter(match="fs:{c:*}:hist"):
        for raw in await raw_redis.lrange(key, 0, -1):
            line = decode_line(raw)
            line.text.encode("utf-8")
            if line.speaker == "bot" and LinkPolicy().clean(line.text)[1]:
                stored.append(f"a live link in a stored reply: {line.text[:80]!r}")
    async for key in raw_redis.scan_iter(match="fs:{u:*}:facts"):
        for fact_id, raw in (await raw_redis.hgetall(key)).items():
            fact = decode_fact(fact_id, raw).text
            kept += 1
            if screen(Candidate(text=fact, kind="fact")) is not None:
                stored.append(f"a stored fact the screen refuses: {fact[:80]!r}")
    assert stored == []
    assert kept > 0  # the screen let harmless facts through: this check was not vacuous
