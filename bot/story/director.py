"""Runs the stories of every channel: starts them, takes votes, closes each vote when its window ends (a timer
that survives restarts, because the deadline and the votes live in the store), has the narrator write the next
scene, and pauses, resumes, skips or ends a story on a moderator's word."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.errors import UserFacingError
from bot.events import ReplySink
from bot.memory.base import MemoryUnavailable
from bot.metrics import STORY_SCENES, STORY_SUGGESTIONS, STORY_VOTES
from bot.outlets import Outlets
from bot.story.ballots import Ballots
from bot.story.memory import StoryMemory
from bot.story.model import Choice, Credit, Story, Suggestion, Turn, numbered
from bot.story.narrator import Guest, Narrator, credit_line, fold_turns
from bot.story.places import thread_of
from bot.story.speakers import MAX_CHARACTERS, speakers_in
from bot.story.store import StoryStore
from bot.story.tally import decide
from bot.story.transcript import export
from inference.errors import InferenceError

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (platform, channel)
SUGGESTIONS_PER_SCENE = 50  # enough to pick from, few enough that a raid can't fill Redis


@dataclass(frozen=True)
class OpenVote:
    deadline: float
    choices: int
    scene: int


class StoryDirector:
    def __init__(self, store: StoryStore, narrator: Narrator, outlets: Outlets, window: float = 60.0,
                 max_scenes: int = 6, clock: Callable[[], float] = time.time, tick: float = 0.5,
                 refresh_every: float = 10.0, memory: StoryMemory | None = None, tally_every: float = 3.0) -> None:
        self.store = store
        self.memory = memory
        self.narrator = narrator
        self.outlets = outlets
        self.window = window
        self.max_scenes = max_scenes
        self.clock = clock
        self.tick = tick
        self.refresh_every = refresh_every
        self.tally_every = tally_every  # seconds between live tallies on a platform that shows them (buttons)
        self.ballots = Ballots(store, outlets)
        # What this process knows of the open votes, so a vote needs no read: the store stays the truth
        # (refreshed every `refresh_every` s, and on every change made here).
        self._open: dict[Key, OpenVote] = {}
        self._busy: set[Key] = set()  # a scene is being written or a vote closed
        # A scene shown but not stored (Redis refused the save): written again no sooner than this, and later
        # each time, so a store that keeps failing doesn't get the channel a new copy every refresh.
        self._retry_at: dict[Key, float] = {}
        self._retry_wait: dict[Key, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what moderators and viewers do

    async def start(self, platform: str, channel: str, narrator: str, premise: str, world: str | None,
                    started_by: str, title: str = "A story") -> tuple[Story, str | None]:
        """Start a story in `channel`, or in a place of its own there (a Discord thread) where the platform
        makes one; returns it, and how to point at that place (None: the channel itself)."""
        existing = await self.store.load(platform, channel)
        if existing is not None and existing.status != "ended":
            raise UserFacingError(f"A story is already running here (scene {existing.scene}). A moderator can end "
                                  "it first.")
        elsewhere = await thread_of(self.store, platform, channel)
        if elsewhere is not None:
            raise UserFacingError(f"A story is already running in this channel's thread {elsewhere[1]}. A "
                                  "moderator can end it there first.")
        place = await self.outlets.place(platform, channel, title)
        home, pointer = place if place is not None else (channel, None)
        if existing is not None and home == channel:
            await self.store.delete(platform, channel)  # the last one ended: its transcript goes with it
        extra: dict[str, Any] = {"parent": channel, "pointer": pointer} if home != channel else {}
        story = Story(platform=platform, channel=home, narrator=narrator, premise=premise, world=world,
                      started_by=started_by, status="writing", window=self.window, max_scenes=self.max_scenes,
                      id=uuid.uuid4().hex[:12], extra=extra)
        if not await self.store.create(story):
            raise UserFacingError("A story was just started here by someone else.")
        self._write_next(story, chosen=None)
        return story, pointer

    async def vote(self, platform: str, channel: str, voter: str, choice: int, scene: int | None = None) -> None:
        """Record a vote (for `scene`, when the voter said which: an old scene's button is refused). The open
        vote known here spares a read; without one, the store says whether a vote is open."""
        open_vote = self._open.get((platform, channel))
        if open_vote is None:
            open_vote = await self._open_vote(platform, channel)
        if self.clock() > open_vote.deadline or (scene is not None and scene != open_vote.scene):
            STORY_VOTES.labels(platform, "refused").inc()
            raise UserFacingError("Voting for this scene has closed; the next scene is on its way.")
        if not 1 <= choice <= open_vote.choices:
            STORY_VOTES.labels(platform, "refused").inc()
            raise UserFacingError(f"Choose a number from 1 to {open_vote.choices}.")
        await self.store.vote(platform, channel, voter, choice, open_vote.scene)
        STORY_VOTES.labels(platform, "counted").inc()

    async def suggest(self, platform: str, channel: str, suggestion: Suggestion) -> None:
        """Keep a viewer's idea for the next scene (already moderated); the narrator is handed one of them."""
        open_vote = self._open.get((platform, channel))
        if open_vote is None:
            open_vote = await self._open_vote(platform, channel)
        if self.clock() > open_vote.deadline:
            raise UserFacingError("This scene's vote has closed; suggest again when the next one opens.")
        if not await self.store.suggest(platform, channel, suggestion, SUGGESTIONS_PER_SCENE):
            STORY_SUGGESTIONS.labels("full").inc()
            raise UserFacingError("The narrator has plenty of ideas for this scene; try again on the next one.")
        STORY_SUGGESTIONS.labels("kept").inc()

    async def _open_vote(self, platform: str, channel: str) -> OpenVote:
        story = await self.store.load(platform, channel)
        if story is None:
            thread = await thread_of(self.store, platform, channel)
            if thread is not None:
                raise UserFacingError(f"The story runs in its thread {thread[1]}: vote and suggest there.")
        return self._check_open(story)

    def _check_open(self, story: Story | None) -> OpenVote:
        if story is None or story.status == "ended":
            raise UserFacingError("No story is running here.")
        if story.status == "paused":
            raise UserFacingError("The story is paused; voting opens again when a moderator resumes it.")
        if story.status == "writing" or not story.choices:
            raise UserFacingError("The next scene is still being written; vote once its choices appear.")
        return OpenVote(story.deadline, len(story.choices), story.scene)

    async def recap(self, platform: str, channel: str) -> str:
        story = await self.store.load(platform, channel)
        if story is None:
            thread = await thread_of(self.store, platform, channel)
            raise UserFacingError(f"The story runs in its thread {thread[1]}." if thread else
                                  "No story is running here.")
        return story.recap(self.clock())

    async def transcript(self, platform: str, channel: str) -> tuple[Story, str]:
        """The story here (running or ended) and its transcript as Markdown."""
        return await export(self.store, lambda key: self.narrator.persona(key).persona.name, platform, channel,
                            self.clock())

    async def pause(self, platform: str, channel: str) -> Story:
        story = await self._running(platform, channel)
        if story.status == "paused":
            raise UserFacingError("The story is already paused.")
        if story.status != "voting" or (platform, channel) in self._busy:
            raise UserFacingError("The next scene is being written; pause once it is out.")
        paused = story.with_(status="paused", paused_left=max(0.0, story.deadline - self.clock()))
        await self.store.save(paused)
        self._open.pop((platform, channel), None)
        return paused

    async def resume(self, platform: str, channel: str) -> Story:
        story = await self._running(platform, channel)
        if story.status != "paused":
            raise UserFacingError("The story isn't paused.")
        if not story.choices:  # paused because the narrator failed mid-scene: write that scene again
            retry = story.with_(status="writing")
            await self.store.save(retry)
            self._write_next(retry, story.extra.get("pending"))
            return retry
        resumed = story.with_(status="voting", deadline=self.clock() + max(story.paused_left, 10.0), paused_left=0.0)
        await self.store.save(resumed)
        self._open[(platform, channel)] = OpenVote(resumed.deadline, len(resumed.choices), resumed.scene)
        return resumed

    async def skip(self, platform: str, channel: str) -> None:
        """Close the vote now, with the votes cast so far."""
        story = await self._running(platform, channel)
        if story.status != "voting" or not story.choices:
            raise UserFacingError("There is no open vote to close.")
        self._spawn(self.close(platform, channel, early=True))

    async def end(self, platform: str, channel: str) -> Story:
        story = await self._running(platform, channel)
        ended = story.with_(status="ended", choices=(), extra={k: v for k, v in story.extra.items() if k != "poll"})
        if isinstance(story.extra.get("poll"), str):
            await self.ballots.poll_result(story, story.extra["poll"])  # ends the poll on the platform too
        await self.store.save(ended)
        await self.store.clear_votes(platform, channel)
        await self.store.log(platform, channel, "*A moderator ended the story here.*")
        self._open.pop((platform, channel), None)
        return ended

    async def _running(self, platform: str, channel: str) -> Story:
        story = await self.store.load(platform, channel)
        if story is None or story.status == "ended":
            raise UserFacingError("No story is running here.")
        return story

    # -- the clock

    async def run(self, stop: asyncio.Event) -> None:
        """Close votes when their window ends; after a restart, pick up every story where it was."""
        last_refresh = last_tally = -1e9
        while not stop.is_set():
            now = self.clock()
            if now - last_refresh >= self.refresh_every:
                await self.refresh()
                last_refresh = now
            if now - last_tally >= self.tally_every:
                last_tally = now
                for key, vote in list(self._open.items()):
                    if key not in self._busy and vote.deadline > now:
                        self._spawn(self.ballots.show_tally(key, vote.scene, vote.choices))
            for key, vote in list(self._open.items()):
                if vote.deadline <= now and key not in self._busy and self.outlets.serves(*key):
                    self._spawn(self.close(*key))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.tick)

    async def refresh(self) -> None:
        """Learn the open votes from the store (another replica's, or this one's before a restart)."""
        try:
            running = await self.store.running()
            known: dict[Key, OpenVote] = {}
            for platform, channel in running:
                story = await self.store.load(platform, channel)
                if story is None or (platform, channel) in self._busy:
                    continue
                if story.status == "voting" and story.choices:
                    known[(platform, channel)] = OpenVote(story.deadline, len(story.choices), story.scene)
                elif (story.status == "writing" and self.outlets.serves(platform, channel)
                      and self.clock() >= self._retry_at.get((platform, channel), 0.0)):
                    # Stopped while a scene was being written: write it again.
                    self._write_next(story, story.extra.get("pending"))
        except MemoryUnavailable as exc:
            log.warning("could not read the running stories, keeping what is known: %s", exc)
            return
        self._open = known

    async def drain(self) -> None:
        """Wait for scenes being written (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _write_next(self, story: Story, chosen: str | None) -> None:
        # Marked busy at once, so the clock's refresh never starts the same scene twice.
        self._busy.add((story.platform, story.channel))
        self._spawn(self._advance(story, chosen))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- closing a vote, writing a scene

    async def close(self, platform: str, channel: str, early: bool = False) -> None:
        """Count the open vote and write the next scene. Only once its window has ended, unless a moderator
        closes it `early`: what this process knew of the vote may be stale (another replica moved on)."""
        key = (platform, channel)
        if key in self._busy:
            return
        self._busy.add(key)  # held until the next scene is written (_advance lets go)
        self._open.pop(key, None)
        story: Story | None = None
        try:
            story = await self.store.load(platform, channel)
            if story is None or story.status != "voting" or not story.choices:
                self._busy.discard(key)
                return
            if not early and story.deadline > self.clock():
                self._open[key] = OpenVote(story.deadline, len(story.choices), story.scene)
                self._busy.discard(key)
                return
            counts = await self.store.tally(platform, channel, len(story.choices), story.scene)
            poll = story.extra.get("poll")
            polled = await self.ballots.poll_result(story, poll) if isinstance(poll, str) else None
            if polled is not None:  # the poll's votes and chat's, together
                counts = [a + b for a, b in zip(counts, polled, strict=True)]
            seed = f"{platform}:{channel}:{story.scene}"
            outcome = decide(counts, seed=seed)
            chosen = story.choices[outcome.winner].text
            announcement = outcome.announce(story.choices)
            ideas = await self.store.suggestions(platform, channel)
            extra = {**{k: v for k, v in story.extra.items() if k != "poll"}, "pending": chosen}
            if ideas:  # one is handed to the narrator: drawn by lot, so every idea has the same chance
                guest = random.Random(seed).choice(sorted(ideas, key=lambda i: i.account))
                extra["guest"] = {"account": guest.account, "name": guest.name, "text": guest.text}
            # Saved before the next scene is written, so a restart meanwhile neither counts twice nor loses it.
            writing = story.with_(status="writing", choices=(), path=(*story.path, chosen), extra=extra)
            await self.store.save(writing)
            votes = await self.store.clear_votes(platform, channel, take=self.memory is not None, scene=story.scene)
            self._spawn(self.ballots.show_tally(key, story.scene, len(story.choices), closed=True, counts=counts))
            if self.memory is not None:
                self._spawn(self.memory.remember_safely(story, votes, ideas))
            await self.store.log(platform, channel, f"*{announcement}*")
            await self.outlets.say(platform, channel, announcement)
        except MemoryUnavailable as exc:
            log.warning("could not close the vote in %s:%s, trying again later: %s", platform, channel, exc)
            if story is not None and story.status == "voting":
                self._open[key] = OpenVote(self.clock() + 5.0, len(story.choices), story.scene)
            self._busy.discard(key)
            return
        except BaseException:
            self._busy.discard(key)
            raise
        await self._advance(writing, chosen)

    async def _advance(self, story: Story, chosen: str | None) -> None:
        """Write the next scene to the channel and open its vote; a failure pauses the story, never loses it.
        The caller has marked the channel busy; this lets go."""
        key = (story.platform, story.channel)
        try:
            sink = await self.outlets.sink(story.platform, story.channel)
            if sink is None:
                log.warning("no way to speak in %s:%s now; the scene waits", *key)
                return
            guest = await self._guest(story)
            try:
                text, choices, ask = await self.narrator.write(story, chosen, sink, guest, finish=False)
            except Exception as exc:  # the model or the platform failed mid-scene: pause, don't lose the story
                log.warning("the narrator failed in %s:%s: %s", *key, exc,
                            exc_info=not isinstance(exc, InferenceError))
                await self.store.save(story.with_(status="paused", choices=(), extra={**story.extra,
                                                                                     "pending": chosen}))
                with contextlib.suppress(Exception):
                    await sink.fail("The narrator lost the thread for a moment. The story is paused; a moderator "
                                    "can resume it.")
                return
            scene = story.scene + 1
            try:
                written = await self._written(story, scene, text, choices, ask, guest)
            finally:
                # The scene's last words and its buttons show only now, once its vote is stored and open: a vote
                # cast the moment they appear counts.
                await self._finish(sink, key)
            if written is None:
                return
            credit = f"*{credit_line(guest.suggestion)}*\n\n" if guest is not None else ""
            await self.store.log(story.platform, story.channel, f"## Scene {scene}\n\n{credit}{text}"
                                 + (f"\n\n{numbered(choices)}" if choices else ""))
            STORY_SCENES.labels(story.platform).inc()
        except MemoryUnavailable as exc:
            wait = min(600.0, self._retry_wait.get(key, 15.0) * 2)
            self._retry_wait[key], self._retry_at[key] = wait, self.clock() + wait
            log.warning("a scene in %s:%s was shown but not stored; it will be written again in %.0f s: %s", *key,
                        wait, exc)
        else:
            self._retry_wait.pop(key, None)
            self._retry_at.pop(key, None)
        finally:
            self._busy.discard(key)

    async def _written(self, story: Story, scene: int, text: str, choices: tuple[Choice, ...], ask: str,
                       guest: Guest | None) -> Story | None:
        """Store the scene just written and open its vote; None if a moderator ended or paused the story
        meanwhile (it stays as they left it)."""
        key = (story.platform, story.channel)
        now = await self.store.load(story.platform, story.channel)
        if now is None or now.status != "writing" or now.scene != story.scene:
            log.info("the story in %s:%s changed while scene %d was written; its vote is not opened", *key, scene)
            return None
        turns, summary = fold_turns((*story.turns, Turn(scene, ask, text)), story.summary, story.path)
        narrator = self.narrator.persona(story.narrator).persona.name
        cast = [*story.characters, *(n for n in speakers_in(text, narrator) if n not in story.characters)]
        extra = {k: v for k, v in story.extra.items() if k not in ("pending", "guest")}
        credits = story.credits
        if guest is not None:
            idea = guest.suggestion
            credits = (*credits, Credit(idea.account, idea.name, scene, idea.text))
            STORY_SUGGESTIONS.labels("woven").inc()
        poll = await self.ballots.open_poll(story, scene, choices) if choices else None
        if poll is not None:
            extra["poll"] = poll
        written = story.with_(scene=scene, scene_text=text, choices=choices, status="voting" if choices else "ended",
                              deadline=self.clock() + story.window, extra=extra, credits=credits, turns=turns,
                              summary=summary, characters=tuple(cast[:MAX_CHARACTERS]))
        await self.store.save(written)
        if choices:
            self._open[key] = OpenVote(written.deadline, len(choices), scene)
        return written

    async def _finish(self, sink: ReplySink, key: Key) -> None:
        try:
            await sink.finish()
        except Exception:
            log.warning("could not finish showing a scene in %s:%s", *key, exc_info=True)

    async def _guest(self, story: Story) -> Guest | None:
        """The suggestion drawn for this scene, with the viewer's earlier story deeds (if memory is kept)."""
        drawn = story.extra.get("guest")
        if not isinstance(drawn, dict):
            return None
        idea = Suggestion(account=str(drawn["account"]), name=str(drawn["name"]), text=str(drawn["text"]))
        return Guest(idea, await self.memory.recall_safely(idea.account) if self.memory is not None else ())
