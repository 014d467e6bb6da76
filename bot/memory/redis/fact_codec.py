"""How one user's facts are written in Redis (schema 2): a fact as a compact JSON array without its id (the
hash field is the id), its embedding as int8 with one float32 scale, raw bytes; and schema 1's shapes, still
read."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from bot.memory.embedder import Vectors
from bot.memory.facts import Fact

# A leading tag byte tells the formats apart: schema 1's base64 text is ASCII and never starts with it.
INT8_TAG = b"\x02"
_SCALE = struct.Struct("<f")


def pack_vector(vector: Vectors) -> bytes:
    """int8 with one scale: 389 bytes for 384 dimensions, against 1,024 as float16 base64 (schema 1).
    The scale maps the largest component to 127, so small vectors keep their resolution."""
    v = np.asarray(vector, dtype=np.float32)
    peak = float(np.abs(v).max()) if v.size else 0.0
    scale = peak / 127.0 if peak > 0.0 else 1.0
    q = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
    packed: bytes = INT8_TAG + _SCALE.pack(scale) + q.tobytes()
    return packed


def unpack_vector(data: bytes) -> Vectors:
    """Either shape, as read undecoded (facts.read_vectors)."""
    if is_current_vector(data):
        (scale,) = _SCALE.unpack_from(data, 1)
        vec: Vectors = np.frombuffer(data, dtype=np.int8, offset=1 + _SCALE.size).astype(np.float32) * scale
        return vec
    old: Vectors = np.frombuffer(base64.b64decode(data), dtype=np.float16).astype(np.float32)
    return old


def is_current_vector(raw: bytes) -> bool:
    return raw[:1] == INT8_TAG


def encode_fact(fact: Fact) -> str:
    """A JSON array, [text, kind, source, confidence, created, updated], in whole seconds (recall's recency
    counts days); `updated` is left out while it equals `created`. Positional, because names repeated in every
    fact were a third of its bytes, and under 128 bytes a value fits a smaller allocation in Redis."""
    body: list[Any] = [fact.text, fact.kind, fact.source, fact.confidence, int(fact.created)]
    if int(fact.updated) != int(fact.created):
        body.append(int(fact.updated))
    return compact(body)


def compact(value: Any) -> str:
    """JSON as stored: no spaces, UTF-8 as it is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decode_fact(fact_id: str, raw: str) -> Fact:
    body = json.loads(raw)
    if isinstance(body, list):
        text, kind, source, confidence, created, *rest = body
        return Fact(fact_id, text, kind, source, confidence, created, rest[0] if rest else created)
    body["id"] = fact_id  # schema 1: an object that also held the id; the field name is the truth
    return Fact(**body)


def decode_facts(raw_facts: Mapping[Any, Any] | None,
                 raw_vectors: Mapping[Any, Any] | None) -> tuple[list[Fact], dict[str, Vectors]]:
    """Facts oldest first, and their vectors by id. Hash fields may arrive as bytes (vectors are read raw)."""
    facts = sorted((decode_fact(_text(k), _text(v)) for k, v in (raw_facts or {}).items()),
                   key=lambda f: (f.created, f.id))
    return facts, {_text(k): unpack_vector(v) for k, v in (raw_vectors or {}).items()}


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
