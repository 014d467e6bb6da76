"""Fact extraction, mem0-style: candidate facts from one user's own messages, from the deterministic rules
(`fact_rules`) and from the model (structured output, bounded schema, one-shot example) for what the rules
don't read; every candidate is screened, then ADD, UPDATE, DELETE or NONE is decided against that user's
existing facts: by slot when the fact's slot is known (a correction replaces), else by the model, which sees
the similar facts under small integer ids only."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from bot.memory.embedder import StaticEmbedder, Vectors
from bot.memory.fact_rule_types import RuleFact, RuleForget
from bot.memory.fact_rules import read
from bot.memory.fact_slots import slot_of
from bot.memory.facts import Change, Fact, Like, new_fact
from bot.metrics import FACT_CANDIDATES
from bot.safety.links import has_link
from inference.types import ChatMessage, JsonLLM

log = logging.getLogger(__name__)

SIMILAR = 0.45  # cosine above which an existing fact is "about the same thing"
DUPLICATE = 0.9  # cosine above which a candidate repeats an existing fact
MAX_CANDIDATES = 5
ExtractionMode = Literal["hybrid", "model", "rules"]


class Candidate(BaseModel):
    text: str = Field(min_length=3, max_length=160)
    kind: Literal["preference", "fact", "relationship", "forget"]
    thing: str | None = Field(None, max_length=60)
    category: Literal["game", "film", "music", "stream", "food", "other"] | None = None
    strength: float | None = Field(None, ge=-1.0, le=1.0)


class Candidates(BaseModel):
    facts: list[Candidate] = Field(max_length=MAX_CANDIDATES)


class Decision(BaseModel):
    action: Literal["ADD", "UPDATE", "DELETE", "NONE"]
    id: int | None = Field(None, ge=0, le=20)
    text: str | None = Field(None, max_length=160)


CANDIDATES_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["facts"],
    "properties": {"facts": {"type": "array", "maxItems": MAX_CANDIDATES, "items": {
        "type": "object", "additionalProperties": False, "required": ["text", "kind"],
        "properties": {
            "text": {"type": "string", "minLength": 3, "maxLength": 160},
            "kind": {"type": "string", "enum": ["preference", "fact", "relationship", "forget"]},
            "thing": {"type": "string", "maxLength": 60},
            "category": {"type": "string", "enum": ["game", "film", "music", "stream", "food", "other"]},
            "strength": {"type": "number", "minimum": -1, "maximum": 1},
        }}}},
}

DECISION_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["action"],
    "properties": {
        "action": {"type": "string", "enum": ["ADD", "UPDATE", "DELETE", "NONE"]},
        "id": {"type": "integer", "minimum": 0, "maximum": 20},
        "text": {"type": "string", "maxLength": 160},
    },
}

EXTRACT_SYSTEM = (
    "You read chat messages written by ONE user and list facts about that user worth remembering: "
    "preferences (likes, dislikes), facts about their life, relationships. Write each fact in the third "
    "person, starting with 'User'. If the user asks to forget something, use kind 'forget'. For a like or "
    "dislike, also give the thing, its category and a strength from -1 (hates) to 1 (loves). Ignore "
    "questions, greetings and anything about other people. If there is nothing, return an empty list.\n\n"
    "Example messages:\n1. I absolutely love Hollow Knight\n2. my sister lives in Oslo\n3. what time is it?\n"
    'Example answer: {"facts": [{"text": "User loves Hollow Knight", "kind": "preference", "thing": '
    '"Hollow Knight", "category": "game", "strength": 0.9}, {"text": "User has a sister in Oslo", "kind": '
    '"relationship"}]}'
)

DECIDE_SYSTEM = (
    "You keep a memory of facts about one user. Given the facts already stored (with small ids) and one new "
    "fact, answer with one action: ADD (new information), UPDATE (it changes or contradicts stored fact "
    "`id`; give the new text), DELETE (the user wants stored fact `id` forgotten) or NONE (already known)."
)

# Candidates that are really attempts to plant instructions or claim privileges never become facts.
_URL = re.compile(r"\b[a-z]{3,6}://|www\.", re.I)  # any scheme (hxxps:// too); domains: has_link, any TLD
_MENTION = re.compile(r"<@[!&]?\d+>|@\w+")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget) (all |any |the |your )?(previous|prior|above|earlier)\b|system prompt|"
    r"\byou (must|should|will|have to) (always|never)\b|\balways (respond|reply|answer|say)\b|"
    r"\b(obey|jailbreak|pretend to be|act as|developer mode)\b|\binstructions?\b|"
    r"\b(is|are|am|'m|be|becomes?|made)( now)?( an?| the| our)? (admin|administrator|moderator|mod|owner|"
    r"developer|creator|staff|operator)\b|\b(has|have) (admin|mod|moderator|owner) (rights|powers|privileges|access)\b|"
    r"\b(password|token|api key|secret key)\b", re.I)


_STOP = {"user", "the", "and", "has", "have", "had", "his", "her", "their", "with", "for", "from", "that", "this",
         "are", "was", "were", "is", "a", "an", "of", "in", "on", "to", "at", "by", "likes", "like", "loves", "love",
         "hates", "hate", "enjoys", "enjoy", "named", "called", "lives", "live", "very", "really", "much", "who",
         "they", "them", "she", "he", "it", "its", "not", "does", "doesn", "dislikes", "favourite", "favorite"}


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9']+", text.lower()) if len(w) >= 3 and w not in _STOP]


def grounded(candidate: Candidate, messages: list[str]) -> bool:
    """Small models echo their one-shot example; a fact must come from what the user actually wrote."""
    said = " ".join(messages).lower()
    stems = {w[:4] for w in _words(said)}
    if candidate.thing and candidate.thing.lower() not in said:
        return False
    words = _words(candidate.text)
    if not words:
        return False
    hits = sum(1 for w in words if w[:4] in stems)
    return hits * 3 >= len(words) * 2


# By meaning: a role of authority here, or a power over the bot, however it is phrased. Roles elsewhere ("a
# nurse", "moderates a chess club") stay facts; a role with no place named is taken to mean here.
_ROLE = (r"(?:admin\w*|moderator|mod|owner|developer|dev|creator|staff|operator|boss|superuser|root|sysop|"
         r"in charge|head \w+|verified|trusted|authori[sz]ed|privileged|vip)")
_PRIVILEGE = re.compile(
    rf"\b(?:is|are|am|'m|be|becomes?|was|made|named|appointed|works? as|working as)\b(?:\s+\S+){{0,3}}?\s+{_ROLE}\b"
    r"(?!\s+(?:at|of|for|in)\s+"
    r"(?:a|an|his|her|their|my|the local|some)\b)"
    r"|\b(?:has|have|got|gets|given|granted)\b(?:\s+\S+){0,3}?\s+(?:permission|permissions|rights|powers?|"
    r"privileges?|access|control|authority)\b"
    r"|\b(?:allowed|permitted|entitled|authori[sz]ed|able)\s+to\s+(?:use|run|ban|kick|mute|time\s*out|delete|"
    r"change|control|command|configure|override|bypass|skip)\b"
    r"|\b(?:may|can|could)\s+(?:run|use|do)\s+(?:any|every|all)\b"
    r"|\b(?:owns?|runs?|controls?|manages?)\s+(?:this|the|our)\s+(?:server|channel|stream|bot|discord|guild)\b"
    r"|\b(?:must|should|shall)\s+(?:always\s+|never\s+)?(?:be\s+)?(?:obey\w*|follow\w*|trust\w*|listen\w*)\b"
    r"|\b(?:the bot|fireside|the assistant|the ai|you)\b[^.]{0,40}\b(?:must|should|will|shall|needs? to|has to|"
    r"have to|wants? to)\b"
    r"|\b(?:fireside|the bot)'s\s+(?:developer|creator|owner|admin\w*|maker)\b",
    re.IGNORECASE)
# By shape: role markers, headers, tags and directives that only an injected instruction wears.
_SHAPED = re.compile(
    r"#{2,}|\[/?\s*(?:system|inst|assistant|user|admin|developer)\s*\]|</?\s*(?:system|assistant|user|"
    r"instructions?|prompt)\s*>|(?:^|\n)\s*(?:system|assistant|user|developer|ai)\s*:|\bfrom now on\b|"
    r"\bnew (?:rules?|instructions?)\b|\b(?:hidden|secret|original|initial) (?:prompt|rules|instructions)\b|"
    r"\bnote to (?:the )?(?:ai|bot|assistant|model)\b|\b(?:reveal|print|repeat|show)\b[^.]{0,30}\b(?:prompt|"
    r"instructions|rules)\b|\bforget (?:its|your|the) (?:rules|instructions|training)\b|<\|",
    re.IGNORECASE)


def screen(candidate: Candidate, messages: list[str] | None = None) -> str | None:
    """The reason a candidate is rejected, or None."""
    text = candidate.text
    if messages is not None and not grounded(candidate, messages):
        return "ungrounded"
    if _URL.search(text) or has_link(text):
        return "url"
    if _MENTION.search(text):
        return "mention"
    if _INSTRUCTION.search(text) or _SHAPED.search(text):
        return "instruction"
    if _PRIVILEGE.search(text):
        return "privilege"
    return None


@dataclass(frozen=True)
class Outcome:
    changes: list[Change]
    likes: list[Like]
    rejected: list[tuple[str, str]]  # (text, reason)


class Extractor:
    def __init__(self, llm: JsonLLM, embedder: StaticEmbedder, mode: ExtractionMode = "hybrid") -> None:
        self.llm = llm
        self.embedder = embedder
        self.mode = mode

    def reads_at_once(self, message: str) -> bool:
        """Whether the rules find a fact (or a request to forget) in it, with nothing left for the model."""
        if self.mode == "model":
            return False
        reading = read(message)
        return bool(reading.items) and (self.mode == "rules" or not reading.leftover)

    async def candidates(self, messages: list[str]) -> list[Candidate]:
        if not messages:
            return []
        numbered = "\n".join(f"{i + 1}. {m}" for i, m in enumerate(messages))
        raw = await self.llm.complete_json(
            [ChatMessage("system", EXTRACT_SYSTEM), ChatMessage("user", f"Messages:\n{numbered}")],
            CANDIDATES_SCHEMA, "facts", max_tokens=400)
        try:
            return Candidates.model_validate_json(raw).facts
        except ValidationError as exc:
            log.warning("extraction output failed validation, ignored: %s", exc.errors()[:1])
            return []

    async def extract(self, messages: list[str], existing: list[Fact], vectors: Mapping[str, Vectors],
                      now: float | None = None) -> Outcome:
        at = now if now is not None else time.time()
        run = _Run(self, " / ".join(messages)[:500], list(existing), dict(vectors), at)
        if self.mode == "model":
            for_model = messages
        else:
            readings = [read(m) for m in messages]
            for item in (i for r in readings for i in r.items):
                if isinstance(item, RuleForget):
                    run.forget(item)
                else:
                    await run.consider(_from_rule(item), None, "rules")
            for_model = [c for r in readings for c in r.leftover] if self.mode == "hybrid" else []
        for cand in await self.candidates(for_model):
            await run.consider(cand, for_model, "model")
        return Outcome(run.changes, run.likes, run.rejected)

    async def _decide(self, cand: Candidate, vec: Vectors, similar: list[Fact], source: str, at: float) -> Change:
        fresh = new_fact(cand.text, _kind(cand), source, now=at)
        if not similar:
            return Change("ADD", fresh, vec)
        listing = "\n".join(f"{i}: {f.text}" for i, f in enumerate(similar))
        raw = await self.llm.complete_json(
            [ChatMessage("system", DECIDE_SYSTEM),
             ChatMessage("user", f"Stored facts:\n{listing}\n\nNew fact: {cand.text}")],
            DECISION_SCHEMA, "decision", max_tokens=120)
        try:
            decision = Decision.model_validate_json(raw)
        except ValidationError:
            return Change("ADD", fresh, vec)
        # Ids are only ever the small integers we showed; anything else means "no such fact".
        target = similar[decision.id] if decision.id is not None and decision.id < len(similar) else None
        if decision.action == "UPDATE" and target is not None:
            text = decision.text if decision.text and len(decision.text) >= 3 else cand.text
            return Change("UPDATE", replace(target, text=text, updated=at, source=source), vec, previous=target.text)
        if decision.action == "DELETE" and target is not None:
            return Change("DELETE", replace(target, updated=at), previous=target.text)
        if decision.action == "NONE" and target is not None:
            return Change("NONE", target)
        return Change("ADD", fresh, vec)


def _from_rule(fact: RuleFact) -> Candidate:
    kind: Literal["preference", "fact", "relationship"] = (
        "preference" if fact.kind == "preference" else "relationship" if fact.kind == "relationship" else "fact")
    cat = fact.category if fact.category in ("game", "film", "music", "stream", "food") else "other"
    return Candidate(text=fact.text[:160], kind=kind, thing=fact.thing[:60] if fact.thing else None,
                     category=cat if fact.thing else None, strength=fact.strength)


class _Run:
    """One batch's decisions, each seeing the ones before it: a correction later in the batch wins."""

    def __init__(self, extractor: Extractor, source: str, known: list[Fact], vectors: dict[str, Vectors],
                 at: float) -> None:
        self.extractor, self.source, self.known, self.vectors, self.at = extractor, source, known, vectors, at
        self.changes: list[Change] = []
        self.likes: list[Like] = []
        self.rejected: list[tuple[str, str]] = []

    def forget(self, item: RuleForget) -> None:
        """A request to forget empties its slots, or drops any fact that names the thing."""
        thing = re.compile(rf"\b{re.escape(item.thing)}\b", re.I) if item.thing else None
        for fact in list(self.known):
            if slot_of(fact.text) in item.slots or (thing is not None and thing.search(fact.text)):
                self._apply(Change("DELETE", replace(fact, updated=self.at), previous=fact.text))
        if item.thing:
            self.likes.append(Like(item.thing, "other", 0.0, self.at))
        FACT_CANDIDATES.labels("rules", "forget").inc()

    async def consider(self, cand: Candidate, messages: list[str] | None, by: str) -> None:
        # Rule facts are built from the message's own words, so only the model's are checked for grounding.
        reason = screen(cand, messages)
        if reason:
            self.rejected.append((cand.text, reason))
            FACT_CANDIDATES.labels(by, "rejected").inc()
            return
        vec = self.extractor.embedder.embed_one(cand.text)
        similar = _similar(vec, self.known, self.vectors)
        if cand.kind == "forget":
            # "Forget that I like X": delete the closest stored fact, if there is one close enough.
            if similar:
                target = similar[0][0]
                self._apply(Change("DELETE", replace(target, updated=self.at), previous=target.text))
                if cand.thing:
                    self.likes.append(Like(cand.thing, cand.category or "other", 0.0, self.at))
            FACT_CANDIDATES.labels(by, "forget").inc()
            return
        if cand.thing and cand.strength is not None:
            self.likes.append(Like(cand.thing, cand.category or "other", cand.strength, self.at))
        # Only a rule's own canonical text is trusted with its slot: the model's drops words ("my OTHER dog").
        slot = slot_of(cand.text) if by == "rules" else None
        in_slot = [f for f in self.known if slot is not None and slot_of(f.text) == slot]
        same = next((f for f in self.known if _norm(f.text) == _norm(cand.text)), None)
        if same is not None or (not in_slot and similar and similar[0][1] >= DUPLICATE):
            self._apply(Change("NONE", same or similar[0][0]))
            FACT_CANDIDATES.labels(by, "known").inc()
            return
        if in_slot:
            # The slot says what it replaces: no model call, and the model can't mistake a new
            # dislike for a correction of an old like.
            first, *extra = in_slot
            change = Change("UPDATE", replace(first, text=cand.text, kind=_kind(cand), updated=self.at,
                                              source=self.source), vec, previous=first.text)
            for dup in extra:
                self._apply(Change("DELETE", replace(dup, updated=self.at), previous=dup.text))
        elif slot is not None:
            change = Change("ADD", new_fact(cand.text, _kind(cand), self.source, now=self.at), vec)
        else:
            change = await self.extractor._decide(cand, vec, [f for f, _ in similar], self.source, self.at)
        self._apply(change)
        FACT_CANDIDATES.labels(by, "stored" if change.action != "NONE" else "known").inc()

    def _apply(self, change: Change) -> None:
        self.changes.append(change)
        if change.action == "ADD":
            self.known.append(change.fact)
        elif change.action == "UPDATE":
            self.known = [change.fact if f.id == change.fact.id else f for f in self.known]
        elif change.action == "DELETE":
            self.known = [f for f in self.known if f.id != change.fact.id]
        if change.vector is not None and change.action in ("ADD", "UPDATE"):
            self.vectors[change.fact.id] = change.vector


def _kind(cand: Candidate) -> str:
    return "preference" if cand.kind == "preference" else cand.kind


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _similar(vec: Vectors, facts: list[Fact], vectors: Mapping[str, Vectors], k: int = 5) -> list[tuple[Fact, float]]:
    scored = [(f, float(np.dot(vec, vectors[f.id]))) for f in facts if f.id in vectors]
    scored = [s for s in scored if s[1] >= SIMILAR]
    return sorted(scored, key=lambda s: -s[1])[:k]

