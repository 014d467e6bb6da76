"""The persona's recommendation pitch on the real vLLM with SmolLM2: how often the model's pitch passes the
grounding check (voiced) or is refused for the plain template (and why), how many lines lose their words for
naming another pick, and how long a pitch takes. Ranking is the real one over the starter catalog."""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from collections import Counter
from typing import Any

from bench.real_servers import SERVED, real_servers
from bench.report import report
from bot.recommend.service import Viewer
from tests.support.app import fireside_app

ASKS = ["game something cozy to unwind", "film a scary one for tonight", "music upbeat for a workout",
        "book a mystery", "series funny and short", "game a hard platformer", "film sci-fi with big ideas",
        "game to play with friends", "something sad and beautiful", "game a roguelike", "film animated",
        "album chill for studying", "series a crime drama", "game with a great story", "film a classic western",
        "book fantasy with dragons", "game horror", "something relaxing", "film romantic comedy", "game strategy"]


KINDS = [("which it did not choose", "named_an_unchosen_catalog_title"),
         ("which is no chosen title", "named_an_invented_title"), ("wrote a link", "wrote_a_link"),
         ("not the JSON", "not_the_json_asked_for"), ("no candidate", "chose_a_bad_key"),
         ("said nothing", "said_nothing_but_titles_or_numbers"), ("the model failed", "model_failed")]


class Reasons(logging.Handler):
    """What the pitcher logs when it falls back or drops a line: the figures' why."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.fell_back: Counter[str] = Counter()
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("the pitch fell back"):
            self.fell_back[next((kind for clue, kind in KINDS if clue in message), "other")] += 1
        elif message.startswith("dropped the line"):
            self.dropped += 1


async def run(base: str, redis_url: str, asks: list[str]) -> tuple[list[float], list[bool], list[str]]:
    times: list[float] = []
    voiced: list[bool] = []
    samples: list[str] = []
    async with fireside_app(base, redis_url=redis_url, model=SERVED, memory={"facts": False},
                            llm={"first_token_timeout": 300.0, "total_timeout": 600.0}) as app:
        recommender = app.commands.services.recommender
        assert recommender is not None
        recommender.pitcher.give_up = False  # measure the model on every ask
        persona = app.personas.for_channel(None).persona
        for n, ask in enumerate(asks):
            viewer = Viewer("console", f"bench{n}", f"Viewer{n}", channel="bench")
            started = time.perf_counter()
            pitched = await recommender.offer(viewer, ask, persona)
            times.append(time.perf_counter() - started)
            if pitched is not None:
                voiced.append(pitched.voiced)
                if pitched.voiced and len(samples) < 2:
                    samples.append(pitched.text)
    return times, voiced, samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--asks", type=int, default=len(ASKS))
    args, _ = parser.parse_known_args()
    reasons = Reasons()
    logging.getLogger("bot.recommend.pitch").addHandler(reasons)
    logging.getLogger("bot.recommend.pitch").setLevel(logging.INFO)
    asks = (ASKS * (args.asks // len(ASKS) + 1))[:args.asks]
    with real_servers() as (base, redis_url):
        times, voiced, samples = asyncio.run(run(base, redis_url, asks))
    for text in samples:
        print(f"\n{text}")
    rows: list[tuple[str, Any, str]] = [
        ("asks", len(asks), "recommendation requests, each from a new viewer"),
        ("voiced_share", sum(voiced) / max(len(voiced), 1), "of pitches shown in the persona's words"),
        ("lines_dropped", reasons.dropped, "lines that named another pick (the pick stays, without them)"),
        ("pitch_s_p50", statistics.median(times), "s, ranking and the model's pitch"),
        ("pitch_s_max", max(times), "s"),
    ]
    rows += [(f"refused_{why}", count, "pitches: the template answered") for why, count
             in reasons.fell_back.most_common()]
    report("pitch_vllm", rows)


if __name__ == "__main__":
    main()
