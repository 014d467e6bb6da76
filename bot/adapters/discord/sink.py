"""Stream a reply into Discord by editing one message about once a second, split at 2000 characters,
with a typing indicator before the first token and a cursor while the reply is still being written."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.safety.mentions import neutralise_mentions
from bot.text.split import split_message

log = logging.getLogger(__name__)

LIMIT = 2000
CURSOR = " ▌"
MAX_INTERVAL = 10.0
FINAL_TRIES = 5
NO_PINGS = discord.AllowedMentions.none()


class DiscordReplySink:
    def __init__(self, channel: discord.abc.Messageable, reply_to: discord.Message | None = None,
                 interval: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.channel = channel
        self.reply_to = reply_to
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.finished: list[discord.Message] = []  # parts already complete
        self.live: discord.Message | None = None  # the part being written
        self._text = ""  # text of the live part
        self._shown = ""  # what the live message shows now
        self._last_edit = 0.0
        self._typing: Any = None
        self.rate_limited = 0

    @property
    def messages(self) -> list[discord.Message]:
        return [*self.finished, *([self.live] if self.live is not None else [])]

    async def start(self, speaker: str) -> None:
        if self._typing is None:
            typing = self.channel.typing()
            try:
                await typing.__aenter__()
            except Exception:
                log.debug("typing indicator failed", exc_info=True)
                return
            self._typing = typing

    async def write(self, delta: str) -> None:
        self._text += delta
        if len(self._text) + len(CURSOR) > LIMIT:
            await self._roll_over()
        if self.live is None:
            await self._send(final=False)
        elif self.clock() - self._last_edit >= self.interval:
            await self._edit(final=False)

    async def finish(self) -> None:
        await self._stop_typing()
        if self.live is None:
            if self._text.strip():
                await self._send(final=True)
            return
        await self._edit(final=True)

    async def fail(self, message: str) -> None:
        await self._stop_typing()
        note = f"*{message}*"
        if self.live is not None:
            self._text = f"{self._text}\n\n{note}"
            await self._edit(final=True)
        else:
            self._text = note
            await self._send(final=True)

    # -- internals

    async def _roll_over(self) -> None:
        """The live part would pass 2000: finish it at a good boundary and go on in a new message."""
        parts = split_message(self._text, LIMIT - len(CURSOR))
        for part in parts[:-1]:
            self._text = part
            if self.live is None:
                await self._send(final=True)
            else:
                await self._edit(final=True)
            assert self.live is not None
            self.finished.append(self.live)
            self.live, self._shown = None, ""
        self._text = parts[-1]

    async def _send(self, final: bool) -> None:
        content = self._render(final)
        first = not self.finished
        if first and self.reply_to is not None:
            sent = await self.reply_to.reply(content, mention_author=False, allowed_mentions=NO_PINGS)
        else:
            sent = await self.channel.send(content, allowed_mentions=NO_PINGS)
        self.live, self._shown, self._last_edit = sent, content, self.clock()
        await self._stop_typing()

    async def _edit(self, final: bool) -> None:
        assert self.live is not None
        content = self._render(final)
        if content == self._shown:
            return
        tries = FINAL_TRIES if final else 1
        for attempt in range(tries):
            try:
                await self.live.edit(content=content, allowed_mentions=NO_PINGS)
            except discord.RateLimited as exc:
                self._slow_down(exc.retry_after)
            except discord.HTTPException as exc:
                if exc.status != 429:
                    raise
                self._slow_down(None)
            else:
                self._shown, self._last_edit = content, self.clock()
                return
            if attempt + 1 < tries:
                await self.sleep(self.interval)
        if final:
            log.warning("gave up on the final edit after %d rate-limited tries", FINAL_TRIES)

    def _slow_down(self, retry_after: float | None) -> None:
        """Discord said 429: edit less often from now on, instead of failing the reply."""
        self.rate_limited += 1
        self.interval = min(MAX_INTERVAL, max(self.interval * 2, retry_after or 0.0))
        self._last_edit = self.clock()
        log.info("Discord rate limit; reply edits now every %.1fs", self.interval)

    def _render(self, final: bool) -> str:
        text = neutralise_mentions(self._text.strip()) or "…"
        return text if final else text + CURSOR

    async def _stop_typing(self) -> None:
        if self._typing is not None:
            typing, self._typing = self._typing, None
            with contextlib.suppress(Exception):
                await typing.__aexit__(None, None, None)
