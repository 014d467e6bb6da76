"""Two replicas running at once, sharing one data folder (the shared volume the README describes) and one Redis:
a persona card, a world book and a catalog imported with the CLI while they run are used by both, without a
restart or a reload command on either."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import Author, ChatEvent
from tests.e2e.test_stories import WORLD
from tests.support.app import fireside_app
from tests.support.cards import full_card, v2
from tests.support.scripted_llm import ScriptedLLM

MOD = frozenset({"moderator"})


def fireside(data_dir: Path, redis_url: str, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")}
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60,
                          env={**env, "FIRESIDE_DATA_DIR": str(data_dir), "FIRESIDE_REDIS__URL": redis_url},
                          check=False)
    assert done.returncode == 0, done.stderr


async def command(app: Fireside, name: str, args: str, channel: str) -> BufferSink:
    sink = BufferSink()
    await app.dispatch(ChatEvent("twitch", channel, Author("9", "mod", roles=MOD), f"!{name} {args}", command=name,
                                 args=args), sink)
    return sink


async def test_what_an_admin_imports_while_replicas_run_is_used_by_every_replica(
        redis_url: str, scripted: ScriptedLLM, tmp_path: Path) -> None:
    shared = tmp_path / "shared-volume"
    async with fireside_app(scripted.base_url, redis_url=redis_url, data_dir=shared) as one, \
            fireside_app(scripted.base_url, redis_url=redis_url, data_dir=shared) as two:
        for i, app in enumerate((one, two)):  # nothing imported yet
            assert "lyra" not in (await command(app, "personas", "", f"c{i}")).text
        card, world, games = tmp_path / "Lyra.json", tmp_path / "thornwood.json", tmp_path / "games.csv"
        card.write_text(json.dumps(v2(full_card("Lyra"))), encoding="utf-8")
        world.write_text(json.dumps(WORLD), encoding="utf-8")
        games.write_text("id,title,kind,year\nceleste,Celeste,game,2018\nhades,Hades,game,2020\n", encoding="utf-8")
        fireside(shared, redis_url, "persona", "import", str(card))
        fireside(shared, redis_url, "lorebook", "import", str(world), "--name", "thornwood")
        fireside(shared, redis_url, "catalog", "import", str(games))

        for i, app in enumerate((one, two)):
            channel = f"room{i}"
            chosen = await command(app, "persona", "lyra", channel)
            assert chosen.text.startswith("Lyra will speak in"), chosen.error
            await app.dispatch(ChatEvent("twitch", channel, Author("7", "sam"), "hello there", addressed=True),
                               BufferSink())
            prompt = "\n".join(m["content"] for m in scripted.requests[-1].body["messages"])
            assert "lighthouse keeper" in prompt  # Lyra's card speaks here
            assert "thornwood" in app.personas.registry.lorebook_names()
            listed = await command(app, "catalogs", "", channel)
            assert "In service: games." in listed.text, listed.text
