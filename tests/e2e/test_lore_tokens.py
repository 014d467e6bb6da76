"""Lorebook budgets count the served model's tokens (its tokenizer.json), not 4 characters a token: an entry
that fits by characters but not by tokens stays out of the prompt, seen from the console; a wrong tokenizer
setting is a clear error at start."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import Fireside
from bot.errors import ConfigError
from inference.token_count import ServedTokenCounter, estimate_tokens
from tests.support.app import fireside_app
from tests.support.scripted_llm import ScriptedLLM
from tests.support.services import missing, prepared_model_dir

# 30 characters of emoji: 8 tokens by the old estimate, far more by SmolLM2's byte-level tokenizer.
EMOJI_LORE = "🔥🐉" * 15
PLAIN_LORE = "The dragon sleeps under the mountain."
ENTRY = '    - {{keys: [dragon], content: "{}", constant: true, insertion_order: {}, enabled: true, extensions: {{}}}}'
PERSONA = "\n".join(["name: Ember", "description: A dragon-keeper who talks to chat.", "system_prompt: You are Ember.",
                     "character_book:", "  token_budget: 40", "  entries:", ENTRY.format(PLAIN_LORE, 2),
                     ENTRY.format(EMOJI_LORE, 1), ""])


@pytest.fixture
def tokenizer() -> Path:
    path = prepared_model_dir() / "tokenizer.json"
    if not path.is_file():
        missing(f"no prepared model tokenizer at {path}: run `fireside model prepare`")
    return path


def persona_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "ember.yaml").write_text(PERSONA, encoding="utf-8")
    return folder


async def system_prompt(app: Fireside) -> str:
    out = io.StringIO()
    await ConsoleAdapter(persona_name=lambda: "Ember", jsonl=True, show_prompt=True, stdout=out,
                         stdin=io.StringIO(json.dumps({"user": "Sam", "text": "hi"}) + "\n")).run(app.dispatch)
    prompt: str = json.loads(out.getvalue().splitlines()[-1])["prompt"][0]["content"]
    return prompt


def test_the_served_tokenizer_counts_what_the_estimate_misses(tokenizer: Path) -> None:
    counter = ServedTokenCounter(tokenizer)
    assert counter.exact and estimate_tokens(EMOJI_LORE) == 8
    assert counter(EMOJI_LORE) > 40 >= counter(PLAIN_LORE) + estimate_tokens(EMOJI_LORE)


async def test_an_entry_over_budget_in_real_tokens_stays_out_of_the_prompt(
        scripted: ScriptedLLM, tmp_path: Path, tokenizer: Path) -> None:
    chat = {"persona_dir": persona_dir(tmp_path), "persona": "ember"}
    async with fireside_app(scripted.base_url, chat=chat, llm={"tokenizer": tokenizer}) as app:
        exact = await system_prompt(app)
    assert PLAIN_LORE in exact and EMOJI_LORE not in exact
    # By the old estimate both fit: the same persona with no tokenizer known keeps the emoji entry.
    async with fireside_app(scripted.base_url, chat=chat) as app:
        estimated = await system_prompt(app)
    assert PLAIN_LORE in estimated and EMOJI_LORE in estimated


@pytest.mark.parametrize(("content", "says"), [(None, "no tokenizer.json there"),
                                               ("{not json", "not a tokenizer.json")])
async def test_a_wrong_tokenizer_setting_is_a_clear_error(scripted: ScriptedLLM, tmp_path: Path, content: str | None,
                                                          says: str) -> None:
    path = tmp_path / "tokenizer.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="FIRESIDE_LLM__TOKENIZER") as caught:
        async with fireside_app(scripted.base_url, llm={"tokenizer": path}):
            pass
    assert says in str(caught.value)
