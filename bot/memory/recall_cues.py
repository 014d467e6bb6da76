"""What a viewer's question asks about ("what's my cat called?", "where do I live?", "what games do I hate?"),
matched to the slot of each stored fact, so recall puts the fact that answers it first: the static embedder
alone ranks short questions poorly (the answer came first for 12 of the memory probe's 30 questions)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.memory.fact_opinions import category
from bot.memory.fact_slots import slot_of
from bot.memory.fact_words import REL

_DISLIKE = re.compile(r"\b(?:hates?|dislikes?|can't stand|no longer likes|doesn't like)\b", re.I)
_CUES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple((re.compile(p, re.I), slots) for p, slots in (
    (r"\bwhere\b.{0,20}\b(?:live|living|based|stay)\b|\b(?:my|which) (?:city|town|country|home)\b|\bhome\b",
     ("home",)),
    (r"\bwhere\b.{0,20}\bfrom\b|\bhometown\b|\bborn\b|\bgrew up\b|\borigin", ("origin",)),
    (r"\bhow old\b|\bmy age\b|\bbirthday\b", ("age",)),
    (r"\bjob\b|\bwork\b|\bliving\b|\bprofession\b|\bcareer\b|\bdo for\b", ("job", "workplace")),
    (r"\bstudy\b|\bstudying\b|\bmajor\b|\bdegree\b", ("study",)),
    (r"\bplans?\b|\bplanning\b|\bgoing to\b|\bnext (?:week|month)\b|\btomorrow\b", ("plan",)),
    (r"\bmy name\b|\bwhat am i called\b|\bcall me\b", ("name:self",)),
    (r"\bpronouns\b", ("pronouns",)),
))
_RELATION = re.compile(rf"\bmy\s+(?:\w+\s+)?(?P<rel>{REL})(?:'s)?\b", re.I)
_LIKE_CUE = re.compile(r"\b(?:love|loves|like|likes|favou?rite|enjoy|into|fan)\b", re.I)
_HATE_CUE = re.compile(r"\b(?:hate|hates|can't stand|cannot stand|dislike|don't like)\b", re.I)
_CATEGORY_CUE = re.compile(r"\b(?P<c>games?|music|songs?|bands?|movies?|films?|shows?|streams?|food|eat)\b", re.I)
_CUE_CATEGORY = {"game": "game", "music": "music", "song": "music", "band": "music", "movie": "film",
                 "film": "film", "show": "film", "stream": "stream", "food": "food", "eat": "food"}


@dataclass(frozen=True)
class QuestionCues:
    """What one message asks about, read once per turn and matched against each of the speaker's facts."""
    slots: tuple[str, ...]
    relation: str | None
    hates: bool
    likes: bool
    category: str | None

    @classmethod
    def of(cls, question: str) -> QuestionCues:
        rel = _RELATION.search(question)
        asked = _CATEGORY_CUE.search(question)
        return cls(tuple(s for pattern, slots in _CUES if pattern.search(question) for s in slots),
                   rel.group("rel").lower() if rel else None, bool(_HATE_CUE.search(question)),
                   bool(_LIKE_CUE.search(question)),
                   _CUE_CATEGORY[asked.group("c").lower().rstrip("s")] if asked else None)

    def match(self, fact_text: str) -> float:
        """1 when the fact is what the question asks about, 0.5 when it is of the asked kind, else 0."""
        slot = slot_of(fact_text) or ""
        if any(slot == s or slot.startswith(s + ":") for s in self.slots):
            return 1.0
        if self.relation is not None and slot.startswith("name:") and self.relation in slot:
            return 1.0
        if not slot.startswith(("opinion:", "favourite:")) or not (self.hates or self.likes):
            return 0.0
        if self.hates != bool(_DISLIKE.search(fact_text)):
            return 0.0
        if self.category is None:
            return 0.5
        return 1.0 if category(fact_text) == self.category or self.category in fact_text.lower() else 0.5
