"""A story's state, as stored between scenes: who narrates, in which world, from which premise, the path chosen
so far, the choices of the scene now open to votes, and when that vote closes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

MIN_CHOICES, MAX_CHOICES = 2, 4
LABEL_CHARS = 25  # a Twitch poll's choice is at most 25 characters
CHOICE_CHARS = 120
SUGGESTION_CHARS = 200
REDACTED = "a viewer"
Status = Literal["writing", "voting", "paused", "ended"]


@dataclass(frozen=True)
class Choice:
    label: str  # short, for buttons and polls
    text: str  # what the narrator offers, in full


@dataclass(frozen=True)
class Suggestion:
    """A viewer's idea for what happens next, in their words: quoted to the narrator as data, never obeyed."""

    account: str  # "platform:account"
    name: str
    text: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Suggestion:
        data = json.loads(raw)
        return cls(account=str(data["account"]), name=str(data["name"]), text=str(data["text"]))


@dataclass(frozen=True)
class Credit:
    """A suggestion the narrator was given to weave into a scene, and whose it was."""

    account: str
    name: str
    scene: int
    text: str


@dataclass(frozen=True)
class Turn:
    """One scene as the narrator's conversation holds it: what it was asked (the audience's choice, the lore and
    the task) and what it wrote. Kept verbatim, so each scene's prompt extends the last one's (the prefix cache)."""

    number: int
    ask: str
    text: str


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
    summary: str = ""  # the scenes folded out of `turns`, a line each
    turns: tuple[Turn, ...] = ()  # the latest scenes, verbatim
    path: tuple[str, ...] = ()  # what the audience chose, scene by scene
    choices: tuple[Choice, ...] = ()
    status: Status = "voting"
    deadline: float = 0.0  # when the vote on `choices` closes
    window: float = 60.0  # seconds each vote stays open
    max_scenes: int = 6
    paused_left: float = 0.0  # seconds that were left on the vote when it was paused
    credits: tuple[Credit, ...] = ()  # the viewers whose suggestions were woven in
    characters: tuple[str, ...] = ()  # who has spoken a line so far, in order
    id: str = ""  # set when a story starts: names the viewers' memories of it
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
        data["credits"] = tuple(Credit(**c) for c in data.get("credits", ()))
        data["turns"] = tuple(Turn(**t) for t in data.get("turns", ()))
        data["characters"] = tuple(data.get("characters", ()))
        return cls(**data)

    @property
    def where(self) -> str:
        """How a viewer's memory names this story."""
        return f"the {self.world.title()} story" if self.world else "a chat story"

    def traces_of(self, accounts: Iterable[str]) -> tuple[set[str], set[str]]:
        """The names these people went by in this story (a viewer who never chatted is known by no profile),
        and the words of theirs it quotes (their suggestions)."""
        gone = set(accounts)
        mine = [(c.name, c.text) for c in self.credits if c.account in gone]
        mine += [(str(v.get("name", "")), str(v.get("text", ""))) for v in self.extra.values()
                 if isinstance(v, dict) and v.get("account") in gone]
        return {name for name, _ in mine}, {text for _, text in mine}

    def without(self, accounts: Iterable[str], names: Iterable[str]) -> Story:
        """This story with nothing left of these people: their credits go, and their names in its text become
        "a viewer" (the narrator may have written them into a scene)."""
        gone = set(accounts)
        named, words = self.traces_of(gone)
        names = {*names, *named}
        extra = {k: v for k, v in self.extra.items() if not (isinstance(v, dict) and v.get("account") in gone)}
        return self.with_(started_by="" if self.started_by in gone else self.started_by,
                          credits=tuple(c for c in self.credits if c.account not in gone),
                          scene_text=redact(self.scene_text, names, words),
                          summary=redact(self.summary, names, words), extra=_redact_values(extra, gone, names),
                          turns=tuple(Turn(t.number, redact(t.ask, names, words), redact(t.text, names, words))
                                      for t in self.turns),
                          characters=tuple(c for c in self.characters if c.lower() not in {n.lower() for n in names}))


def _redact_values(value: Any, accounts: set[str], names: Iterable[str]) -> Any:
    if isinstance(value, str):
        return REDACTED if value in accounts else redact(value, names)
    if isinstance(value, dict):
        return {k: _redact_values(v, accounts, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_values(v, accounts, names) for v in value]
    return value


def redact(text: str, names: Iterable[str], words: Iterable[str] = ()) -> str:
    """Each name, as a whole word, replaced by "a viewer"; each quoted phrase of theirs by "…"."""
    for phrase in sorted({w for w in words if w.strip()}, key=len, reverse=True):
        text = text.replace(phrase, "…")
    for name in sorted({n for n in names if n.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    return text


def numbered(choices: tuple[Choice, ...]) -> str:
    """The choices as the scene text carries them."""
    return "\n".join(f"{i}. {c.text}" for i, c in enumerate(choices, 1))
