"""Integration: the real vLLM serving SmolLM2, real Redis, two users talking through the console adapter."""

from __future__ import annotations

import io
import json

import pytest
import redis.asyncio as aioredis

from bot.adapters.console import ConsoleAdapter
from bot.memory.keys import Keys
from tests.conftest import SERVED_NAME
from tests.support.app import fireside_app

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]


async def test_two_users_talk_to_smollm2(vllm_url: str, redis_url: str, raw_redis: aioredis.Redis) -> None:
    lines = [{"user": "Alice", "text": "Hi Pip! My favourite game is Celeste."},
             {"user": "Bob", "text": "Hello Pip, what game did Alice just mention?"}]
    out = io.StringIO()
    async with fireside_app(vllm_url, redis_url=redis_url, model=SERVED_NAME,
                            llm={"max_tokens": 40, "first_token_timeout": 300.0, "total_timeout": 600.0}) as app:
        adapter = ConsoleAdapter(persona_name=lambda: app.personas.default().persona.name, jsonl=True, show_prompt=True,
                                 stdin=io.StringIO("".join(json.dumps(x) + "\n" for x in lines)), stdout=out)
        await adapter.run(app.dispatch)
    replies = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [r["user"] for r in replies] == ["Alice", "Bob"]
    for r in replies:
        assert "error" not in r, r
        assert isinstance(r["reply"], str) and r["reply"].strip()

    # The second request's prompt carries the first turn, attributed, and the first reply.
    second_prompt = [m["content"] for m in replies[1]["prompt"]]
    assert "Alice: Hi Pip! My favourite game is Celeste." in second_prompt
    assert replies[0]["reply"] in second_prompt

    keys = Keys()
    history = [json.loads(x) for x in await raw_redis.lrange(keys.history("console", "local"), 0, -1)]
    assert [(h["s"], h["n"]) for h in history] == [("user", "Alice"), ("bot", "Pip"), ("user", "Bob"), ("bot", "Pip")]
    for account, name in (("alice", "Alice"), ("bob", "Bob")):
        uid = await raw_redis.get(keys.alias("console", account))
        assert uid, f"no alias for {account}"
        assert await raw_redis.hget(keys.profile(uid), "name:console") == name


async def test_extraction_output_is_valid_against_the_schema(vllm_url: str, embedder: object) -> None:
    from bot.memory.embedder import StaticEmbedder
    from bot.memory.extraction import CANDIDATES_SCHEMA, DECISION_SCHEMA, Candidates, Decision, Extractor
    from inference.client import ClientLimits, OpenAIChatClient
    from inference.types import ChatMessage

    assert isinstance(embedder, StaticEmbedder)
    llm = OpenAIChatClient(vllm_url, SERVED_NAME, limits=ClientLimits(total_timeout=600, first_token_timeout=300))
    raw = await llm.complete_json(
        [ChatMessage("user", "Messages:\n1. I absolutely love Celeste\n2. I hate spinach")],
        CANDIDATES_SCHEMA, "facts", max_tokens=300)
    Candidates.model_validate_json(raw)  # raises if vLLM's output broke the schema
    raw = await llm.complete_json([ChatMessage("user", "Stored facts:\n0: User likes tea\n\nNew fact: User "
                                                       "likes coffee")], DECISION_SCHEMA, "decision", max_tokens=80)
    Decision.model_validate_json(raw)
    # And through the extractor, with its one-shot prompt: whatever it finds passes validation and screening.
    found = await Extractor(llm, embedder).candidates(["I absolutely love Celeste", "my brother lives in Lyon"])
    assert all(c.text for c in found)
    await llm.aclose()


async def test_token_counts_come_from_the_served_model(vllm_url: str) -> None:
    from inference.client import OpenAIChatClient
    from inference.types import ChatMessage

    llm = OpenAIChatClient(vllm_url, SERVED_NAME)
    short, limit = await llm.count_chat_tokens([ChatMessage("user", "Hi")])
    longer, _ = await llm.count_chat_tokens([ChatMessage("user", "Hi " * 50)])
    assert limit == 2048 and 0 < short < longer
    await llm.aclose()


async def test_story_choices_from_smollm2_validate_against_the_schema(vllm_url: str) -> None:
    """vLLM's json_schema output for a scene's choices, checked against the schema's bounds; and the narrator's
    own path (dedupe, retry, fallback) always ends with 2-4 usable choices. How often SmolLM2 needs the
    fallback over 20 scenes is measured by `python -m bench.story_vllm`."""
    import json

    from bot.story.model import CHOICE_CHARS, LABEL_CHARS
    from bot.story.narrator import CHOICES_SCHEMA, CHOICES_SYSTEM, Narrator, _Choices
    from inference.client import ClientLimits, OpenAIChatClient
    from inference.types import ChatMessage

    llm = OpenAIChatClient(vllm_url, SERVED_NAME, limits=ClientLimits(total_timeout=600, first_token_timeout=300))
    scene = ("The lighthouse lamp dies. Below, a door has opened in the rock, and a cold wind pulls at the "
             "keeper's coat. Far out, a ship's bell rings three times.")
    raw = await llm.complete_json([ChatMessage("system", CHOICES_SYSTEM), ChatMessage("user", f"Scene:\n{scene}")],
                                  CHOICES_SCHEMA, "choices", max_tokens=250)
    data = json.loads(raw)
    assert set(data) == {"choices"} and 2 <= len(data["choices"]) <= 4
    for choice in data["choices"]:
        assert set(choice) == {"label", "text"}
        assert 1 <= len(choice["label"]) <= LABEL_CHARS and 3 <= len(choice["text"]) <= CHOICE_CHARS
    _Choices.model_validate_json(raw)
    offered = await Narrator(llm, lambda _k: None, lambda _w: None).choices(scene)  # type: ignore[arg-type,return-value]
    assert 2 <= len(offered) <= 4 and all(c.label and c.text for c in offered)
    await llm.aclose()
