"""Every command in the table exists on Discord, Twitch and the console, unless the table says why not: read
back from the surfaces each adapter generated (the Discord command tree, twitchio's command map, the console's
/help)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.adapters.twitch.bot import NAMESPACE, FiresideTwitch
from bot.app import Fireside
from bot.commands.spec import PLATFORMS
from bot.memory.tokens import FileTokenStore
from bot.settings import TwitchSettings
from tests.support.discord_harness import build
from tests.support.twitch_harness import BOT_ID, BOT_LOGIN


@pytest.fixture
def app(memory_app: Fireside) -> Fireside:
    return memory_app  # the in-memory stores: no Redis needed here


async def surfaces(app: Fireside, tmp_path: Path) -> dict[str, set[str]]:
    tree = build(app.dispatch, app.table).client.tree
    discord: set[str] = set()
    for group in tree.get_commands():
        discord |= {f"{group.name} {c.name}" for c in group.commands}  # type: ignore[union-attr]
    cfg = TwitchSettings(client_id="cid", client_secret="s", bot_id=BOT_ID)
    twitch = FiresideTwitch(cfg, app.dispatch, app.ingestor.add, FileTokenStore(tmp_path / "t.json"), app.table,
                            bot_login=BOT_LOGIN)
    twitch_names = set(twitch.commands) - {NAMESPACE}
    await twitch.close()
    out = io.StringIO()
    await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdin=io.StringIO('{"text": "/help"}\n'),
                         stdout=out).run(app.dispatch)
    listed = json.loads(out.getvalue())["reply"]
    console = {line.split()[0].removeprefix("/").rstrip(":") for line in listed.splitlines()}
    return {"discord": discord, "twitch": twitch_names, "console": console}


async def test_every_command_is_everywhere_unless_the_table_says_why(app: Fireside, tmp_path: Path) -> None:
    found = await surfaces(app, tmp_path)
    assert len(app.table) >= 20
    for spec in app.table:
        group = "fireside-admin" if spec.access == "moderator" else "fireside"
        present = {"discord": f"{group} {spec.name}" in found["discord"], "twitch": spec.name in found["twitch"],
                   "console": spec.name in found["console"]}
        for platform in PLATFORMS:
            if spec.on(platform):
                assert present[platform], f"{spec.name} is missing on {platform}"
            else:
                assert not present[platform], f"{spec.name} is on {platform} though the table says it isn't"
                assert len(spec.not_on[platform]) > 10, f"{spec.name}: say why it is not on {platform}"
        assert sum(present.values()) >= 1


async def test_moderator_options_of_an_everyone_command_are_in_the_admin_group(app: Fireside,
                                                                                tmp_path: Path) -> None:
    found = await surfaces(app, tmp_path)
    assert {"fireside persona", "fireside-admin persona"} <= found["discord"]
