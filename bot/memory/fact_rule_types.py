"""What the fact rules read out of a message: facts in a slot, requests to forget, and what they leave to the
model."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuleFact:
    slot: str
    text: str
    kind: str  # preference, fact, relationship
    thing: str | None = None
    category: str | None = None
    strength: float | None = None


@dataclass(frozen=True)
class RuleForget:
    slots: tuple[str, ...]  # slots to empty ("opinion:horror", "home")
    thing: str | None = None  # or any fact that names this


@dataclass
class RuleReading:
    items: list[RuleFact | RuleForget] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)  # first-person statements no rule read: the model's share
    sarcastic: bool = False
