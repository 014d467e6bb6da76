"""The labelled fact-extraction set (bench/data/extraction_set.yaml), what each viewer's memory should hold once
their messages are read, and the score of what it does hold: precision and recall, with the misses named."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import yaml

from bot.memory.fact_worker import FactWorker

# What reads as a dislike in a stored fact, whoever wrote it (the rules' canonical verbs, or the model's words).
_DISLIKE = re.compile(r"\b(?:hates?|dislikes?|can'?t stand|cannot stand|not a fan|doesn'?t (?:like|enjoy)|"
                      r"does not (?:like|enjoy)|don'?t like|no longer|isn'?t into|not into|scares?|despises?|"
                      r"loathes?|avoids?|detests?)\b", re.I)


@dataclass(frozen=True)
class Message:
    text: str
    facts: dict[str, str]
    forget: tuple[str, ...]


@dataclass(frozen=True)
class Viewer:
    name: str
    messages: tuple[Message, ...]

    def expected(self) -> dict[str, str]:
        """key -> spec once every message is read: a later label replaces, a forget removes."""
        held: dict[str, str] = {}
        for message in self.messages:
            held.update(message.facts)
            for key in message.forget:
                held.pop(key, None)
        return held


MAIN, HELD_OUT, BLIND = "extraction_set.yaml", "extraction_heldout.yaml", "extraction_blind.yaml"


def load(name: str = MAIN, text: str | None = None) -> list[Viewer]:
    """A set by its file name in bench/data, or from `text`."""
    raw: Any = yaml.safe_load(text if text is not None else
                              (files("bench") / "data" / name).read_text(encoding="utf-8"))
    return [Viewer(v["user"], tuple(Message(m["text"], {str(k): str(s) for k, s in (m.get("facts") or {}).items()},
                                            tuple(m.get("forget") or ())) for m in v["messages"]))
            for v in raw]


def matches(spec: str, fact: str) -> bool:
    """spec: words the fact must hold, "&" between them; "+" first: a like, "-" first: a dislike."""
    polarity = spec[0] if spec[:1] in "+-" else ""
    words = [w.strip().lower() for w in spec.lstrip("+-").split("&")]
    if not all(w in fact.lower() for w in words):
        return False
    disliked = bool(_DISLIKE.search(fact))
    return not polarity or (polarity == "-") == disliked


@dataclass
class Score:
    true_facts: int = 0
    stored: int = 0
    labels: int = 0
    found: int = 0
    wrong: list[str] = field(default_factory=list)  # stored, but no label wanted it ("viewer: text")
    missed: list[str] = field(default_factory=list)  # labelled, never stored ("viewer: spec")

    @property
    def precision(self) -> float:
        return self.true_facts / self.stored if self.stored else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else 1.0

    def add(self, viewer: str, expected: dict[str, str], stored: list[str]) -> None:
        seen: set[str] = set()
        for text in stored:
            norm = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
            self.stored += 1
            if norm not in seen and any(matches(spec, text) for spec in expected.values()):
                self.true_facts += 1
            else:
                self.wrong.append(f"{viewer}: {text}")  # a stale fact, a duplicate, or one nobody said
            seen.add(norm)
        for spec in expected.values():
            self.labels += 1
            if any(matches(spec, text) for text in stored):
                self.found += 1
            else:
                self.missed.append(f"{viewer}: {spec}")


async def score(worker: FactWorker, viewers: list[Viewer], prefix: str) -> Score:
    """Each viewer's messages through the real worker, in order and in its batches; then their memory, scored."""
    result = Score()
    for viewer in viewers:
        uid = f"{prefix}:{viewer.name}"
        for message in viewer.messages:
            worker.submit(uid, message.text)
            if uid in worker.ready():
                await worker.process(uid)
        await worker.drain()
        facts, _ = await worker.store.facts(uid)
        result.add(viewer.name, viewer.expected(), [f.text for f in facts])
    return result
