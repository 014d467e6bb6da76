"""The id of the chat turn being served, sent to the model server as X-Request-Id so that one turn can be
followed across Fireside's logs and vLLM's (vLLM 0.32 takes the header as its request id:
vllm/entrypoints/serve/engine/serving.py:133-141, `_base_request_id`)."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

CURRENT: ContextVar[str | None] = ContextVar("fireside_request_id", default=None)


def new_turn_id() -> str:
    return uuid.uuid4().hex[:12]


def for_request() -> str:
    """The turn's id and a suffix of this request's own: a retry or a second request of the same turn (a
    regeneration, a fold) must not reuse an id the server may still hold."""
    turn = CURRENT.get()
    own = uuid.uuid4().hex[:8]
    return f"{turn}-{own}" if turn else uuid.uuid4().hex
