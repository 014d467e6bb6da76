"""Keep a prompt within the model's context, counted by the served model's own tokenizer (vLLM's /tokenize),
never by characters. Cheap when it clearly fits; when it doesn't, drop what matters least first: triggered
lore, then long-term notes, then the oldest history."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.memory.base import TurnContext
from inference.errors import InferenceError
from inference.types import ChatMessage

log = logging.getLogger(__name__)

PER_MESSAGE = 8  # template tokens around each message, generously


class TokenCounter(Protocol):
    async def count_chat_tokens(self, messages: list[ChatMessage]) -> tuple[int, int | None]: ...


Build = Callable[[TurnContext, bool, bool], list[ChatMessage]]  # (ctx, with_lore, with_notes)


@dataclass
class Budget:
    counter: TokenCounter | None
    context_tokens: int = 2048
    trimmed_turns: int = 0  # how many prompts had to shrink (for metrics and tests)

    async def fit(self, build: Build, ctx: TurnContext, reply_tokens: int) -> list[ChatMessage]:
        messages = build(ctx, True, True)
        # A token is at least one character here, so a prompt shorter in characters than the limit fits.
        if self.counter is None or \
                sum(len(m.content) + PER_MESSAGE for m in messages) <= self.context_tokens - reply_tokens:
            return messages
        count = await self._count(messages)  # also learns the server's real context length
        limit = self.context_tokens - reply_tokens
        if count is None or count <= limit:
            return messages
        self.trimmed_turns += 1
        attempts: list[tuple[TurnContext, bool, bool]] = [(ctx, False, True), (ctx, False, False)]
        history = ctx.history
        while history:
            history = history[len(history) // 2 + 1:] if len(history) > 1 else ()
            attempts.append((replace(ctx, history=history), False, False))
        for attempt in attempts:
            messages = build(*attempt)
            count = await self._count(messages)
            if count is None or count <= limit:
                break
        log.info("prompt trimmed to fit %d tokens (%s)", limit, count)
        return messages

    async def _count(self, messages: list[ChatMessage]) -> int | None:
        assert self.counter is not None
        try:
            count, server_limit = await self.counter.count_chat_tokens(messages)
        except InferenceError as exc:
            log.warning("could not count prompt tokens, sending as is: %s", exc)
            return None
        if server_limit:
            self.context_tokens = server_limit
        return count

