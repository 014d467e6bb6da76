"""A story's state, as stored between scenes: who narrates, in which world, from which premise, the path chosen
so far, the choices of the scene now open to votes, and when that vote closes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

MIN_CHOICES, MAX_CHOICES = 2, 4
LABEL_CHARS = 25  # a Twitch poll's choice is at most 25 characters
CHOICE_CHARS = 120
Status = Literal["writing", "voting", "paused", "ended"]


@dataclass(frozen=True)
class Choice:
    label: str  # short, for buttons and polls
    text: str  # what the narrator offers, in full


@dataclass(frozen=True)
class Story:
    platform: str
    channel: str
    narrator: str  # persona key
    premise: str
    world: str | None = None  # lorebook key
    started_by: str = ""  # "platform:account" of the moderator who started it
    scene: int = 0  # the scene now on screen (1-based once written)
    scene_text: str = ""
    summary: str = ""  # the story so far, rewritten each scene
    path: tuple[str, ...] = ()  # what the audience chose, scene by scene
    choices: tuple[Choice, ...] = ()
    status: Status = "voting"
    deadline: float = 0.0  # when the vote on `choices` closes
    window: float = 60.0  # seconds each vote stays open
    max_scenes: int = 6
    paused_left: float = 0.0  # seconds that were left on the vote when it was paused
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.scene >= self.max_scenes

    def with_(self, **changes: Any) -> Story:
        return replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Story:
        data = json.loads(raw)
        data["path"] = tuple(data.get("path", ()))
        data["choices"] = tuple(Choice(**c) for c in data.get("choices", ()))
        return cls(**data)


def numbered(choices: tuple[Choice, ...]) -> str:
    """The choices as the scene text carries them."""
    return "\n".join(f"{i}. {c.text}" for i, c in enumerate(choices, 1))
