"""A persona's sentence limit, seen from chat: the reply ends after its last allowed sentence, the model's
stream is closed there (generation stops), and the stored reply is what was shown. A bad limit in a persona
file is a clear error."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import Fireside
from personas.loader import PersonaError, load_persona_file
from tests.support.app import fireside_app
from tests.support.scripted_llm import Reply, ScriptedLLM

RAMBLE = ["Beep! ", "Hi Sam. ", "That jump ", "was wild! ", "Want a tip? ", "Go left. ", "Then right. ",
          "Then jump again. ", "And again."]


async def say(app: Fireside, text: str) -> dict[str, str]:
    out = io.StringIO()
    await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdout=out,
                         stdin=io.StringIO(json.dumps({"user": "Sam", "text": text}) + "\n")).run(app.dispatch)
    reply: dict[str, str] = json.loads(out.getvalue().splitlines()[-1])
    return reply


async def test_the_sidekick_stops_after_three_sentences_and_the_model_stops_too(scripted: ScriptedLLM) -> None:
    scripted.script(Reply(RAMBLE, delay=0.05))
    async with fireside_app(scripted.base_url) as app:
        reply = await say(app, "pip did you see that jump??")
        assert reply["reply"] == "Beep! Hi Sam. That jump was wild!"
        assert scripted.wait_disconnected(0), "the stream was read to its end instead of closed"
        history = await app.stores.memory.history("console", "local")
    assert history[-1].text == "Beep! Hi Sam. That jump was wild!"


async def test_a_persona_without_a_limit_says_it_all(scripted: ScriptedLLM, tmp_path: Path) -> None:
    (tmp_path / "rambler.yaml").write_text("name: Pip\nsystem_prompt: You are Pip.\n", encoding="utf-8")
    scripted.script(Reply(RAMBLE))
    async with fireside_app(scripted.base_url, chat={"persona_dir": tmp_path, "persona": "rambler"}) as app:
        reply = await say(app, "hi")
    assert reply["reply"] == "".join(RAMBLE)


@pytest.mark.parametrize("value", ["0", "three", "50"])
def test_a_bad_sentence_limit_names_the_field(tmp_path: Path, value: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: Pip\nextensions:\n  fireside:\n    max_sentences: {value}\n", encoding="utf-8")
    with pytest.raises(PersonaError, match="max_sentences"):
        load_persona_file(path)
