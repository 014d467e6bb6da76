"""Several model servers behind one bot (FIRESIDE_LLM__BASE_URL with two URLs), each a scripted server of this
test's own: turns spread across both, a channel goes back to the server that served it, a server killed mid-run
costs no reply, and it is back in rotation once it answers again. A malformed URL in the list is named."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.errors import ConfigError
from bot.events import Author, ChatEvent
from bot.settings import load_settings
from inference.routed_client import RoutedChatClient
from tests.support.app import fireside_app
from tests.support.scripted_llm import Reply, ScriptedLLM


@pytest.fixture
async def two() -> AsyncIterator[tuple[ScriptedLLM, ScriptedLLM]]:
    servers = (ScriptedLLM().start(), ScriptedLLM().start())
    for server in servers:
        server.default = Reply(["Hi", " there", "!"], delay=0.05)  # slow enough that turns overlap
    yield servers
    for server in servers:
        with contextlib.suppress(RuntimeError):
            server.stop()


async def say(app: Fireside, channel: str, text: str) -> str:
    sink = BufferSink()
    await app.dispatch(ChatEvent("console", channel, Author(channel, channel.title()), text), sink)
    return "".join(sink.parts)


def served_by(server: ScriptedLLM, text: str) -> bool:
    return any(text in str(r.body.get("messages")) for r in server.requests)


async def test_turns_spread_stick_and_survive_a_server_going_away(redis_url: str,
                                                                 two: tuple[ScriptedLLM, ScriptedLLM]) -> None:
    a, b = two
    async with fireside_app(a.base_url, redis_url=redis_url, memory={"facts": False},
                            llm={"base_url": f"{a.base_url},{b.base_url}"}) as app:
        router = app.llm
        assert isinstance(router, RoutedChatClient)
        router.retry_after = 0.2  # a test must not wait out the real pause
        channels = [f"room{i}" for i in range(6)]
        replies = await asyncio.gather(*(say(app, c, f"hello from {c}") for c in channels))
        assert replies == ["Hi there!"] * 6
        assert a.requests and b.requests  # at once, the least busy server takes each turn
        home = {c: (a if served_by(a, f"hello from {c}") else b) for c in channels}

        for c in channels:  # one at a time now: each channel goes back to its own server (its cache is warm)
            assert await say(app, c, f"again from {c}") == "Hi there!"
            assert served_by(home[c], f"again from {c}"), c

        b.stop()  # killed mid-run: its channels move to a, and no viewer hears about it
        for c in channels:
            assert await say(app, c, f"after the crash, {c}") == "Hi there!"
            assert served_by(a, f"after the crash, {c}")

        b.start()  # back on its port: the next turns find it again once a probe says so
        for _ in range(100):
            await say(app, "probe-room", "anyone there?")
            if router.endpoints[1].down_until == 0.0:
                break
            await asyncio.sleep(0.1)
        assert router.endpoints[1].down_until == 0.0
        before = len(b.requests)
        await asyncio.gather(*(say(app, f"new{i}", "hi") for i in range(4)))
        assert len(b.requests) > before


@pytest.mark.parametrize(("value", "named"), [
    ("http://127.0.0.1:8000/v1,vllm-2:8000/v1", "'vllm-2:8000/v1' is not a model server URL"),
    ("http://127.0.0.1:8000/v1, ftp://x/v1", "'ftp://x/v1' is not a model server URL"),
    ("http://127.0.0.1:8000/v1,http://127.0.0.1:80a0/v1", "'http://127.0.0.1:80a0/v1' has a port that is not a number"),
    ("http://a:8000/v1,http://a:8000/v1", "the same model server is listed twice"),
])
def test_a_malformed_url_in_the_list_is_a_settings_error_that_names_it(value: str, named: str) -> None:
    with pytest.raises(ConfigError, match=r"llm\.base_url") as caught:
        load_settings(llm={"base_url": value})
    assert named in str(caught.value)


def test_a_yaml_list_and_a_comma_list_are_the_same() -> None:
    listed = load_settings(llm={"base_url": ["http://a:8000/v1", "http://b:8000/v1"]}).llm
    comma = load_settings(llm={"base_url": "http://a:8000/v1, http://b:8000/v1"}).llm
    assert listed.base_urls == comma.base_urls == ["http://a:8000/v1", "http://b:8000/v1"]
