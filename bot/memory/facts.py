"""Long-term facts and preferences about one user, and the FactStore interface that keeps them (in the user's
own slot, with their embeddings and a history of every change)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.memory.embedder import Vectors

FactKind = Literal["preference", "fact", "relationship"]
Action = Literal["ADD", "UPDATE", "DELETE", "NONE"]
LOG_KEEP = 50  # change-log entries kept per user: the latest few dozen changes are what a person asks about


@dataclass(frozen=True)
class Fact:
    id: str
    text: str
    kind: str
    source: str  # the user's message it came from
    confidence: float
    created: float
    updated: float


@dataclass(frozen=True)
class Like:
    thing: str
    category: str  # game, film, music, stream, food, other
    strength: float  # -1 (hates) .. 1 (loves)
    updated: float


@dataclass(frozen=True)
class Change:
    action: Action
    fact: Fact
    vector: Vectors | None = None
    previous: str | None = None  # the text an UPDATE or DELETE replaced


class FactStore(Protocol):
    async def facts(self, uid: str) -> tuple[list[Fact], Mapping[str, Vectors]]:
        """The user's facts, oldest first, with their embeddings by fact id."""
        ...

    async def likes(self, uid: str) -> list[Like]:
        """Likes and dislikes, strongest first."""
        ...

    async def log(self, uid: str) -> list[dict[str, Any]]:
        """Every change, newest first (at most LOG_KEEP)."""
        ...

    async def apply(self, uid: str, changes: list[Change], likes: Sequence[Like] = ()) -> None:
        """Apply decided changes and preference updates atomically for this user."""
        ...

    async def upgrade(self, progress: Callable[[str], None]) -> int:
        """Bring what is stored to the current schema, at start; returns how many users were converted."""
        ...


def log_entry(change: Change) -> dict[str, Any]:
    return change_record(change.action, change.fact.id, change.fact.updated, change.previous)


def change_record(action: str, fact_id: str, at: float, previous: str | None) -> dict[str, Any]:
    """One change-log entry. It names the fact by id and keeps only the text that is gone from the facts (what
    an UPDATE replaced, what a DELETE removed): the current text lives once, in the fact itself."""
    entry: dict[str, Any] = {"action": action, "id": fact_id, "at": int(at)}
    if previous is not None:
        entry["previous"] = previous
    return entry


def new_fact(text: str, kind: str, source: str, confidence: float = 0.8, now: float | None = None) -> Fact:
    at = now if now is not None else time.time()
    return Fact(id=uuid.uuid4().hex[:12], text=text, kind=kind, source=source, confidence=confidence,
                created=at, updated=at)
