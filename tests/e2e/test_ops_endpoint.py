"""The operator's endpoint from outside, as Prometheus and a Kubernetes probe see it: after a few turns through
the console adapter the series have moved; /readyz turns 503 when Redis or the model server stops answering,
and says which; a port already taken is a clear error that names the setting."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import Fireside
from bot.errors import ConfigError
from bot.log_format import JsonFormatter, RequestIdFilter
from bot.services.redis_server import RedisServer, free_port
from tests.support.app import fireside_app
from tests.support.scripted_llm import Fail, ScriptedLLM


@pytest.fixture
async def own_model() -> AsyncIterator[ScriptedLLM]:
    """A model server of this test's own, so stopping it leaves the session's alone."""
    server = ScriptedLLM().start()
    yield server
    with contextlib.suppress(RuntimeError):  # the test may have stopped it already
        server.stop()


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


def sample(metrics: str, name: str, **labels: str) -> float:
    """One series' value from the Prometheus text format (0 when it isn't there yet)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        m = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if m and ",".join(sorted((m.group(1) or "").split(","))) == wanted:
            return float(m.group(2))
    return 0.0


async def chat(app: Fireside, *lines: str) -> None:
    stdin = io.StringIO("".join(json.dumps({"user": "Maya", "text": t}) + "\n" for t in lines))
    await ConsoleAdapter(persona_name=lambda: "Pip", jsonl=True, stdin=stdin, stdout=io.StringIO()).run(app.dispatch)


async def test_the_series_move_after_a_few_turns(redis_url: str, scripted: ScriptedLLM) -> None:
    port = free_port()
    async with fireside_app(scripted.base_url, redis_url=redis_url, ops={"port": port}) as app:
        _, before = await get(port, "/metrics")
        await chat(app, "hi pip", "nice jump!", "/help")
        status, after = await get(port, "/metrics")
    assert status == 200

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("fireside_messages_in_total", platform="console", kind="chat") == 2
    assert moved("fireside_messages_in_total", platform="console", kind="command") == 1
    assert moved("fireside_replies_out_total", platform="console", outcome="sent") == 3
    assert moved("fireside_reply_first_text_seconds_count", platform="console") == 3
    assert moved("fireside_reply_seconds_count", platform="console") == 3
    assert moved("fireside_tokens_total", direction="out") == 6  # the scripted reply is three chunks, twice
    assert moved("fireside_tokens_total", direction="in") > 0
    assert moved("fireside_turn_writes_total", outcome="stored") == 2


async def test_readiness_names_what_stopped_answering(redis_server: RedisServer, redis_url: str,
                                                      own_model: ScriptedLLM) -> None:
    port = free_port()
    async with fireside_app(own_model.base_url, redis_url=redis_url, ops={"port": port}) as app:
        assert await get(port, "/healthz") == (200, '{"status": "ok"}')
        status, body = await get(port, "/readyz")
        assert status == 200 and json.loads(body) == {"ready": True, "redis": "ok", "model": "ok"}

        own_model.stop()
        app_ops_clock_skip(app)
        status, body = await get(port, "/readyz")
        verdict = json.loads(body)
        assert status == 503 and verdict["ready"] is False and verdict["redis"] == "ok" and verdict["model"] != "ok"

        redis_server.stop()
        app_ops_clock_skip(app)
        status, body = await get(port, "/readyz")
        verdict = json.loads(body)
        assert status == 503 and verdict["redis"] != "ok"
        assert await get(port, "/healthz") == (200, '{"status": "ok"}')  # alive, only not ready
        _, metrics = await get(port, "/metrics")
        assert sample(metrics, "fireside_ready") == 0


def app_ops_clock_skip(app: Fireside) -> None:
    """The verdict is reused for a few seconds; a test must not wait them out."""
    assert app.ops is not None
    app.ops.forget_verdict()


async def test_a_port_already_taken_is_a_clear_error(redis_url: str, scripted: ScriptedLLM) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"FIRESIDE_OPS__PORT={port}: can't listen on 127.0.0.1:{port}"):
            async with fireside_app(scripted.base_url, redis_url=redis_url, ops={"port": port}):
                pass


async def test_one_turn_is_followed_across_our_logs_and_the_model_servers(redis_url: str,
                                                                          scripted: ScriptedLLM) -> None:
    """The turn's id is on its log lines (JSON when asked) and prefixes the X-Request-Id vLLM logs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    scripted.script(Fail(500, "boom"))  # a model error: the router logs it, inside the turn
    async with fireside_app(scripted.base_url, redis_url=redis_url, llm={"max_retries": 0}) as app:
        logging.getLogger("bot.router").addHandler(handler)
        try:
            await chat(app, "hi pip")
        finally:
            logging.getLogger("bot.router").removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entries and all(e["request_id"] != "-" for e in entries), entries
    sent = scripted.requests[-1].headers["x-request-id"]
    assert sent.startswith(entries[0]["request_id"] + "-")
    assert {"time", "level", "logger", "message"} <= set(entries[0])
