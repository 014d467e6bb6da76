"""The platform side of a story's vote: a native poll beside chat votes where the platform has one (Twitch),
and the live tally on the scene's buttons (Discord). Any failure here means chat votes alone, never a lost vote."""

from __future__ import annotations

import logging

from bot.memory.base import MemoryUnavailable
from bot.metrics import STORY_POLLS
from bot.outlets import Outlets
from bot.story.model import Choice, Story
from bot.story.polls import poll_labels, poll_title
from bot.story.store import StoryStore

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (platform, channel)


class Ballots:
    def __init__(self, store: StoryStore, outlets: Outlets) -> None:
        self.store = store
        self.outlets = outlets
        self._shown: dict[Key, tuple[int, list[int]]] = {}  # the tally last shown, per channel: (scene, counts)

    async def show_tally(self, key: Key, scene: int, choices: int, closed: bool = False,
                         counts: list[int] | None = None) -> None:
        """The votes so far on the scene's buttons, when they changed (closed: the final count, greyed out)."""
        if not self.outlets.shows_tally(key[0]):
            return
        try:
            counts = counts if counts is not None else await self.store.tally(*key, choices, scene)
        except MemoryUnavailable:
            return
        if not closed and self._shown.get(key) == (scene, counts):
            return
        self._shown[key] = (scene, counts)
        await self.outlets.show_tally(*key, scene, counts, closed)

    async def open_poll(self, story: Story, scene: int, choices: tuple[Choice, ...]) -> str | None:
        """A native poll beside the chat votes, where the platform has one; any failure means chat votes."""
        booth = self.outlets.polls(story.platform)
        if booth is None:
            return None
        try:
            poll = await booth.open(story.channel, poll_title(scene), poll_labels(choices), round(story.window))
        except Exception:
            log.exception("could not open a poll in %s:%s; chat votes only", story.platform, story.channel)
            poll = None
        STORY_POLLS.labels(story.platform, "opened" if poll else "chat_only").inc()
        return poll

    async def poll_result(self, story: Story, poll: str) -> list[int] | None:
        """The poll's votes per choice (ending it if it still runs), or None: chat votes alone."""
        booth = self.outlets.polls(story.platform)
        counts: list[int] | None = None
        if booth is not None:
            try:
                counts = await booth.result(story.channel, poll)
            except Exception:
                log.exception("could not read the poll in %s:%s; chat votes only", story.platform, story.channel)
        if counts is not None and len(counts) != len(story.choices):
            log.warning("the poll in %s:%s had %d choices, not %d; ignored", story.platform, story.channel,
                        len(counts), len(story.choices))
            counts = None
        STORY_POLLS.labels(story.platform, "read" if counts is not None else "unread").inc()
        return counts
