"""Twitch polls as a story's ballot box, where the broadcaster signed in with channel:manage:polls. Twitch runs
one poll at a time per channel, on Affiliate and Partner channels only: any refusal (403, 400, 429) means the
story counts chat votes alone."""

from __future__ import annotations

import logging
from collections.abc import Callable

import twitchio

from bot.story.polls import LABEL_CHARS, TITLE_CHARS

log = logging.getLogger(__name__)

POLL_SCOPE = "channel:manage:polls"
MIN_SECONDS, MAX_SECONDS = 15, 1800  # what Twitch accepts for a poll's duration


class TwitchPolls:
    def __init__(self, client: twitchio.Client, may_poll: Callable[[str], bool]) -> None:
        self.client = client
        self.may_poll = may_poll  # broadcaster id -> they signed in with the poll scope

    async def open(self, channel: str, title: str, labels: tuple[str, ...], seconds: int) -> str | None:
        if not self.may_poll(channel) or not 2 <= len(labels) <= 5 or seconds < MIN_SECONDS:
            return None
        # twitchio checks the limits only after the request was sent (user.py, create_poll): check them first.
        choices = [label[:LABEL_CHARS] for label in labels]
        broadcaster = self.client.create_partialuser(user_id=channel)
        try:
            poll = await broadcaster.create_poll(title=title[:TITLE_CHARS], choices=choices,
                                                 duration=min(seconds, MAX_SECONDS))
        except twitchio.HTTPException as exc:
            # Never log the exception itself: its route carries the token.
            log.info("Twitch refused a poll in %s (status %s): chat votes only", channel, exc.status)
            return None
        return poll.id

    async def result(self, channel: str, poll_id: str) -> list[int] | None:
        broadcaster = self.client.create_partialuser(user_id=channel)
        try:
            polls = [p async for p in broadcaster.fetch_polls(ids=[poll_id], max_results=1)]
        except twitchio.HTTPException as exc:
            log.info("could not read the poll in %s (status %s): chat votes only", channel, exc.status)
            return None
        if not polls:
            return None
        poll = polls[0]
        if poll.status == "ACTIVE":  # closed early (a moderator skipped the vote): end it, keep it visible
            try:
                poll = await poll.end_poll(status="TERMINATED")
            except twitchio.HTTPException as exc:  # it may have ended on its own meanwhile: keep what was read
                log.info("could not end the poll in %s (status %s); counting what it had", channel, exc.status)
        return [int(choice.votes or 0) for choice in poll.choices]
