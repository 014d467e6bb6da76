"""Our own scripted OpenAI-compatible streaming server on loopback, for behaviour tests that need a
predictable model. It runs in a thread with its own event loop, so sync and async tests can use it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """Stream `tokens` as SSE chunks, `delay` seconds apart; `cut_after` drops the connection early."""

    tokens: list[str]
    delay: float = 0.0
    first_delay: float = 0.0
    cut_after: int | None = None
    finish: str | None = "stop"  # None: the stream ends cleanly ([DONE]) but no chunk says why it finished


@dataclass
class Fail:
    status: int = 500
    message: str = "scripted failure"
    retry_after: float | None = None


@dataclass
class Hang:
    """Accept the request and send nothing for `seconds`."""

    seconds: float = 30.0


@dataclass
class Comply:
    """A model that does what an attack asks: its reply is computed from the request (the user's line echoed,
    the system prompt recited), streamed in small pieces."""

    answer: Callable[[dict[str, Any]], str]


Step = Reply | Fail | Hang | Comply


@dataclass
class Recorded:
    body: dict[str, Any]
    headers: dict[str, str]
    disconnected: bool = False
    tokens_sent: int = 0


# A structured answer every background task accepts: no facts, a one-line summary.
QUIET_JSON = '{"facts": [], "summary": "People chatted."}'


@dataclass
class ScriptedLLM:
    model: str = "scripted"
    default: Step = field(default_factory=lambda: Reply(["Hello", " there", "!"]))
    steps: deque[Step] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    # Structured (non-streamed) calls, such as memory extraction, have their own script and record, so
    # background work never takes a chat turn's scripted reply.
    json_steps: deque[str] = field(default_factory=deque)
    json_default: str = '{"facts": []}'
    json_comply: Callable[[dict[str, Any]], str] | None = None  # structured answers computed from the request
    json_requests: list[Recorded] = field(default_factory=list)
    # Answers for one schema only ("facts", "decision", "summary"), taken before the shared queue.
    json_by_name: dict[str, deque[str]] = field(default_factory=dict)
    max_model_len: int = 2048
    tokenize_requests: int = 0
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *steps: Step) -> None:
        self.steps.extend(steps)

    def reset(self) -> None:
        self.steps.clear()
        self.requests.clear()
        self.json_steps.clear()
        self.json_requests.clear()
        self.json_by_name.clear()
        self.max_model_len = 2048
        self.tokenize_requests = 0
        self.json_default = '{"facts": []}'
        self.json_comply = None
        self.default = Reply(["Hello", " there", "!"])

    def start(self) -> ScriptedLLM:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._chat)
            app.router.add_get("/v1/models", self._models)
            app.router.add_get("/health", self._health)
            app.router.add_post("/tokenize", self._tokenize)
            self._runner = web.AppRunner(app, handle_signals=False)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)  # 0: any; a restart keeps its port
            loop.run_until_complete(site.start())
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="scripted-llm", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def wait_disconnected(self, index: int = -1, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.requests and self.requests[index].disconnected:
                return True
            time.sleep(0.02)
        return False

    async def _tokenize(self, request: web.Request) -> web.Response:
        """Like vLLM's: a chat's token count under the template (here: 4 characters a token, 5 per message)."""
        body = await request.json()
        self.tokenize_requests += 1
        count = sum(len(m["content"]) // 4 + 5 for m in body["messages"])
        return web.json_response({"count": count, "max_model_len": self.max_model_len, "tokens": []})

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        rec = Recorded(body=body, headers={k.lower(): v for k, v in request.headers.items()})
        if not body.get("stream"):
            self.json_requests.append(rec)
            name = (body.get("response_format") or {}).get("json_schema", {}).get("name", "")
            own = self.json_by_name.get(name)
            content = own.popleft() if own else self.json_steps.popleft() if self.json_steps else (
                self.json_comply(body) if self.json_comply is not None else self.json_default)
            return web.json_response({
                "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": self.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        self.requests.append(rec)
        step = self.steps.popleft() if self.steps else self.default
        if isinstance(step, Comply):
            said = step.answer(body)
            step = Reply([said[i:i + 7] for i in range(0, len(said), 7)] or [""])
        if isinstance(step, Fail):
            headers = {"retry-after": str(step.retry_after)} if step.retry_after is not None else None
            return web.json_response({"error": {"message": step.message, "type": "scripted"}},
                                     status=step.status, headers=headers)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        try:
            if isinstance(step, Hang):
                await _sleep_watching(request, rec, step.seconds)
                return resp
            if step.first_delay:
                await _sleep_watching(request, rec, step.first_delay)
            for i, token in enumerate(step.tokens):
                if step.cut_after is not None and i >= step.cut_after:
                    # Drop the connection mid-stream, without the final [DONE].
                    assert request.transport is not None
                    request.transport.close()
                    return resp
                if i and step.delay:
                    await _sleep_watching(request, rec, step.delay)
                if rec.disconnected:
                    return resp
                await resp.write(_chunk(self.model, {"content": token}))
                rec.tokens_sent += 1
            if step.finish is not None:
                await resp.write(_chunk(self.model, {}, finish=step.finish))
            await resp.write(b"data: [DONE]\n\n")
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            rec.disconnected = True
            raise
        return resp


async def _sleep_watching(request: web.Request, rec: Recorded, seconds: float) -> None:
    """Sleep, but notice a client that hangs up meanwhile (the way vLLM notices and aborts)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            rec.disconnected = True
            return
        await asyncio.sleep(min(0.02, max(0.0, deadline - time.monotonic())))


def _chunk(model: str, delta: dict[str, str], finish: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()
