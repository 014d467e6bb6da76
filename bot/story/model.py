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

    def recap(self, now: float) -> str:
        """Where the story is, in a line: the scene, how it began, and the vote open now."""
        parts = [f"Scene {self.scene} of {self.max_scenes}."]
        if self.scene_text:
            parts.append(self.scene_text.split(". ")[0].strip()[:200].rstrip(".") + ".")
        if self.status == "voting" and self.choices:
            left = max(0, round(self.deadline - now))
            parts.append(f"Vote now ({left} s left): " + " ".join(f"{i}. {c.label}" for i, c in
                                                                  enumerate(self.choices, 1)))
        elif self.status != "voting":
            parts.append({"paused": "The story is paused.", "ended": "The story has ended.",
                          "writing": "The next scene is being written."}[self.status])
        return " ".join(parts)

    def traces_of(self, accounts: Iterable[str]) -> tuple[set[str], set[str]]:
        """The names these people went by in this story (a viewer who never chatted is known by no profile),
        and the words of theirs it quotes (their suggestions, as given and as quoted to the narrator)."""
        gone = set(accounts)
        mine = [(c.name, c.text) for c in self.credits if c.account in gone]
        mine += [(str(v.get("name", "")), str(v.get("text", ""))) for v in self.extra.values()
                 if isinstance(v, dict) and v.get("account") in gone]
        return {name for name, _ in mine}, {w for _, text in mine for w in (text, quoted(text))}

    def took_part(self, accounts: Iterable[str]) -> bool:
        """Whether any of these people shaped this story (a credit, or an idea drawn for the next scene)."""
        named, _ = self.traces_of(accounts)
        return bool(named)

    def without(self, accounts: Iterable[str], names: Iterable[str], words: Iterable[str] = ()) -> Story:
        """This story with nothing left of these people, who took part in it: their credits go, their quoted
        ideas become "…" and their names "a viewer", wherever the story's text has them."""
        gone = set(accounts)
        named, quoted_words = self.traces_of(gone)
        scrub = Scrubber({*names, *named}, {*words, *quoted_words})
        extra = {k: v for k, v in self.extra.items() if not (isinstance(v, dict) and v.get("account") in gone)}
        return self.with_(started_by="" if self.started_by in gone else self.started_by,
                          credits=tuple(c for c in self.credits if c.account not in gone),
                          scene_text=scrub(self.scene_text), summary=scrub(self.summary),
                          path=tuple(scrub(p) for p in self.path),
                          choices=tuple(Choice(scrub(c.label), scrub(c.text)) for c in self.choices),
                          extra=_redact_values(extra, gone, scrub),
                          turns=tuple(Turn(t.number, scrub(t.ask), scrub(t.text)) for t in self.turns),
                          characters=tuple(c for c in self.characters if not scrub.names_one(c)))


def _redact_values(value: Any, accounts: set[str], scrub: Scrubber) -> Any:
    if isinstance(value, str):
        return REDACTED if value in accounts else scrub(value)
    if isinstance(value, dict):
        return {k: _redact_values(v, accounts, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_values(v, accounts, scrub) for v in value]
    return value


MIN_NAME = 3  # shorter names ("a", "Al") are left alone: replacing them would garble unrelated words


class Scrubber:
    """Replaces, in one pass and as whole words only, a person's quoted ideas with "…" and their names with
    "a viewer" (one pass: replacements never stack)."""

    def __init__(self, names: Iterable[str], words: Iterable[str] = ()) -> None:
        self.names = {n.strip().lower() for n in names if len(n.strip()) >= MIN_NAME}
        self.words = {w.strip().lower() for w in words if len(w.strip()) >= MIN_NAME}
        parts = sorted(self.names | self.words, key=len, reverse=True)
        self.pattern = (re.compile("(?<!\\w)(" + "|".join(re.escape(p) for p in parts) + ")(?!\\w)", re.IGNORECASE)
                        if parts else None)

    def __call__(self, text: str) -> str:
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(lambda m: "…" if m.group(1).lower() in self.words else REDACTED, text)

    def names_one(self, name: str) -> bool:
        return name.strip().lower() in self.names


def quoted(text: str) -> str:
    """Viewer text made safe to put inside «»: it can't close the quote and go on as instructions."""
    return " ".join(text.replace("«", '"').replace("»", '"').split())


def ballot(choice: int, scene: int) -> str:
    """A vote as stored: the scene it was cast in, and the choice."""
    return f"{scene}:{choice}"


def ballot_choice(value: str, scene: int) -> int | None:
    """The choice of a stored vote, if it was cast in `scene` (a bare number, from before votes named their
    scene, counts for any)."""
    seen, _, choice = value.rpartition(":")
    if not choice.isdigit() or (seen and seen != str(scene)):
        return None
    return int(choice)


def numbered(choices: tuple[Choice, ...]) -> str:
    """The choices as the scene text carries them."""
    return "\n".join(f"{i}. {c.text}" for i, c in enumerate(choices, 1))
