"""How many unaddressed Twitch chat messages one process ingests per second with a real Redis: EventSub
payload -> twitchio ChatMessage -> our bot's event_message -> batched, sampled writes to the history."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import twitchio

from bench.report import report
from bot.adapters.twitch.bot import FiresideTwitch
from bot.memory.tokens import FileTokenStore
from bot.services.redis_server import RedisServer
from bot.settings import TwitchSettings
from tests.support.app import fireside_app
from tests.support.roundtrips import RoundTrips
from tests.support.scripted_llm import QUIET_JSON, ScriptedLLM
from tests.support.twitch_harness import BOT_ID, BOT_LOGIN, payload

MESSAGES = 20_000
CHANNELS = 4
PACED_RATE, PACED_SECONDS = 300, 5


async def bench() -> None:
    llm = ScriptedLLM(json_default=QUIET_JSON).start()
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = RedisServer(Path(tmp) / "redis")
        redis_server.start()
        try:
            async with fireside_app(llm.base_url, redis_url=redis_server.url) as app:
                cfg = TwitchSettings(client_id="cid", client_secret="s", bot_id=BOT_ID)
                bot = FiresideTwitch(cfg, app.dispatch, app.ingestor.add, FileTokenStore(Path(tmp) / "t.json"),
                                     app.table, bot_login=BOT_LOGIN)
                payloads = [payload(f"chat line number {i} about the run", chatter=(str(i % 500), f"viewer{i % 500}"),
                                    channel=str(100 + i % CHANNELS)) for i in range(MESSAGES)]
                stop = asyncio.Event()
                flusher = asyncio.ensure_future(app.ingestor.run(stop))
                with RoundTrips() as rt:
                    t0 = time.perf_counter()
                    for i, data in enumerate(payloads):
                        await bot.event_message(twitchio.ChatMessage(data, http=bot._http))  # type: ignore[arg-type]
                        if i % 200 == 0:
                            await asyncio.sleep(0)  # let the flusher run, as the gateway's reads would
                    stop.set()
                    await flusher
                    elapsed = time.perf_counter() - t0
                    trips = rt.count
                stored, sampled = app.ingestor.ingested, app.ingestor.sampled_out

                # A busy chat: 300 messages a second for 5 s, paced; how much CPU does keeping up cost?
                stop = asyncio.Event()
                flusher = asyncio.ensure_future(app.ingestor.run(stop))
                before_stored = app.ingestor.ingested
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for second in range(PACED_SECONDS):
                    start = time.perf_counter()
                    for data in payloads[second * PACED_RATE:(second + 1) * PACED_RATE]:
                        await bot.event_message(twitchio.ChatMessage(data, http=bot._http))  # type: ignore[arg-type]
                    await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - start)))
                stop.set()
                await flusher
                paced_cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
                paced_stored = app.ingestor.ingested - before_stored
                await bot.close()
        finally:
            redis_server.stop()
            llm.stop()
    report("twitch_ingest", [
        ("messages", MESSAGES, f"unaddressed, over {CHANNELS} channels"),
        ("ingested_messages_per_second", MESSAGES / elapsed, "msg/s (parse, translate, buffer, write)"),
        ("lines_written", stored, "lines"),
        ("lines_sampled_out", sampled, "lines (busier than the history can use)"),
        ("redis_round_trips", trips, "round trips in all"),
        ("cpu_share_at_300_msg_per_s", paced_cpu, "of one core (includes the embedded test model server)"),
        ("lines_written_at_300_msg_per_s", paced_stored, f"lines in {PACED_SECONDS} s"),
    ])


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    main()
