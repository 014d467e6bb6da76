"""Issue 16's new-user report, replayed through the console adapter with the default (hybrid) extraction: the
like, the dislike and the cat are all remembered without a model call; a correction replaces its fact; quotes
and questions add nothing; and the viewer's next prompt carries what they said."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import Fireside
from bot.memory.embedder import StaticEmbedder
from tests.support.app import fireside_app
from tests.support.scripted_llm import ScriptedLLM


@pytest.fixture
async def app(redis_url: str, scripted: ScriptedLLM, embedder: StaticEmbedder) -> AsyncIterator[Fireside]:
    async with fireside_app(scripted.base_url, redis_url=redis_url) as core:
        assert core.fact_worker is not None and core.fact_worker.extractor.mode == "hybrid"
        yield core


async def chat(app: Fireside, *lines: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    stdin = io.StringIO("".join(json.dumps({"user": "Maya", "text": t}) + "\n" for t in lines))
    await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, show_prompt=True, stdin=stdin,
                         stdout=out).run(app.dispatch)
    assert app.fact_worker is not None
    await app.fact_worker.drain()
    return [json.loads(x) for x in out.getvalue().splitlines()]


async def test_the_like_the_dislike_and_the_cat_are_all_remembered(app: Fireside, scripted: ScriptedLLM) -> None:
    await chat(app, "I really love Hollow Knight and rhythm games.", "I hate horror movies, they scare me.",
               "My cat is called Pickle.")
    [memory] = await chat(app, "/memory")
    for fact in ("User loves Hollow Knight", "User loves rhythm games", "User hates horror movies",
                 "User's cat is called Pickle"):
        assert fact in memory["reply"]
    assert scripted.json_requests == []  # the rules read all three: no extraction call to the model

    # A correction replaces its fact; quoted speech and a question add nothing.
    await chat(app, "actually I don't like Hollow Knight anymore", "my friend said 'I love horror'",
               "do you like horror?")
    [memory] = await chat(app, "/memory")
    assert "User no longer likes Hollow Knight" in memory["reply"]
    assert "User loves Hollow Knight" not in memory["reply"] and "loves horror" not in memory["reply"]
    assert memory["reply"].count("User") == 4
    assert scripted.json_requests == []

    [answer] = await chat(app, "what games do I like?")
    prompt = "\n".join(m["content"] for m in answer["prompt"])
    assert "Maya loves rhythm games" in prompt


async def test_what_the_rules_leave_goes_to_the_model_alone(app: Fireside, scripted: ScriptedLLM) -> None:
    scripted.json_steps.append(json.dumps({"facts": [{"text": "User works night shifts at a hospital",
                                                      "kind": "fact"}]}))
    await chat(app, "I live in Paris", "long night shifts at the hospital for me this week", "hi chat!")
    [request] = scripted.json_requests
    asked = request.body["messages"][-1]["content"]
    assert "night shifts at the hospital" in asked and "Paris" not in asked and "hi chat" not in asked
    [memory] = await chat(app, "/memory")
    assert "User lives in Paris" in memory["reply"] and "User works night shifts at a hospital" in memory["reply"]


async def test_the_fact_a_question_asks_about_comes_first_in_the_prompt(app: Fireside) -> None:
    await chat(app, "I really love Hollow Knight", "My cat is called Pickle", "I live in Berlin", "I'm 32",
               "I work as a nurse", "I hate horror movies")
    expected = {"what game do I love?": "Maya loves Hollow Knight", "where do I live?": "Maya lives in Berlin",
                "what's my job?": "Maya works as a nurse", "what kind of movies do I hate?": "Maya hates horror movies",
                "how old am I?": "Maya is 32 years old", "what's my cat called?": "Maya's cat is called Pickle"}
    answers = await chat(app, *expected)
    for (question, fact), answer in zip(expected.items(), answers, strict=True):
        notes = next(m["content"] for m in answer["prompt"] if "Notes on Maya" in m["content"])
        assert notes.split("«")[1].startswith(fact), (question, notes)


async def test_a_fact_the_rules_read_is_in_memory_without_waiting_for_the_batch(app: Fireside) -> None:
    """The issue's new user asked `memory` a minute later and found one fact; now a fact the rules read is
    extracted on the worker's next tick (1 s), not when 3 messages have come or 15 s have passed."""
    out = io.StringIO()
    stdin = io.StringIO(json.dumps({"user": "Maya", "text": "My cat is called Pickle."}) + "\n")
    await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdin=stdin, stdout=out).run(app.dispatch)
    assert app.fact_worker is not None and app.fact_worker.batch == 3 and app.fact_worker.max_wait == 15.0
    for _ in range(50):  # the worker's own loop, not a drain
        uid = await app.memory.resolve_uid("console", "maya")
        facts = (await app.stores.facts.facts(uid))[0] if uid else []
        if facts:
            break
        await asyncio.sleep(0.1)
    assert [f.text for f in facts] == ["User's cat is called Pickle"]
