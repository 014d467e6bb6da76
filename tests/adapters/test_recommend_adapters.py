"""Recommendations through the real adapters: a Twitch viewer's !recommend and a Discord mention that asks in
plain words, answered from the catalog (real twitchio and discord.py objects, real Redis, scripted model)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import twitchio

from bot.adapters.twitch.bot import FiresideTwitch
from bot.app import Fireside
from bot.memory.tokens import FileTokenStore
from bot.recommend.catalog import parse_catalog
from bot.settings import TwitchSettings
from tests.support.app import fireside_app
from tests.support.discord_harness import BOT_ID, Sent, WebhookCall, build
from tests.support.scripted_llm import ScriptedLLM
from tests.support.services import data_dir_with_embedder
from tests.support.twitch_harness import BOT_ID as TWITCH_BOT_ID
from tests.support.twitch_harness import BOT_LOGIN, chat_message
from tests.unit.test_ranker import CATALOG

TITLES = {line.split(",")[1] for line in CATALOG.splitlines()[1:]}


@pytest.fixture
async def app(redis_url: str, scripted: ScriptedLLM, tmp_path: Path) -> AsyncIterator[Fireside]:
    data = data_dir_with_embedder(tmp_path / "data")
    async with fireside_app(scripted.base_url, redis_url=redis_url, data_dir=data) as core:
        await core.stores.catalogs.put(parse_catalog(CATALOG.encode(), "games.csv", "games", "csv"), "games.csv",
                                       at=time.time())
        yield core


def named(text: str) -> list[str]:
    import re

    return re.findall(r"\d\. ([^(]+?) \(", text)


async def test_twitch_recommend_and_a_plain_ask_by_mention(app: Fireside, tmp_path: Path) -> None:
    assert "starter" in await app.stores.catalogs.names()  # a fresh install recommends out of the box
    with patch.object(twitchio.PartialUser, "send_message", autospec=True) as sent:
        cfg = TwitchSettings(client_id="cid", client_secret="secret", bot_id=TWITCH_BOT_ID, channels=["streamer"])
        bot = FiresideTwitch(cfg, app.dispatch, app.ingestor.add, FileTokenStore(tmp_path / "tokens.json"),
                             app.table, bot_login=BOT_LOGIN)
        try:
            await bot.event_message(chat_message(bot, "!catalogs games", chatter=("9", "mod"), badges=("moderator",)))
            await bot.event_message(chat_message(bot, "!recommend games something hard"))
            await bot.event_message(chat_message(bot, f"@{BOT_LOGIN} can you recommend a movie?",
                                                 chatter=("8", "bob")))
        finally:
            await bot.close()
        said: list[str] = [c.args[1] for c in sent.await_args_list]
    assert said[0] == "Recommendations in this channel come from games now."
    picks = named(said[1])
    assert len(picks) == 3 and set(picks) <= TITLES and said[1].endswith("(!liked or !nah NUMBER tells me how I did.)")
    films = named(said[2])
    assert films and set(films) <= {"Spirited Away", "Alien"}


async def test_discord_mention_asking_for_a_game_gets_catalog_titles(app: Fireside, scripted: ScriptedLLM) -> None:
    dc = build(app.dispatch, app.table)
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> any good platformer games you'd recommend?",
                                              mentions=(BOT_ID,)))
    text = dc.final_texts()[-1]
    picks = named(text)
    assert len(picks) == 3 and scripted.requests == []
    assert set(picks) <= TITLES | _starter_titles()


def _starter_titles() -> set[str]:
    from bot.recommend.starter import starter_catalog

    return {i.title for i in starter_catalog().items}


def _buttons(sent: Sent | WebhookCall) -> list[dict[str, Any]]:
    body = sent.payload if isinstance(sent, Sent) else sent.body
    return [b for row in body.get("components", []) for b in row["components"]]


async def test_discord_picks_carry_thumbs_only_the_asker_may_press(app: Fireside,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    dc = build(app.dispatch, app.table)
    dc.capture_webhooks(monkeypatch)
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> recommend me a game please", mentions=(BOT_ID,)))
    first = next(c for c in reversed(dc.calls) if c.payload.get("components"))
    picks = named(dc.final_texts()[-1])
    buttons = _buttons(first)
    # A row per pick: its number and title on the thumbs up, a thumbs down beside it; the asker's id in each.
    assert [b["label"].split(". ", 1)[1] for b in buttons[::2]] == picks
    assert [b["emoji"]["name"] for b in buttons] == ["👍", "👎"] * 3
    assert all(b["custom_id"].startswith("fireside:rate:7:") for b in buttons)
    await dc.click(first, buttons[3]["custom_id"], user=(8, "Bea"))  # someone else's thumbs down
    await dc.settle()
    refusal = dc.webhook[-1]  # answered in the button's own callback
    assert "someone else" in refusal.content and refusal.ephemeral
    recommender = app.commands.services.recommender
    assert recommender is not None
    uid = await app.stores.memory.claim_uid("discord", "7")
    assert await recommender.history.ratings(uid) == {}
    await dc.click(first, buttons[3]["custom_id"])  # Alice: pick 2 missed
    await dc.settle()
    assert dc.answers()[-1].ephemeral and dc.answers()[-1].content == f"Noted: less like {picks[1]} from now on."
    # Newer picks don't move the old buttons: each rates the very item it sits under.
    await dc.client.handle_message(dc.message(f"<@{BOT_ID}> recommend me another game", mentions=(BOT_ID,)))
    await dc.click(first, buttons[0]["custom_id"])
    await dc.settle()
    assert dc.answers()[-1].content == f"Noted: more like {picks[0]}."
    index = await recommender.index()
    rated = {index.items[index.by_id[i]].title: up for i, up in (await recommender.history.ratings(uid)).items()}
    assert rated == {picks[1]: False, picks[0]: True}


async def test_discord_slash_recommend_answers_with_buttons(app: Fireside, monkeypatch: pytest.MonkeyPatch) -> None:
    dc = build(app.dispatch, app.table)
    dc.capture_webhooks(monkeypatch)
    answer = (await dc.slash("fireside", "recommend", {"request": "game"}))[-1]
    assert not answer.ephemeral and answer.content.endswith("(The buttons below tell me how I did.)")
    buttons = _buttons(answer)
    assert len(buttons) == 6 and all(b["custom_id"].startswith("fireside:rate:7:") for b in buttons)
    await dc.click(answer, buttons[1]["custom_id"])
    await dc.settle()
    assert dc.answers()[-1].content.startswith("Noted: less like ") and dc.answers()[-1].ephemeral
