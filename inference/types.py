"""Plain data types shared by the inference client and its callers: chat messages and sampling."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str

    def as_openai(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Sampling:
    """Sampling knobs sent with every request; a persona supplies its own defaults."""

    temperature: float = 0.7
    top_p: float = 0.9
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    # vLLM-only parameters (repetition_penalty, min_p, ...) go to extra_body.
    extra: dict[str, float | int | str] = field(default_factory=dict)


class LLMClient(Protocol):
    """What the engine needs from a model server: a stream of text deltas for a chat."""

    def stream_chat(self, messages: list[ChatMessage], sampling: Sampling) -> AsyncGenerator[str, None]:
        """Yield text deltas. Closing the iterator (aclose) must abort generation on the server."""
        ...


class JsonLLM(Protocol):
    """Structured output: a completion constrained to a JSON schema (memory extraction, picks, choices)."""

    async def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], name: str,
                            max_tokens: int = 300) -> str: ...
