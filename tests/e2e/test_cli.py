"""The `fireside` command as a user runs it: clear errors and exit codes, and a scripted chat round trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.services.redis_server import free_port
from tests.support.scripted_llm import Reply, ScriptedLLM


def _run(args: list[str], env: dict[str, str], stdin: str = "", cwd: Path | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          env={**base, **env}, cwd=cwd, timeout=timeout, check=False)


def test_config_check_masks_secrets(tmp_path: Path) -> None:
    done = _run(["config", "check"], {"FIRESIDE_DISCORD__TOKEN": "tok-very-secret"}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["discord"]["token"] == "**********" and "tok-very-secret" not in done.stdout


def test_config_check_names_invalid_fields(tmp_path: Path) -> None:
    done = _run(["config", "check"], {"FIRESIDE_LLM__MAX_CONCURRENCY": "0", "FIRESIDE_CHAT__NOPE": "1"},
                cwd=tmp_path)
    assert done.returncode == 2
    assert "FIRESIDE_LLM__MAX_CONCURRENCY" in done.stderr and "Traceback" not in done.stderr


def test_unreachable_redis_names_the_setting(tmp_path: Path, scripted: ScriptedLLM) -> None:
    env = {"FIRESIDE_REDIS__URL": f"redis://127.0.0.1:{free_port()}/0", "FIRESIDE_LLM__BASE_URL": scripted.base_url,
           "FIRESIDE_LLM__MODEL": "scripted", "FIRESIDE_DATA_DIR": str(tmp_path / "data")}
    done = _run(["chat", "--jsonl"], env, stdin=json.dumps({"user": "a", "text": "hi"}) + "\n", cwd=tmp_path)
    assert done.returncode == 2
    assert "FIRESIDE_REDIS__URL" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == "" and not scripted.requests


def test_unreachable_model_server_names_the_setting(tmp_path: Path, redis_url: str) -> None:
    env = {"FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_LLM__BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
           "FIRESIDE_DATA_DIR": str(tmp_path / "data")}
    done = _run(["chat", "--jsonl"], env, stdin="", cwd=tmp_path)
    assert done.returncode == 2
    assert "FIRESIDE_LLM__BASE_URL" in done.stderr and "Traceback" not in done.stderr


def test_wrong_model_name_is_named(tmp_path: Path, redis_url: str, scripted: ScriptedLLM) -> None:
    env = {"FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_LLM__BASE_URL": scripted.base_url,
           "FIRESIDE_LLM__MODEL": "gpt-nope"}
    done = _run(["chat", "--jsonl"], env, cwd=tmp_path)
    assert done.returncode == 2 and "FIRESIDE_LLM__MODEL" in done.stderr and "scripted" in done.stderr


def test_bad_persona_setting_is_named(tmp_path: Path, redis_url: str, scripted: ScriptedLLM) -> None:
    env = {"FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_LLM__BASE_URL": scripted.base_url,
           "FIRESIDE_LLM__MODEL": "scripted", "FIRESIDE_CHAT__PERSONA": "nobody"}
    done = _run(["chat", "--jsonl"], env, cwd=tmp_path)
    assert done.returncode == 2 and "FIRESIDE_CHAT__PERSONA" in done.stderr


def test_jsonl_chat_round_trip(tmp_path: Path, redis_url: str, scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["Ahoy", ", Alice"]), Reply(["Hi", " Bob"]))
    env = {"FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_LLM__BASE_URL": scripted.base_url,
           "FIRESIDE_LLM__MODEL": "scripted"}
    lines = [{"user": "Alice", "text": "hello"}, {"user": "Bob", "text": "hey"}]
    done = _run(["chat", "--jsonl", "--persona", "critic"], env,
                stdin="".join(json.dumps(x) + "\n" for x in lines), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = [json.loads(x) for x in done.stdout.splitlines()]
    assert out == [{"user": "Alice", "persona": "Marlowe", "reply": "Ahoy, Alice", "stored": True},
                   {"user": "Bob", "persona": "Marlowe", "reply": "Hi Bob", "stored": True}]


def test_persona_lint(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: Vex\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Vex\nfirst_mes: [unclosed\n")
    done = _run(["persona", "lint", str(good), str(bad)], {}, cwd=tmp_path)
    assert done.returncode == 1
    assert f"{good}: ok (Vex)" in done.stdout and str(bad) in done.stderr and "line" in done.stderr


def test_persona_import_export_round_trip(tmp_path: Path) -> None:
    from personas.cards import load_card
    from tests.support.cards import full_card, v2

    env = {"FIRESIDE_DATA_DIR": str(tmp_path / "data")}
    card = tmp_path / "lyra.json"
    card.write_text(json.dumps(v2(full_card("Lyra"))))
    done = _run(["persona", "import", str(card)], env, cwd=tmp_path)
    assert done.returncode == 0 and "imported Lyra as 'lyra'" in done.stdout, done.stderr
    again = _run(["persona", "import", str(card)], env, cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert _run(["persona", "import", str(card), "--force"], env, cwd=tmp_path).returncode == 0

    png, v2_json = tmp_path / "out.png", tmp_path / "out.json"
    assert _run(["persona", "export", "lyra", "--png", "-o", str(png)], env, cwd=tmp_path).returncode == 0
    assert _run(["persona", "export", "lyra", "--v2", "-o", str(v2_json)], env, cwd=tmp_path).returncode == 0
    assert load_card(png) == load_card(card)
    assert json.loads(v2_json.read_text()) == v2(full_card("Lyra"))
    listed = _run(["persona", "list"], env, cwd=tmp_path)
    assert "lyra" in listed.stdout and "Lyra" in listed.stdout


def test_persona_import_of_a_broken_card_names_file_and_field(tmp_path: Path) -> None:
    card = tmp_path / "broken.json"
    card.write_text(json.dumps({"spec": "chara_card_v2", "data": {"description": "no name"}}))
    done = _run(["persona", "import", str(card)], {"FIRESIDE_DATA_DIR": str(tmp_path / "d")}, cwd=tmp_path)
    assert done.returncode == 2 and str(card) in done.stderr and "data.name" in done.stderr
    assert not (tmp_path / "d" / "personas").exists()  # nothing half-written


def test_lorebook_import_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "world.json"
    bad.write_text('{"entries": {"0": {"key": ["a"], "content": 5}}}')
    done = _run(["lorebook", "import", str(bad)], {"FIRESIDE_DATA_DIR": str(tmp_path / "d")}, cwd=tmp_path)
    assert done.returncode == 2 and str(bad) in done.stderr and "content" in done.stderr


def test_story_transcript_exports_markdown(tmp_path: Path, redis_url: str) -> None:
    import asyncio

    from bot.memory.redis.backend import open_redis_stores
    from bot.story.model import Choice, Credit, Story

    async def seed() -> None:
        stores = open_redis_stores(redis_url)
        story = Story(platform="twitch", channel="4242", narrator="critic", premise="A locked library",
                      world="eldoria", scene=2, max_scenes=4, path=("Pick the lock.",), status="voting",
                      choices=(Choice("Read", "Read the book."), Choice("Run", "Run.")),
                      credits=(Credit("twitch:5", "Ann", 2, "A cat knocks over a lamp"),), id="abc")
        await stores.stories.create(story)
        await stores.stories.log("twitch", "4242", "## Scene 1\n\nDust everywhere.\n\n1. Pick the lock.\n2. Leave.")
        await stores.stories.log("twitch", "4242", "*The audience chose (3 of 4 votes): 1. Pick the lock.*")
        await stores.aclose()

    asyncio.run(seed())
    env = {"FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_DATA_DIR": str(tmp_path / "data")}
    done = _run(["story", "transcript", "twitch", "4242"], env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# A story in Eldoria, told by Marlowe\n\n- Premise: A locked library\n")
    assert "- Scenes: 2 of 4 (the audience is voting)" in done.stdout
    assert "- The audience's path: Pick the lock." in done.stdout and "- Ideas woven in: Ann (scene 2)" in done.stdout
    assert "## Scene 1\n\nDust everywhere.\n\n1. Pick the lock.\n2. Leave.\n" in done.stdout
    out = tmp_path / "story.md"
    assert _run(["story", "transcript", "twitch", "4242", "-o", str(out)], env, cwd=tmp_path).returncode == 0
    assert out.read_text(encoding="utf-8") == done.stdout.replace(done.stdout.split("\n")[4], out.read_text(
        encoding="utf-8").split("\n")[4])  # the same, but for the export time
    missing = _run(["story", "transcript", "twitch", "999"], env, cwd=tmp_path)
    assert missing.returncode == 2 and "no story in twitch channel 999" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_catalog_import_checks_the_file_and_keeps_the_catalog_in_service_on_errors(tmp_path: Path,
                                                                                   redis_url: str) -> None:
    env = {"FIRESIDE_REDIS__URL": redis_url, "FIRESIDE_DATA_DIR": str(tmp_path / "data")}
    good = tmp_path / "Games.csv"
    good.write_text("id,title,kind,year,age_rating\nceleste,Celeste,game,2018,E10+\nhades,Hades,game,2020,T\n"
                    "away,Spirited Away,film,2001,PG\n", encoding="utf-8")
    done = _run(["catalog", "import", str(good)], env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported catalog 'games': 3 items (1 film, 2 game)"
    again = _run(["catalog", "import", str(good)], env, cwd=tmp_path)
    assert "already holds this content" in again.stdout  # re-importing the same file changes nothing
    bad = tmp_path / "games.jsonl"
    bad.write_text('{"id": "x", "title": "X", "kind": "game", "year": "soon"}\n{"id": "y", "title": \n',
                   encoding="utf-8")
    refused = _run(["catalog", "import", str(bad), "--name", "games"], env, cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "line 1, field 'year': 'soon' is not a year" in refused.stderr and "line 2: invalid JSON" in refused.stderr
    stats = _run(["catalog", "stats"], env, cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert stats.stdout.startswith("games: 3 items (1 film, 2 game), years 2001-2020, 3 with an age rating; from "
                                   "Games.csv")  # the catalog in service is the one before the refused import
