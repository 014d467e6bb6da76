"""Several model servers behind one client (FIRESIDE_LLM__BASE_URL with more than one URL). Each request goes
to the live endpoint with the fewest requests in flight, preferring the one that served this channel last while
it is not much busier (its prefix cache still holds the channel's prompt). An endpoint that can't be reached is
taken out, and the request moves to another one if nothing was shown yet; it comes back once it answers again."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeVar

from inference.client import OpenAIChatClient
from inference.errors import InferenceTimeout, InferenceUnavailable, Overloaded
from inference.fair_slots import current_lane
from inference.types import ChatMessage, Sampling

log = logging.getLogger(__name__)

T = TypeVar("T")
STICKY_SLACK = 2  # requests in flight a channel's warm endpoint may have beyond the least busy one
RETRY_AFTER = 5.0  # seconds before an endpoint that failed is asked again (one probe; never by a user's turn)
REMEMBERED = 10_000  # channels whose last endpoint is kept
# Failures that say this endpoint, not the request, is the problem: try another one.
_MOVE_ON = (InferenceUnavailable, InferenceTimeout, Overloaded)


@dataclass
class Endpoint:
    client: OpenAIChatClient
    url: str
    in_flight: int = 0
    down_until: float = 0.0
    probing: bool = False


class RoutedChatClient:
    def __init__(self, clients: list[tuple[str, OpenAIChatClient]], clock: Callable[[], float] = time.monotonic,
                 retry_after: float = RETRY_AFTER, on_route: Callable[[str, str], None] | None = None) -> None:
        self.endpoints = [Endpoint(client, url) for url, client in clients]
        self.clock = clock
        self.retry_after = retry_after
        self.on_route = on_route  # (endpoint url, why: sticky, least_busy, failover, down)
        self._last: OrderedDict[str, Endpoint] = OrderedDict()
        self._probes: set[asyncio.Task[None]] = set()

    def _up(self, ep: Endpoint) -> bool:
        return ep.down_until <= self.clock()

    def _pick(self, key: str, skip: set[int]) -> tuple[Endpoint, str]:
        self._probe_due()
        live = [e for e in self.endpoints if id(e) not in skip and self._up(e)]
        if not live:  # every one is down or tried: ask the least recently failed rather than give up
            rest = [e for e in self.endpoints if id(e) not in skip] or self.endpoints
            return min(rest, key=lambda e: e.down_until), "failover"
        least = min(live, key=lambda e: e.in_flight)
        warm = self._last.get(key)
        if warm is not None and warm in live and warm.in_flight <= least.in_flight + STICKY_SLACK:
            return warm, "sticky"
        return least, "least_busy"

    def _remember(self, key: str, ep: Endpoint) -> None:
        self._last[key] = ep
        self._last.move_to_end(key)
        while len(self._last) > REMEMBERED:
            self._last.popitem(last=False)

    def take_out(self, url: str, exc: Exception) -> None:
        """Leave this endpoint out until it answers again (it failed the check at start)."""
        for ep in self.endpoints:
            if ep.url == url:
                self._failed(ep, exc)

    def _failed(self, ep: Endpoint, exc: Exception) -> None:
        if isinstance(exc, Overloaded):
            return  # busy, not gone: other requests may still go there
        if self._up(ep):
            log.warning("model server %s taken out of rotation: %s", ep.url, exc)
            if self.on_route is not None:
                self.on_route(ep.url, "down")
        ep.down_until = self.clock() + self.retry_after

    def _probe_due(self) -> None:
        """An endpoint whose pause is over is asked once, in the background, before turns go back to it."""
        now = self.clock()
        for ep in self.endpoints:
            if 0 < ep.down_until <= now and not ep.probing:
                ep.probing = True
                ep.down_until = now + self.retry_after  # out until the probe says otherwise
                task = asyncio.get_running_loop().create_task(self._probe(ep))
                self._probes.add(task)
                task.add_done_callback(self._probes.discard)

    async def _probe(self, ep: Endpoint) -> None:
        try:
            await ep.client.served_models()
        except Exception as exc:  # still down: the next pause starts now
            ep.down_until = self.clock() + self.retry_after
            log.info("model server %s still not answering: %s", ep.url, exc)
        else:
            ep.down_until = 0.0
            log.warning("model server %s is back in rotation", ep.url)
        finally:
            ep.probing = False

    async def stream_chat(self, messages: list[ChatMessage], sampling: Sampling) -> AsyncGenerator[str, None]:
        key = "/".join(current_lane())
        tried: set[int] = set()
        while True:
            ep, why = self._pick(key, tried)
            tried.add(id(ep))
            shown = False
            ep.in_flight += 1
            try:
                # Closed with us (the reply filter stops early), so the server aborts that generation too.
                async with aclosing(ep.client.stream_chat(messages, sampling)) as inner:
                    async for delta in inner:
                        shown = True
                        yield delta
            except _MOVE_ON as exc:
                self._failed(ep, exc)
                if shown or len(tried) >= len(self.endpoints):
                    raise
                if self.on_route is not None:
                    self.on_route(ep.url, "failover")
                continue
            finally:
                ep.in_flight -= 1
            self._remember(key, ep)
            if self.on_route is not None:
                self.on_route(ep.url, why)
            return

    async def _call(self, call: Callable[[OpenAIChatClient], Awaitable[T]]) -> T:
        key = "/".join(current_lane())
        tried: set[int] = set()
        while True:
            ep, _ = self._pick(key, tried)
            tried.add(id(ep))
            ep.in_flight += 1
            try:
                return await call(ep.client)
            except _MOVE_ON as exc:
                self._failed(ep, exc)
                if len(tried) >= len(self.endpoints):
                    raise
            finally:
                ep.in_flight -= 1

    async def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], name: str,
                            max_tokens: int = 300) -> str:
        return await self._call(lambda c: c.complete_json(messages, schema, name, max_tokens))

    async def count_chat_tokens(self, messages: list[ChatMessage]) -> tuple[int, int | None]:
        return await self._call(lambda c: c.count_chat_tokens(messages))

    async def served_models(self) -> list[str]:
        """What the live endpoints serve: readiness and the start check ask this."""
        return await self._call(lambda c: c.served_models())

    async def aclose(self) -> None:
        for task in list(self._probes):
            task.cancel()
        await asyncio.gather(*self._probes, return_exceptions=True)
        for ep in self.endpoints:
            await ep.client.aclose()


ChatClient = OpenAIChatClient | RoutedChatClient
