"""Twitch replies: one finished message (two at most), threaded to the asker, sent through the chat rate
limiter; a reply that would go out too late to make sense is dropped, not queued forever."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.adapters.twitch.fit import fit_for_twitch
from bot.adapters.twitch.ratelimit import ChatRateLimiter
from bot.events import RatingTarget

log = logging.getLogger(__name__)

Send = Callable[[str, str | None], Awaitable[Any]]  # (text, reply_to_message_id)


class ReplyDropped(Exception):
    """Twitch took the message but did not post it (AutoMod, slow mode, followers-only): the reason is logged
    and the bot stays quiet; a public apology would only be dropped too, or annoy chat."""


class TwitchReplySink:
    def __init__(self, send: Send, limiter: ChatRateLimiter, channel: str, reply_to: str | None,
                 elevated: bool = False, stale_after: float = 20.0, min_gap: float = 0.0, prefix: str = "!",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.send = send
        self.limiter = limiter
        self.channel = channel
        self.reply_to = reply_to
        self.elevated = elevated
        self.min_gap = min_gap
        self.prefix = prefix
        self.deadline = clock() + stale_after
        self.parts: list[str] = []
        self.sent: list[str] = []
        self.dropped = False

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        self.parts.clear()  # a regenerated reply starts over
        if cadence is not None:
            self.min_gap = cadence  # the channel's own setting (!cadence): at least this long between replies

    async def write(self, delta: str) -> None:
        self.parts.append(delta)  # Twitch has no edits: the reply goes out when it is complete

    async def finish(self) -> None:
        await self._deliver("".join(self.parts))

    async def fail(self, message: str) -> None:
        await self._deliver(message)

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        return None  # chat votes: !vote N, the numbered list is in the text

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        return False  # chat has no buttons: !liked N, !nah N

    async def attach(self, filename: str, content: str) -> bool:
        return False  # chat carries no files

    async def confirm(self, question: str, command_hint: str) -> bool:
        # Chat can't hold a question open: the viewer confirms by typing the command again with "confirm".
        await self._deliver(f"{question} To go ahead, type {self.prefix}{command_hint}")
        return False

    async def _deliver(self, text: str) -> None:
        for i, part in enumerate(fit_for_twitch(text)):
            if not await self.limiter.acquire(self.channel, self.elevated, self.deadline, self.min_gap):
                self.dropped = True
                log.info("dropped a stale Twitch reply in %s rather than risk the rate limit", self.channel)
                return
            try:
                await self.send(part, self.reply_to if i == 0 else None)
            except ReplyDropped:
                self.dropped = True
                return
            self.sent.append(part)
