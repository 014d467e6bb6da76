"""A whole story on the real vLLM with SmolLM2: the prefix-cache hit rate our narrator's prompt layout gets over
its first 10 scenes, how often SmolLM2's structured choices needed the fallback (over 20 scenes of choices by
default), and how long a scene takes to write."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from prometheus_client import REGISTRY

from bench.real_servers import SERVED, hit_rate, metrics, real_servers
from bench.report import report
from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.story.narrator import FALLBACK
from tests.support.app import fireside_app

PLATFORM, CHANNEL = "console", "bench-story"
PREFIX_SCENES = 10


def choices_counter(source: str) -> float:
    return REGISTRY.get_sample_value("fireside_story_choices_total", {"source": source}) or 0.0


async def run_story(base: str, redis_url: str, scenes: int) -> dict[str, Any]:
    said: list[BufferSink] = []

    async def outlet(channel: str) -> BufferSink:
        said.append(BufferSink())
        return said[-1]

    # Facts off: background extraction would share the model and blur the story's own prompts.
    async with fireside_app(base, redis_url=redis_url, model=SERVED, memory={"facts": False},
                            story={"max_scenes": scenes, "vote_window": 3600},
                            llm={"first_token_timeout": 300.0, "total_timeout": 900.0}) as app:
        app.outlets.register(PLATFORM, outlet)
        app.stories.tick = 0.05
        return await _play(app, base, scenes, said)


async def _play(app: Fireside, base: str, scenes: int, said: list[BufferSink]) -> dict[str, Any]:
    before, model_before, fallback_before = metrics(base), choices_counter("model"), choices_counter("fallback")
    at_ten: dict[str, float] | None = None
    durations: list[float] = []
    fallbacks = 0
    narrator = app.personas.for_channel(None).key  # the channel's persona, as `story` picks it
    await app.stories.start(PLATFORM, CHANNEL, narrator, "A lighthouse keeper finds a door in the rock.", None,
                            "console:bench")
    started = time.perf_counter()
    for scene in range(1, scenes + 1):
        while True:  # the scene is written when the story is voting on it (or has ended)
            story = await app.stores.stories.load(PLATFORM, CHANNEL)
            assert story is not None
            if story.status == "paused":
                raise SystemExit(f"the narrator failed in scene {scene}: {said[-1].error}")
            if story.scene == scene and story.status in ("voting", "ended"):
                break
            await asyncio.sleep(0.05)
        durations.append(time.perf_counter() - started)
        fallbacks += story.choices == FALLBACK
        if scene == PREFIX_SCENES:
            at_ten = metrics(base)
        if story.status == "ended":
            break
        await app.stories.vote(PLATFORM, CHANNEL, "console:viewer", 1 + scene % len(story.choices))
        started = time.perf_counter()
        await app.stories.close(PLATFORM, CHANNEL, early=True)
    after = metrics(base)
    return {"before": before, "at_ten": at_ten or after, "after": after, "durations": durations,
            "choice_scenes": max(0, len(durations) - 1), "fallbacks": fallbacks,
            "model_choices": choices_counter("model") - model_before,
            "fallback_choices": choices_counter("fallback") - fallback_before,
            "sample": said[1].text if len(said) > 1 else ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=21, help="scenes in the story (the last has no choices)")
    parser.add_argument("--compiled", action="store_true")
    args, _ = parser.parse_known_args()
    with real_servers(args.compiled) as (base, redis_url):
        out = asyncio.run(run_story(base, redis_url, args.scenes))
    rate10, tokens10 = hit_rate(out["before"], out["at_ten"])
    rate_all, tokens_all = hit_rate(out["before"], out["after"])
    written = len(out["durations"])
    print("\nscene 1 as written:\n" + out["sample"][:800])
    report("story_vllm", [
        ("scenes", written, f"scenes written (SmolLM2 fp32 eager, {out['choice_scenes']} of them with choices)"),
        ("prefix_cache_hit_rate_10_scenes", rate10, f"of prompt tokens over scenes 1-{min(written, PREFIX_SCENES)}"
                                                    f" ({tokens10:.0f} prompt tokens, choices calls included)"),
        ("prefix_cache_hit_rate_all", rate_all, f"of prompt tokens over all {written} scenes ({tokens_all:.0f})"),
        ("choices_fallback", out["fallbacks"], f"of {out['choice_scenes']} scenes fell back to choices by code"),
        ("choices_from_model", out["model_choices"], "scenes whose choices SmolLM2 wrote (validated)"),
        ("scene_seconds_p50", statistics.median(out["durations"]), "s from the vote closing to the choices"),
    ])


if __name__ == "__main__":
    main()
