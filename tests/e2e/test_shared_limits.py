"""Limits that hold across processes and platforms, from the viewers' side: a flood split between two bot
processes (say two Discord shards) on one Redis, a viewer's daily token budget, and one busy platform's turns
never starving another's while the model server's slots are all taken."""

from __future__ import annotations

import asyncio
from pathlib import Path
from unittest.mock import patch

import pytest
import redis.asyncio as aioredis
import twitchio

from bot.adapters.twitch.bot import FiresideTwitch
from bot.engine.conversation import SPENT_FOR_TODAY
from bot.memory.tokens import FileTokenStore
from bot.settings import TwitchSettings
from tests.support.app import fireside_app
from tests.support.discord_harness import BOT_ID, DiscordHarness, build
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.twitch_harness import BOT_ID as TWITCH_BOT_ID
from tests.support.twitch_harness import BOT_LOGIN, chat_message

ROOMY = {"channel_burst": 1000, "channel_per_minute": 1000, "server_burst": 1000, "server_per_minute": 1000}


def _mention(dc: DiscordHarness, text: str) -> object:
    return dc.client.handle_message(dc.message(f"<@{BOT_ID}> {text}", mentions=(BOT_ID,)))


def _asked(scripted: ScriptedLLM) -> list[str]:
    return [r.body["messages"][-2]["content"] for r in scripted.requests]


async def test_a_viewer_split_across_two_processes_meets_one_limit(
        redis_url: str, scripted: ScriptedLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    # Burst 5 each, next to nothing after: all processes together allow about 5 turns a minute.
    limits = {**ROOMY, "user_burst": 5, "user_per_minute": 0.01}
    async with fireside_app(scripted.base_url, redis_url=redis_url, limits=limits) as one, \
            fireside_app(scripted.base_url, redis_url=redis_url, limits=limits) as two:
        dc_one, dc_two = build(one.dispatch, one.table), build(two.dispatch, two.table)
        dc_one.capture_webhooks(monkeypatch)
        dc_two.capture_webhooks(monkeypatch)
        for n in range(3):
            await _mention(dc_one, f"first {n}")  # type: ignore[misc]
            await _mention(dc_two, f"second {n}")  # type: ignore[misc]
        for app in (one, two, one):
            await app.floods.sync()  # what the once-a-second loop does
        await _mention(dc_one, "one more on the first")  # type: ignore[misc]
        await _mention(dc_two, "one more on the second")  # type: ignore[misc]
    asked = _asked(scripted)
    assert len(asked) == 6  # each process alone would have let a 7th and an 8th through
    assert not any("one more" in a for a in asked)


async def test_the_shared_counts_name_no_one_and_leave_with_a_forgotten_viewer(
        redis_url: str, scripted: ScriptedLLM, raw_redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    async with fireside_app(scripted.base_url, redis_url=redis_url, limits=ROOMY) as app:
        dc = build(app.dispatch, app.table)
        dc.capture_webhooks(monkeypatch)
        await _mention(dc, "hello")  # type: ignore[misc]
        await app.floods.sync()
        counters = [k async for k in raw_redis.scan_iter(match="fs:{r:*")]
        assert len(counters) == 3  # the viewer, the channel, the server
        assert not [k for k in counters if "discord" in k]  # digests, not "discord:7" or a channel id
        assert all(0 < t <= 150 for t in [await raw_redis.ttl(k) for k in counters])
        await app.forgetter.forget("discord", "7")
        await app.floods.sync()
        left = [k async for k in raw_redis.scan_iter(match="fs:{r:u*")]
        assert left == []


async def test_a_viewer_who_spent_the_day_hears_one_goodnight_and_costs_nothing(
        redis_url: str, scripted: ScriptedLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted.default = Reply(["word "] * 30)  # 30 chunks a reply
    async with fireside_app(scripted.base_url, redis_url=redis_url, limits={**ROOMY, "user_daily_tokens": 50}) as app:
        dc = build(app.dispatch, app.table)
        dc.capture_webhooks(monkeypatch)
        await _mention(dc, "tell me a story")  # type: ignore[misc]
        await _mention(dc, "and another")  # type: ignore[misc]  # 30 spent: under 50, answered
        await _mention(dc, "one more please")  # type: ignore[misc]  # 60 spent: over
        await _mention(dc, "hello?")  # type: ignore[misc]
        other = dc.client.handle_message(dc.message(f"<@{BOT_ID}> hi", author=(8, "Bea"), mentions=(BOT_ID,)))
        await other
    asked = _asked(scripted)
    assert asked == ["Alice: tell me a story", "Alice: and another", "Bea: hi"]
    texts = dc.final_texts()
    assert texts.count(SPENT_FOR_TODAY.format(name="Alice")) == 1  # once, then silence


async def test_one_busy_platform_does_not_starve_another_for_model_slots(
        redis_url: str, scripted: ScriptedLLM, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scripted.default = Reply(["ok"], first_delay=0.2)
    async with fireside_app(scripted.base_url, redis_url=redis_url, llm={"max_concurrency": 1},
                            memory={"facts": False}) as app:
        dc = build(app.dispatch, app.table)
        dc.capture_webhooks(monkeypatch)
        cfg = TwitchSettings(client_id="cid", client_secret="secret", bot_id=TWITCH_BOT_ID, channels=["streamer"])
        with patch.object(twitchio.PartialUser, "send_message", autospec=True):
            tw = FiresideTwitch(cfg, app.dispatch, app.ingestor.add, FileTokenStore(tmp_path / "tokens.json"),
                                app.table, bot_login=BOT_LOGIN)
            try:
                # Six Twitch channels each want the one slot; a Discord viewer asks just after them.
                twitch = [asyncio.ensure_future(tw.event_message(chat_message(
                    tw, f"@{BOT_LOGIN} busy {n}", chatter=(str(300 + n), f"tv{n}"), channel=str(900 + n))))
                    for n in range(6)]
                for _ in range(200):  # until one holds the slot and five wait for it
                    if app.llm._slots.waiting == 5:
                        break
                    await asyncio.sleep(0.01)
                discord_turn = asyncio.ensure_future(_mention(dc, "hello from discord"))  # type: ignore[arg-type]
                await asyncio.gather(*twitch, discord_turn)
            finally:
                await tw.close()
    asked = _asked(scripted)
    assert len(asked) == 7
    # First come, first served would put it last (7th); shared round-robin, right after the turn holding the
    # slot and at most one more.
    assert asked.index("Alice: hello from discord") <= 2
