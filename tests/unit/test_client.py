"""The inference client against our scripted server: streaming, retries, timeouts, cuts, cancellation."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from inference.breaker import CircuitBreaker
from inference.client import ClientLimits, OpenAIChatClient
from inference.errors import BadRequest, InferenceTimeout, InferenceUnavailable, Overloaded, StreamInterrupted
from inference.types import ChatMessage, Sampling
from tests.support.scripted_llm import Fail, Hang, Reply, ScriptedLLM

MSGS = [ChatMessage("system", "be brief"), ChatMessage("user", "alice: hi")]


def _client(scripted: ScriptedLLM, **limits: float) -> OpenAIChatClient:
    base = {"retry_backoff": 0.01, "first_token_timeout": 5.0, "total_timeout": 10.0}
    base.update(limits)
    return OpenAIChatClient(scripted.base_url, "scripted",
                            limits=ClientLimits(**base),  # type: ignore[arg-type]
                            breaker=CircuitBreaker(failures_to_open=100))


async def _collect(client: OpenAIChatClient, sampling: Sampling | None = None) -> str:
    parts = []
    async with aclosing(client.stream_chat(MSGS, sampling or Sampling())) as stream:
        async for delta in stream:
            parts.append(delta)
    return "".join(parts)


async def test_streams_deltas_in_order(scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["Hel", "lo", ", ", "alice"]))
    client = _client(scripted)
    assert await _collect(client) == "Hello, alice"
    body = scripted.requests[0].body
    assert body["stream"] is True and body["messages"][1]["content"] == "alice: hi"
    assert scripted.requests[0].headers.get("x-request-id")
    await client.aclose()


async def test_sampling_and_vllm_extras_are_sent(scripted: ScriptedLLM) -> None:
    client = _client(scripted)
    await _collect(client, Sampling(temperature=0.3, max_tokens=17, extra={"repetition_penalty": 1.2}))
    body = scripted.requests[0].body
    assert body["temperature"] == 0.3 and body["max_tokens"] == 17 and body["repetition_penalty"] == 1.2
    await client.aclose()


async def test_server_error_before_first_token_is_retried(scripted: ScriptedLLM) -> None:
    scripted.script(Fail(500), Fail(503), Reply(["ok"]))
    client = _client(scripted)
    assert await _collect(client) == "ok"
    assert len(scripted.requests) == 3
    await client.aclose()


async def test_persistent_server_error_raises_unavailable(scripted: ScriptedLLM) -> None:
    scripted.script(Fail(500), Fail(500), Fail(500))
    client = _client(scripted)
    with pytest.raises(InferenceUnavailable):
        await _collect(client)
    assert len(scripted.requests) == 3  # one try plus max_retries=2
    await client.aclose()


async def test_bad_request_is_not_retried(scripted: ScriptedLLM) -> None:
    scripted.script(Fail(400, "context too long"))
    client = _client(scripted)
    with pytest.raises(BadRequest, match="context too long"):
        await _collect(client)
    assert len(scripted.requests) == 1
    await client.aclose()


async def test_rate_limit_maps_to_overloaded_with_retry_after(scripted: ScriptedLLM) -> None:
    scripted.script(Fail(429, retry_after=7), Fail(429, retry_after=7), Fail(429, retry_after=7))
    client = _client(scripted)
    with pytest.raises(Overloaded) as err:
        await _collect(client)
    assert err.value.retry_after == 7.0
    await client.aclose()


async def test_first_token_timeout(scripted: ScriptedLLM) -> None:
    scripted.script(Hang(5), Hang(5))
    client = _client(scripted, first_token_timeout=0.3, max_retries=1)
    with pytest.raises(InferenceTimeout) as err:
        await _collect(client)
    assert err.value.phase == "the first token"
    assert scripted.wait_disconnected(0) and scripted.wait_disconnected(1)
    await client.aclose()


async def test_whole_reply_timeout_is_not_retried(scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["a"] * 50, delay=0.1))
    client = _client(scripted, total_timeout=0.5)
    with pytest.raises(InferenceTimeout) as err:
        await _collect(client)
    assert err.value.phase == "the whole reply" and len(scripted.requests) == 1
    assert scripted.wait_disconnected()
    await client.aclose()


async def test_stream_cut_mid_reply_is_interrupted_not_retried(scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["one ", "two ", "three ", "four"], cut_after=2))
    client = _client(scripted)
    got = []
    with pytest.raises(StreamInterrupted) as err:
        async with aclosing(client.stream_chat(MSGS, Sampling())) as stream:
            async for delta in stream:
                got.append(delta)
    assert "".join(got) == "one two " and err.value.partial == "one two "
    assert len(scripted.requests) == 1
    await client.aclose()


async def test_a_stream_that_ends_without_a_finish_reason_is_interrupted(scripted: ScriptedLLM) -> None:
    # A proxy or a dying server may close the stream cleanly halfway: only a finish_reason says it is whole.
    scripted.script(Reply(["one ", "two "], finish=None), Reply(["a ", "b"], finish="length"))
    client = _client(scripted)
    with pytest.raises(StreamInterrupted) as err:
        await _collect(client)
    assert err.value.partial == "one two " and len(scripted.requests) == 1
    assert await _collect(client) == "a b"  # cut at max_tokens is a finished reply
    await client.aclose()


async def test_a_stall_between_tokens_times_out_long_before_the_whole_reply(scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["one ", "two ", "three"], delay=5.0))
    client = _client(scripted, inter_token_timeout=0.3, total_timeout=60)
    with pytest.raises(InferenceTimeout) as err:
        await _collect(client)
    assert err.value.phase == "the next token" and len(scripted.requests) == 1
    assert scripted.wait_disconnected()  # the stalled generation is aborted on the server
    await client.aclose()


async def test_cancelling_closes_the_stream_on_the_server(scripted: ScriptedLLM) -> None:
    scripted.script(Reply(["tok "] * 200, delay=0.05))
    client = _client(scripted)
    task = asyncio.ensure_future(_collect(client))
    await asyncio.sleep(0.4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert scripted.wait_disconnected()
    assert scripted.requests[0].tokens_sent < 200
    await client.aclose()


async def test_unreachable_server() -> None:
    from bot.services.redis_server import free_port

    client = OpenAIChatClient(f"http://127.0.0.1:{free_port()}/v1", "x",
                              limits=ClientLimits(retry_backoff=0.01, max_retries=1))
    with pytest.raises(InferenceUnavailable):
        await _collect(client)
    await client.aclose()


async def test_concurrency_limit_refuses_when_queue_wait_passes(scripted: ScriptedLLM) -> None:
    scripted.default = Reply(["x"] * 20, delay=0.05)
    client = _client(scripted, max_concurrency=1, queue_timeout=0.2)
    first = asyncio.ensure_future(_collect(client))
    await asyncio.sleep(0.1)
    with pytest.raises(Overloaded):
        await _collect(client)
    assert await first == "x" * 20
    await client.aclose()


async def test_circuit_opens_after_repeated_failures(scripted: ScriptedLLM) -> None:
    scripted.default = Fail(500)
    client = OpenAIChatClient(scripted.base_url, "scripted", limits=ClientLimits(max_retries=0),
                              breaker=CircuitBreaker(failures_to_open=2, cooldown=60))
    for _ in range(2):
        with pytest.raises(InferenceUnavailable):
            await _collect(client)
    with pytest.raises(InferenceUnavailable) as down:  # open because the server is down: not "swamped"
        await _collect(client)
    assert not isinstance(down.value, Overloaded) and "down" in str(down.value)
    assert len(scripted.requests) == 2
    await client.aclose()


async def test_a_circuit_opened_by_overload_says_overloaded(scripted: ScriptedLLM) -> None:
    scripted.default = Fail(429, retry_after=1)
    client = OpenAIChatClient(scripted.base_url, "scripted", limits=ClientLimits(max_retries=0),
                              breaker=CircuitBreaker(failures_to_open=2, cooldown=60))
    for _ in range(3):
        with pytest.raises(Overloaded):
            await _collect(client)
    assert len(scripted.requests) == 2
    await client.aclose()
