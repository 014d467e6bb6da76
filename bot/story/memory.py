"""What viewers did in a story goes into their own memory ("chose to spare the wolf in the Eldoria story"), so
the narrator, and the persona in chat, can recall it for them later. Votes stay story state; this copy is
memory, and so skips whoever opted out and goes with forget like every other fact."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence

from bot.memory.base import MemoryStore, MemoryUnavailable
from bot.memory.embedder import StaticEmbedder
from bot.memory.facts import Change, Fact, FactStore
from bot.metrics import STORY_MEMORIES
from bot.story.model import Story, Suggestion

log = logging.getLogger(__name__)

FACT_PREFIX = "story-"  # the ids of story memories, among a user's facts
RECALLED = 3  # a viewer's most recent story deeds the narrator is told
BATCH = 50  # viewers written at once (a vote may close with 10,000)
FORGET_GRACE = 300.0  # seconds a forgotten account's story memories are not written


class StoryMemory:
    def __init__(self, memory: MemoryStore, facts: FactStore, embedder: StaticEmbedder | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.memory = memory
        self.facts = facts
        self.embedder = embedder
        self.clock = clock
        # Accounts just forgotten: memories still being written for them (a batch of 10,000 takes seconds) are
        # dropped. Only for a while: someone forgotten may come back and vote again later.
        self._forgotten: dict[str, float] = {}

    def forget(self, account: str) -> None:
        now = self.clock()
        self._forgotten = {a: t for a, t in self._forgotten.items() if now - t < FORGET_GRACE}
        self._forgotten[account] = now

    def _just_forgotten(self, account: str) -> bool:
        at = self._forgotten.get(account)
        return at is not None and self.clock() - at < FORGET_GRACE

    async def remember(self, story: Story, votes: Mapping[str, int], suggestions: Sequence[Suggestion]) -> int:
        """Each voter's choice and each suggestion of the scene just closed, in that person's memory (one fact
        per scene and kind, so a re-run writes the same facts again). Returns the people remembered."""
        deeds: dict[str, list[tuple[str, str]]] = {}
        for voter, choice in votes.items():
            if 1 <= choice <= len(story.choices):
                deeds.setdefault(voter, []).append(("vote", f"chose «{story.choices[choice - 1].text}»"))
        for idea in suggestions:
            deeds.setdefault(idea.account, []).append(("idea", f"suggested «{idea.text}»"))
        if not deeds:
            return 0
        opted_out = await self.memory.opted_out() | {a for a in deeds if self._just_forgotten(a)}
        skipped = [a for a in deeds if a in opted_out]
        STORY_MEMORIES.labels("skipped").inc(len(skipped))
        people = [(a, d) for a, d in deeds.items() if a not in opted_out]
        remembered = 0
        for start in range(0, len(people), BATCH):
            batch = people[start:start + BATCH]
            results = await asyncio.gather(*(self._remember_one(story, a, d) for a, d in batch),
                                           return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    STORY_MEMORIES.labels("failed").inc()
                    if isinstance(result, MemoryUnavailable):
                        log.warning("story memories of scene %d not all written: %s", story.scene, result)
                        return remembered
                    log.error("a story memory failed", exc_info=result)
                else:
                    remembered += 1
        STORY_MEMORIES.labels("remembered").inc(remembered)
        return remembered

    async def _remember_one(self, story: Story, account: str, deeds: list[tuple[str, str]]) -> None:
        if self._just_forgotten(account):  # forgotten since this batch began
            return
        platform, _, account_id = account.partition(":")
        uid = await self.memory.claim_uid(platform, account_id)
        now = self.clock()
        facts = [Fact(id=f"{FACT_PREFIX}{story.id}-{story.scene}-{kind}",
                      text=f"User {deed} in {story.where} (scene {story.scene}).", kind="fact",
                      source=f"story:{story.id}", confidence=1.0, created=now, updated=now) for kind, deed in deeds]
        vectors = self.embedder.embed([f.text for f in facts]) if self.embedder is not None else None
        await self.facts.apply(uid, [Change("ADD", fact, vectors[i] if vectors is not None else None)
                                     for i, fact in enumerate(facts)])

    async def remember_safely(self, story: Story, votes: Mapping[str, int], suggestions: Sequence[Suggestion]) -> None:
        """remember(), in the background: Redis going away costs these memories, never the story."""
        try:
            await self.remember(story, votes, suggestions)
        except MemoryUnavailable as exc:
            log.warning("the story memories of scene %d were not written: %s", story.scene, exc)

    async def recall_safely(self, account: str) -> tuple[str, ...]:
        """recall(), or nothing if Redis is away: the scene is written without them."""
        try:
            return await self.recall(account)
        except MemoryUnavailable as exc:
            log.warning("could not recall the story memories of %s: %s", account, exc)
            return ()

    async def recall(self, account: str) -> tuple[str, ...]:
        """The viewer's latest story deeds, oldest first ("User chose «…» in the Eldoria story (scene 2).")."""
        platform, _, account_id = account.partition(":")
        uid = await self.memory.resolve_uid(platform, account_id)
        if uid is None:
            return ()
        facts, _ = await self.facts.facts(uid)
        mine = sorted((f for f in facts if f.id.startswith(FACT_PREFIX)), key=lambda f: f.created)
        return tuple(f.text for f in mine[-RECALLED:])
