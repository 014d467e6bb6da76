"""A story in a channel shared out between two replicas (two apps on one store): only the replica that serves
the channel closes its votes and writes its scenes, so the audience never sees a scene twice."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from pathlib import Path

from bot.adapters.console import BufferSink
from bot.events import Author, ChatEvent
from bot.memory.inmemory import World
from tests.e2e.test_stories import MOD, WORLD, C, Clock, Outlet, P, choices, until
from tests.support.app import fireside_app
from tests.support.scripted_llm import Reply, ScriptedLLM


async def test_only_the_replica_serving_the_channel_writes_the_next_scene(scripted: ScriptedLLM,
                                                                       tmp_path: Path) -> None:
    world, clock = World(), Clock()
    books = tmp_path / "data" / "lorebooks"
    books.mkdir(parents=True)
    (books / "thornwood.json").write_text(json.dumps(WORLD), encoding="utf-8")
    scripted.script(*(Reply([f"Scene {i}. "]) for i in range(1, 4)))
    scripted.json_by_name["choices"] = deque([choices("Left", "Right"), choices("Up", "Down")])
    settings = {"data_dir": tmp_path / "data", "story": {"max_scenes": 3, "vote_window": 30}}
    async with fireside_app(scripted.base_url, world=world, **settings) as serving, \
            fireside_app(scripted.base_url, world=world, **settings) as other:
        outlets = {"serving": Outlet(), "other": Outlet()}
        for name, app in (("serving", serving), ("other", other)):
            app.stories.clock = clock
            app.stories.tick = 0.02
            app.outlets.register(P, outlets[name], owns=lambda _c, n=name: n == "serving")
        start = ChatEvent(P, C, Author("7", "mod", roles=MOD), "!story A road", command="story", args="A road")
        await serving.dispatch(start, BufferSink())
        await until(lambda: len(outlets["serving"].said) == 1 and outlets["serving"].said[0].finished, "scene 1")
        await other.stories.refresh()  # the other replica learns of the open vote, as its clock would
        clock.now += 31
        await until(lambda: len(outlets["serving"].said) == 3 and outlets["serving"].said[2].finished, "scene 2")
        await asyncio.sleep(0.2)  # (the other replica's clock ticks meanwhile)
    assert outlets["other"].said == []
    assert sum(t.startswith("Scene 2") for t in outlets["serving"].texts) == 1
