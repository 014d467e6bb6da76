"""Recall: the speaker's own facts that matter for this message, ranked by similarity, recency and
confidence, within a budget. Only the speaker's uid is ever read: another user's facts never enter."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from bot.memory.embedder import StaticEmbedder
from bot.memory.facts import RedisFactStore

HALF_LIFE_DAYS = 30.0


class Recall:
    def __init__(self, store: RedisFactStore, embedder: StaticEmbedder | None, k: int = 5,
                 max_chars: int = 600, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.embedder = embedder
        self.k = k
        self.max_chars = max_chars
        self.clock = clock

    async def notes(self, uid: str, speaker: str, message: str) -> tuple[str, ...]:
        facts, vectors = await self.store.facts(uid)
        if not facts:
            return ()
        query = self.embedder.embed_one(message) if self.embedder is not None else None
        now = self.clock()

        def score(fact_id: str, updated: float, confidence: float) -> float:
            age_days = max(0.0, now - updated) / 86400
            recency = math.exp(-age_days * math.log(2) / HALF_LIFE_DAYS)
            similarity = float(np.dot(query, vectors[fact_id])) if query is not None and fact_id in vectors else 0.0
            return 0.7 * similarity + 0.2 * recency + 0.1 * confidence

        ranked = sorted(facts, key=lambda f: -score(f.id, f.updated, f.confidence))
        picked: list[str] = []
        used = 0
        for fact in ranked[: self.k]:
            if used + len(fact.text) > self.max_chars:
                break
            picked.append(fact.text.replace("User", speaker, 1) if fact.text.startswith("User") else fact.text)
            used += len(fact.text)
        return (f"What you remember about {speaker}: " + "; ".join(picked) + ".",) if picked else ()
