"""Story votes with a real Redis: how many Twitch `!vote` messages one process takes in per second (EventSub
payload -> twitchio ChatMessage -> our bot -> the command table -> the vote, stored), and how long closing a
vote takes with 10,000 voters (count, announce, and the next scene from an instant scripted model)."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any
from unittest.mock import patch

import redis.asyncio as aioredis
import twitchio

from bench.report import report
from bot.adapters.console import BufferSink
from bot.adapters.twitch.bot import FiresideTwitch
from bot.memory.keys import Keys
from bot.memory.tokens import FileTokenStore
from bot.services.redis_server import RedisServer
from bot.settings import TwitchSettings
from bot.story.memory import StoryMemory
from bot.story.model import Choice
from tests.support.app import fireside_app
from tests.support.roundtrips import RoundTrips
from tests.support.scripted_llm import QUIET_JSON, Reply, ScriptedLLM
from tests.support.twitch_harness import BOT_ID, BOT_LOGIN, CHANNEL_ID, payload

VOTES = 5_000
VOTERS = 10_000
CHOICES = json.dumps({"choices": [{"label": "North", "text": "Go north."}, {"label": "South", "text": "Go south."},
                                  {"label": "Wait", "text": "Wait here."}]})


async def bench() -> None:
    llm = ScriptedLLM(default=Reply(["The road forks. ", "Fog rolls in."]), json_default=QUIET_JSON).start()
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis")
        server.start()
        try:
            async with fireside_app(llm.base_url, redis_url=server.url, memory={"facts": False}) as app:
                said: list[BufferSink] = []

                async def outlet(_channel: str) -> BufferSink:
                    said.append(BufferSink())
                    return said[-1]

                app.outlets.register("twitch", outlet)
                cfg = TwitchSettings(client_id="cid", client_secret="s", bot_id=BOT_ID)
                bot = FiresideTwitch(cfg, app.dispatch, app.ingestor.add, FileTokenStore(Path(tmp) / "t.json"),
                                     app.table, bot_login=BOT_LOGIN)
                llm.json_by_name["choices"] = deque([CHOICES] * 3)
                with patch.object(twitchio.PartialUser, "send_message", autospec=True):
                    start = twitchio.ChatMessage(payload("!story The fork", chatter=("5", "mod"),
                                                         badges=("moderator",)), http=bot._http)  # type: ignore[arg-type]
                    await bot.event_message(start)
                    await app.stories.drain()
                    votes = [payload(f"!vote {i % 3 + 1}", chatter=(str(10_000 + i), f"viewer{i}"))
                             for i in range(VOTES)]
                    with RoundTrips() as rt:
                        t0 = time.perf_counter()
                        for data in votes:
                            await bot.event_message(twitchio.ChatMessage(data, http=bot._http))  # type: ignore[arg-type]
                        sequential = VOTES / (time.perf_counter() - t0)
                        trips = rt.count
                    # As twitchio delivers chat: a task per message (client.py, dispatch), in bursts.
                    again = [payload(f"!vote {i % 3 + 1}", chatter=(str(20_000 + i), f"viewer{i}"))
                             for i in range(VOTES)]
                    with RoundTrips() as burst_rt:
                        t0 = time.perf_counter()
                        for chunk in range(0, VOTES, 250):
                            await asyncio.gather(*(bot.event_message(twitchio.ChatMessage(d, http=bot._http))  # type: ignore[arg-type]
                                                   for d in again[chunk:chunk + 250]))
                        burst = VOTES / (time.perf_counter() - t0)
                    counted = sum(await app.stores.stories.tally("twitch", CHANNEL_ID, 3, scene=1))

                    # 10,000 voters, then close: count, announce, write the next scene.
                    client: Any = aioredis.Redis.from_url(server.url, decode_responses=True)
                    await client.hset(Keys().story_votes("twitch", CHANNEL_ID),
                                      mapping={f"twitch:{i}": i % 3 + 1 for i in range(VOTERS)})
                    await client.aclose()
                    t0 = time.perf_counter()
                    await app.stories.close("twitch", CHANNEL_ID, early=True)
                    close_ms = (time.perf_counter() - t0) * 1000
                    # With viewers' memory on, the close also takes the 10,000 votes (for their memories).
                    client = aioredis.Redis.from_url(server.url, decode_responses=True)
                    await client.hset(Keys().story_votes("twitch", CHANNEL_ID),
                                      mapping={f"twitch:{i}": i % 3 + 1 for i in range(VOTERS)})
                    await client.aclose()
                    t0 = time.perf_counter()
                    taken = await app.stores.stories.clear_votes("twitch", CHANNEL_ID, take=True)
                    take_ms = (time.perf_counter() - t0) * 1000
                    # ...and writes each voter's choice into their memory, in the background.
                    voted = await app.stores.stories.load("twitch", CHANNEL_ID)
                    assert voted is not None
                    deeds = StoryMemory(app.stores.memory, app.stores.facts)
                    ballot = voted.with_(choices=tuple(Choice(c, f"{c} now.") for c in ("A", "B", "C")))
                    t0 = time.perf_counter()
                    remembered = await deeds.remember(ballot, taken, [])
                    remember_s = time.perf_counter() - t0
                await bot.close()
        finally:
            server.stop()
            llm.stop()
    report("stories", [
        ("vote_intake_per_second_burst", burst, f"!vote messages/s, {VOTES} viewers, a task each in bursts of 250"),
        ("vote_intake_per_second_sequential", sequential, "!vote messages/s, one after another"),
        ("redis_round_trips_per_vote", trips / VOTES, "round trips, one after another"),
        ("redis_round_trips_per_vote_burst", burst_rt.count / VOTES, "round trips, in bursts (votes batched)"),
        ("votes_counted", counted, f"votes (of {2 * VOTES} cast)"),
        ("close_vote_ms_10000_voters", close_ms, "ms (count, announce, next scene from an instant model)"),
        ("take_votes_ms_10000_voters", take_ms, f"ms more with viewers' memory on (reads {len(taken)} votes)"),
        ("remember_10000_voters_s", remember_s, f"s in the background: {remembered} voters' choices into their "
                                                "memories (a uid each, one fact)"),
    ])


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    main()
