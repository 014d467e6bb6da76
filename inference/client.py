"""The only code that speaks HTTP to the model server: streaming chat with timeouts, retries and limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import openai

from inference.breaker import CircuitBreaker
from inference.errors import (
    BadRequest,
    InferenceError,
    InferenceTimeout,
    InferenceUnavailable,
    Overloaded,
    StreamInterrupted,
)
from inference.fair_slots import FairSlots, WaitListener
from inference.request_ids import for_request
from inference.types import ChatMessage, Sampling

log = logging.getLogger(__name__)
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ClientLimits:
    connect_timeout: float = 5.0
    first_token_timeout: float = 60.0
    total_timeout: float = 180.0
    max_retries: int = 2
    retry_backoff: float = 0.5
    inter_token_timeout: float = 30.0  # the longest silence between two tokens of one reply
    max_concurrency: int = 8
    # How long a request may wait for a concurrency slot before it is refused as Overloaded.
    queue_timeout: float = 30.0


class OpenAIChatClient:
    """Streams chat completions from an OpenAI-compatible server (vLLM in production)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None,
                 limits: ClientLimits | None = None, breaker: CircuitBreaker | None = None,
                 on_queue_wait: WaitListener | None = None) -> None:
        self.model = model
        self.limits = limits or ClientLimits()
        self._breaker = breaker or CircuitBreaker()
        # Shared fairly between platforms and channels (see fair_slots), not first come first served.
        self._slots = FairSlots(self.limits.max_concurrency, on_queue_wait)
        # Our own deadlines govern the stream; the HTTP timeout is only the outer safety net.
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "EMPTY",
            timeout=openai.Timeout(self.limits.total_timeout, connect=self.limits.connect_timeout),
            max_retries=0,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def stream_chat(self, messages: list[ChatMessage], sampling: Sampling) -> AsyncGenerator[str, None]:
        """Yield text deltas. Retries happen only before the first token; closing the iterator aborts."""
        self._check_breaker()
        async with self._slot():
            deadline = time.monotonic() + self.limits.total_timeout
            stream, first, finished = await self._open_until_first_token(messages, sampling, deadline)
            received = [first]
            try:
                if first:
                    yield first
                iterator = stream.__aiter__()
                while not finished:
                    # A stalled server is caught between tokens, not only at the whole reply's deadline.
                    gap = min(deadline, time.monotonic() + self.limits.inter_token_timeout)
                    try:
                        async with asyncio.timeout_at(_loop_deadline(gap)):
                            chunk = await iterator.__anext__()
                    except StopAsyncIteration:
                        # Ended with no finish_reason: a proxy or a dying server closed it halfway. Whatever
                        # arrived is a fragment, never to be taken (or stored) as the whole reply.
                        raise StreamInterrupted("the stream ended without saying it was finished",
                                                "".join(received)) from None
                    except TimeoutError:
                        if gap < deadline:
                            raise InferenceTimeout("the next token", self.limits.inter_token_timeout) from None
                        raise InferenceTimeout("the whole reply", self.limits.total_timeout) from None
                    except openai.APIError as exc:
                        raise StreamInterrupted(f"stream broke mid-reply: {exc}", "".join(received)) from exc
                    text = _delta_text(chunk)
                    finished = _finished(chunk)
                    if text:
                        received.append(text)
                        yield text
            finally:
                # Closing the HTTP stream is what makes vLLM abort the generation.
                await stream.close()

    def _check_breaker(self) -> None:
        retry_after = self._breaker.retry_after()
        if retry_after is not None and self._breaker.down:
            raise InferenceUnavailable(f"model server is down (circuit open for {retry_after:.0f}s more after "
                                       "repeated failures)")
        if retry_after is not None:
            raise Overloaded("model server circuit is open after repeated overloads or timeouts", retry_after)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """One of max_concurrency slots; waiting longer than queue_timeout is refused as Overloaded."""
        try:
            async with asyncio.timeout(self.limits.queue_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise Overloaded("too many replies in flight", self.limits.queue_timeout) from None
        try:
            yield
        finally:
            self._slots.release()

    async def served_models(self) -> list[str]:
        """The model names the server serves; a quick check at start, within the connect timeout."""
        try:
            async with asyncio.timeout(self.limits.connect_timeout * 2):
                return [m.id async for m in self._client.models.list()]
        except TimeoutError:
            raise InferenceTimeout("the model list", self.limits.connect_timeout * 2) from None
        except BaseException as exc:
            raise _translate(exc, self.limits.connect_timeout) from exc

    async def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], name: str,
                            max_tokens: int = 300) -> str:
        """One non-streamed completion constrained to a JSON schema (vLLM structured outputs); returns the
        raw JSON text, which the caller validates again. Retries like a stream's first token."""
        self._check_breaker()
        attempt = 0
        while True:
            try:
                async with self._slot(), asyncio.timeout(self.limits.total_timeout):
                    resp = await self._client.chat.completions.create(
                        model=self.model, messages=[], stream=False, temperature=0.0, max_tokens=max_tokens,
                        response_format={"type": "json_schema",
                                         "json_schema": {"name": name, "schema": schema, "strict": True}},
                        extra_body={"messages": [m.as_openai() for m in messages]},
                        extra_headers={"X-Request-Id": for_request()},
                    )
                self._breaker.record_success()
                return resp.choices[0].message.content or ""
            except TimeoutError:
                error: BaseException = InferenceTimeout("a structured reply", self.limits.total_timeout)
            except BaseException as exc:
                error = _translate(exc, self.limits.connect_timeout)
            if isinstance(error, BadRequest) or not isinstance(error, InferenceError) or \
                    attempt >= self.limits.max_retries:
                if isinstance(error, InferenceUnavailable | InferenceTimeout):
                    self._breaker.record_failure(down=isinstance(error, InferenceUnavailable))
                raise error
            attempt += 1
            await asyncio.sleep(self.limits.retry_backoff * (2 ** (attempt - 1)))

    async def count_chat_tokens(self, messages: list[ChatMessage]) -> tuple[int, int | None]:
        """(prompt tokens, the server's max model length) as the served model's own tokenizer and chat
        template count them: vLLM's /tokenize. Raises InferenceError when the server can't say."""
        root = str(self._client.base_url).rstrip("/").removesuffix("/v1")
        try:
            async with asyncio.timeout(self.limits.first_token_timeout):
                data = await self._client.post(
                    f"{root}/tokenize", cast_to=object,
                    body={"model": self.model, "messages": [m.as_openai() for m in messages],
                          "add_generation_prompt": True})
        except TimeoutError:
            raise InferenceTimeout("a token count", self.limits.first_token_timeout) from None
        except BaseException as exc:
            raise _translate(exc, self.limits.connect_timeout) from exc
        if not isinstance(data, dict) or not isinstance(data.get("count"), int):
            raise InferenceUnavailable("the model server's /tokenize answered without a count")
        limit = data.get("max_model_len")
        return int(data["count"]), int(limit) if isinstance(limit, int) else None

    async def _open_until_first_token(self, messages: list[ChatMessage], sampling: Sampling,
                                      deadline: float) -> tuple[Any, str, bool]:
        attempt = 0
        while True:
            try:
                result = await self._open_once(messages, sampling, deadline)
                self._breaker.record_success()
                return result
            except (BadRequest, InferenceTimeout) as exc:
                if isinstance(exc, InferenceTimeout) and exc.phase == "the whole reply":
                    self._breaker.record_failure()
                    raise
                if isinstance(exc, BadRequest) or attempt >= self.limits.max_retries:
                    if not isinstance(exc, BadRequest):
                        self._breaker.record_failure()
                    raise
            except (InferenceUnavailable, Overloaded, StreamInterrupted) as exc:  # nothing shown yet: retry
                if attempt >= self.limits.max_retries:
                    self._breaker.record_failure(down=isinstance(exc, InferenceUnavailable))
                    raise
            attempt += 1
            delay = self.limits.retry_backoff * (2 ** (attempt - 1))
            log.info("model server request failed; retry %d in %.1fs", attempt, delay)
            await asyncio.sleep(delay)

    async def _open_once(self, messages: list[ChatMessage], sampling: Sampling,
                         deadline: float) -> tuple[Any, str, bool]:
        """(the open stream, its first text, whether that chunk already finished the reply)."""
        request_id = for_request()
        first_deadline = min(deadline, time.monotonic() + self.limits.first_token_timeout)
        stream: Any = None
        try:
            async with asyncio.timeout_at(_loop_deadline(first_deadline)):
                stream = await self._client.chat.completions.create(
                    model=self.model,
                    # The messages travel in extra_body: the SDK walks `messages` recursively to transform
                    # TypedDicts, which cost ~8 ms per turn with 40 lines of history. Ours are plain already.
                    messages=[],
                    stream=True,
                    temperature=sampling.temperature,
                    top_p=sampling.top_p,
                    max_tokens=sampling.max_tokens,
                    stop=list(sampling.stop) or None,
                    extra_body={"messages": [m.as_openai() for m in messages], **sampling.extra},
                    extra_headers={"X-Request-Id": request_id},
                )
                async for chunk in stream:
                    text = _delta_text(chunk)
                    if text or _finished(chunk):
                        return stream, text, _finished(chunk)
            # Ended without a token and without a finish_reason: cut before it began.
            raise StreamInterrupted("the stream ended before its first token", "")
        except TimeoutError:
            await _close_quietly(stream)
            raise InferenceTimeout("the first token", self.limits.first_token_timeout) from None
        except BaseException as exc:
            await _close_quietly(stream)
            raise _translate(exc, self.limits.connect_timeout) from exc


def _finished(chunk: Any) -> bool:
    """The chunk carries a finish_reason ("stop", "length", ...): the server says the reply is whole."""
    choices = getattr(chunk, "choices", None)
    return choices is not None and len(choices) > 0 and getattr(choices[0], "finish_reason", None) is not None


def _delta_text(chunk: Any) -> str:
    choices = getattr(chunk, "choices", None)
    if not choices:
        return ""
    delta = getattr(choices[0], "delta", None)
    text = (getattr(delta, "content", None) or "") if delta is not None else ""
    # A lone surrogate ("\\ud83d" in the server's JSON) would fail every later encode: make it U+FFFD here.
    return _LONE_SURROGATE.sub("\ufffd", text)


def _loop_deadline(monotonic_deadline: float) -> float:
    """Convert a time.monotonic() deadline into the running loop's clock."""
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())


async def _close_quietly(stream: Any) -> None:
    if stream is not None:
        try:
            await stream.close()
        except Exception:
            log.debug("closing a failed stream raised", exc_info=True)


def _translate(exc: BaseException, connect_timeout: float) -> BaseException:
    """Map the openai client's exceptions onto ours; anything else passes through unchanged."""
    if isinstance(exc, InferenceError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return InferenceTimeout("the connection", connect_timeout)
    if isinstance(exc, openai.APIConnectionError):
        return InferenceUnavailable(f"model server unreachable: {exc}")
    if isinstance(exc, openai.RateLimitError):
        return Overloaded("model server is rate limiting", _retry_after(exc))
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return InferenceUnavailable(f"model server error {exc.status_code}: {exc.message}")
        return BadRequest(f"model server rejected the request ({exc.status_code}): {exc.message}")
    if isinstance(exc, openai.APIError):
        return InferenceUnavailable(f"model server error: {exc}")
    return exc


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
