"""Deciding a vote, by code and never by the model: the most votes win; a tie is broken deterministically (the
same story and scene always break it the same way) and said so; no votes at all means the narrator chooses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from bot.story.model import Choice

How = Literal["votes", "tie", "narrator"]


@dataclass(frozen=True)
class Outcome:
    winner: int  # 0-based index into the choices
    counts: tuple[int, ...]
    how: How

    def announce(self, choices: tuple[Choice, ...]) -> str:
        picked = f"{self.winner + 1}. {choices[self.winner].text}"
        total = sum(self.counts)
        if self.how == "narrator":
            return f"Nobody voted, so the narrator chooses: {picked}"
        if self.how == "tie":
            tied = [str(i + 1) for i, c in enumerate(self.counts) if c == max(self.counts)]
            return (f"A tie between {' and '.join(tied)} ({max(self.counts)} votes each); the tie is broken by lot: "
                    f"{picked}")
        return f"The audience chose ({self.counts[self.winner]} of {total} votes): {picked}"


def _lot(seed: str, among: list[int]) -> int:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return among[int.from_bytes(digest[:4], "big") % len(among)]


def decide(counts: list[int], seed: str) -> Outcome:
    if not counts:
        raise ValueError("a vote needs choices")
    if sum(counts) == 0:
        return Outcome(_lot(seed, list(range(len(counts)))), tuple(counts), "narrator")
    top = max(counts)
    leaders = [i for i, c in enumerate(counts) if c == top]
    if len(leaders) == 1:
        return Outcome(leaders[0], tuple(counts), "votes")
    return Outcome(_lot(seed, leaders), tuple(counts), "tie")
