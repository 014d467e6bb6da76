"""Fault test: the real vLLM is hung (SIGSTOP) and then killed (SIGKILL) in the middle of a reply while viewers
talk, and restarted. Each cut turn gets a clear word and stores nothing (no fragment taken for a reply); every
answered turn is stored once; the bot answers again as soon as the server is back. One vLLM restart."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import Author, ChatEvent
from bot.router import MODEL_DOWN, MODEL_SLOW
from inference.server import VLLMServer
from inference.types import ChatMessage, Sampling
from tests.conftest import SERVED_NAME
from tests.support.app import fireside_app
from tests.support.leftovers import leftovers

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]


class FirstToken:
    """The engine's model client, passed through, telling the test when a reply has begun to stream."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.began = asyncio.Event()

    async def stream_chat(self, messages: list[ChatMessage], sampling: Sampling) -> AsyncGenerator[str, None]:
        async for delta in self.llm.stream_chat(messages, sampling):
            self.began.set()
            yield delta


async def _turn(app: Fireside, who: str, text: str) -> tuple[BufferSink, Any]:
    sink = BufferSink()
    result = await app.dispatch(ChatEvent("console", "faults", Author(who.lower(), who), text), sink)
    return sink, result


async def _cut(app: Fireside, probe: FirstToken, server: VLLMServer, sig: signal.Signals) -> BufferSink:
    """A turn whose server gets `sig` (the whole process group: API server and engine) once tokens flow."""
    assert server.proc is not None
    probe.began.clear()
    turn = asyncio.ensure_future(_turn(app, "Bea", "Tell me a long story about the sea, please."))
    await asyncio.wait_for(probe.began.wait(), 120)
    os.killpg(server.proc.pid, sig)
    sink, _ = await turn
    return sink


async def test_the_model_server_hung_then_killed_mid_reply(vllm_server: VLLMServer | None, redis_url: str) -> None:
    if vllm_server is None:
        pytest.skip("FIRESIDE_TEST_LLM_URL: a model server this suite did not start is not ours to kill")
    server = vllm_server
    llm = {"max_tokens": 120, "first_token_timeout": 120.0, "inter_token_timeout": 3.0, "total_timeout": 300.0,
           "max_retries": 0}
    answered: list[str] = []
    try:
        async with fireside_app(server.base_url, redis_url=redis_url, model=SERVED_NAME, llm=llm,
                                memory={"facts": False}) as app:
            probe = FirstToken(app.engine.llm)
            app.engine.llm = probe  # type: ignore[assignment]

            async def talk(text: str) -> None:
                sink, result = await _turn(app, "Al", text)
                assert sink.error is None and result is not None and result.stored, sink.error
                answered.append(text)

            await talk("Hi Pip, I'm Al.")
            hung = await _cut(app, probe, server, signal.SIGSTOP)
            assert hung.error == MODEL_SLOW  # the inter-token timeout, not 240 s of nothing
            os.killpg(server.proc.pid, signal.SIGCONT)  # type: ignore[union-attr]
            await talk("Are you back?")
            killed = await _cut(app, probe, server, signal.SIGKILL)
            assert killed.error == MODEL_DOWN
            await asyncio.to_thread(server.proc.wait, 30)  # type: ignore[union-attr]
            await asyncio.to_thread(server.stop)  # whatever of the group is left
            await asyncio.to_thread(server.start)
            await asyncio.to_thread(server.wait_healthy, 600)
            await talk("And now?")
            history = await app.memory.history("console", "faults")
            await app.forgetter.forget("console", "al")
            await app.forgetter.forget("console", "bea")
            left = await leftovers(redis_url, *answered, "long story")  # (names: the catalog has "Al..." titles)
    finally:
        if server.proc is not None and server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGCONT)
        else:  # left dead by a failure above: the tests after this one need it
            server.start()
            server.wait_healthy(timeout=600)
    said = [line.text for line in history if line.speaker == "user"]
    print(f"\nmodel-server faults: 2 cut (hung, killed), {len(answered)} answered, {len(said)} stored")
    assert said == answered  # every answered turn stored once, in order; nothing of the two cut turns
    assert left == 0  # and forgetting them afterwards leaves nothing
