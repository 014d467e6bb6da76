"""Stream a reply into Discord by editing one message about once a second, split at 2000 characters,
with a typing indicator before the first token and a cursor while the reply is still being written.

discord.py sleeps through 429s of up to 30 s inside the call itself (http.py, HTTPClient.request) and raises
RateLimited only past that, so an edit may take long: edits run beside the stream, never in its way, and
the last edit (the one that removes the cursor) waits out whatever Discord asks for."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.adapters.discord.ratings import rating_view
from bot.adapters.discord.voices import WebhookVoice
from bot.adapters.discord.votes import Ballot, vote_view
from bot.events import RatingTarget
from bot.safety.mentions import neutralise_mentions
from bot.text.split import split_message

log = logging.getLogger(__name__)

LIMIT = 2000
CURSOR = " ▌"
MAX_INTERVAL = 10.0
FINAL_PATIENCE = 600.0  # seconds the last edit may wait out rate limits before giving up
NO_PINGS = discord.AllowedMentions.none()


class DiscordReplySink:
    def __init__(self, channel: discord.abc.Messageable | WebhookVoice, reply_to: discord.Message | None = None,
                 interval: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 on_ballot: Callable[[Ballot], None] | None = None) -> None:
        self.channel = channel
        self.on_ballot = on_ballot  # told which message carries a scene's vote buttons
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
        self._editing: asyncio.Task[None] | None = None  # an edit in flight, beside the stream
        self.gone = False  # the live message was deleted (by a moderator): stop writing
        self.rate_limited = 0
        self._view: discord.ui.View | None = None  # vote buttons, on the last part once it is final
        self._ballot: tuple[tuple[str, ...], int] | None = None  # their labels and scene

    @property
    def messages(self) -> list[discord.Message]:
        return [*self.finished, *([self.live] if self.live is not None else [])]

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        if cadence is not None:
            self.interval = cadence  # the channel's own setting (/fireside-admin cadence)
        if self._typing is None:
            typing = self.channel.typing()
            try:
                await typing.__aenter__()
            except Exception:
                log.debug("typing indicator failed", exc_info=True)
                return
            self._typing = typing

    async def write(self, delta: str) -> None:
        if self.gone:
            return
        self._text += delta
        if len(self._render(final=False)) > LIMIT:
            await self._roll_over()
            if self.gone:  # the finished part's message was deleted meanwhile: stop here
                return
        if self.live is None:
            await self._send(final=False)
        elif self._editing is None and self.clock() - self._last_edit >= self.interval:
            content = self._render(final=False)
            if content != self._shown:
                self._last_edit = self.clock()
                self._editing = asyncio.ensure_future(self._edit_in_background(self.live, content))

    async def finish(self) -> None:
        await self._stop_typing()
        await self._settle()
        if self.gone:
            return
        if self.live is None:
            if self._text.strip():
                await self._send(final=True)
            return
        await self._final_edit()

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        self._view = vote_view(labels, scene)
        self._ballot = (labels, scene)

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        self._view = rating_view(for_account, picks)
        return True

    def _posted_ballot(self, message: discord.Message) -> None:
        if self._ballot is not None and self.on_ballot is not None:
            where = int(getattr(self.channel, "id", 0) or message.channel.id)
            self.on_ballot(Ballot(self._ballot[1], self._ballot[0], message, where))

    async def attach(self, filename: str, content: str) -> bool:
        return False  # commands answer through InteractionSink; a channel message carries no exports

    async def confirm(self, question: str, command_hint: str) -> bool:
        # Commands reach Discord users as slash commands (InteractionSink asks with buttons), never here.
        return False

    async def fail(self, message: str) -> None:
        """Show the apology where the reply was; if Discord refuses even that, log it (nobody else can see it)."""
        await self._stop_typing()
        await self._settle()
        note = f"*{message}*"
        try:
            if self.live is not None and not self.gone:
                self._text = f"{self._text}\n\n{note}"
                await self._final_edit()
            else:
                self._text = note
                await self._send(final=True)
        except discord.HTTPException as exc:
            log.warning("could not tell the user a reply failed (Discord %s %s)", exc.status, exc.code)

    # -- internals

    async def _roll_over(self) -> None:
        """The live part would pass 2000: finish it at a good boundary and go on in a new message."""
        # Measure what Discord will get: defusing a mass mention adds a character to it.
        growth = max(0, len(neutralise_mentions(self._text)) - len(self._text))
        parts = split_message(self._text, LIMIT - len(CURSOR) - growth)
        for part in parts[:-1]:
            self._text = part
            if self.live is None:
                await self._send(final=True)
            else:
                await self._settle()
                await self._final_edit()
            if self.gone:
                return
            assert self.live is not None
            self.finished.append(self.live)
            self.live, self._shown = None, ""
        self._text = parts[-1]

    async def _send(self, final: bool) -> None:
        content = self._render(final)
        first = not self.finished
        # fail_if_not_exists=False: Message.reply sends a reference that fails with a 400 when the asker deleted
        # their message meanwhile (message.py, to_message_reference_dict); then the reply simply stands alone.
        reference = self.reply_to.to_reference(fail_if_not_exists=False) if first and self.reply_to else None
        extra: dict[str, Any] = {"view": self._view} if final and self._view is not None else {}
        for attempt in range(3):
            try:
                if reference is not None:
                    sent = await self.channel.send(content, reference=reference, mention_author=False,
                                                   allowed_mentions=NO_PINGS, **extra)
                else:
                    sent = await self.channel.send(content, allowed_mentions=NO_PINGS, **extra)
                break
            except discord.RateLimited as exc:  # only past discord.py's own 30 s of patience
                if attempt == 2:
                    raise
                await self.sleep(exc.retry_after)
            except discord.HTTPException as exc:
                # A webhook's 429 comes as a plain HTTPException once its own retries are spent
                # (discord/webhook/async_.py, AsyncWebhookAdapter.request).
                if exc.status != 429 or attempt == 2:
                    raise
                await self.sleep(self.interval)
        self.live, self._shown, self._last_edit = sent, content, self.clock()
        if extra:
            self._posted_ballot(sent)
        await self._stop_typing()

    async def _edit_in_background(self, message: discord.Message, content: str) -> None:
        try:
            await message.edit(content=content, allowed_mentions=NO_PINGS)
        except discord.RateLimited as exc:
            self._slow_down(exc.retry_after)
        except discord.NotFound:
            self.gone = True
        except discord.HTTPException as exc:
            if exc.status == 429:  # discord.py's five tries are spent, or a Cloudflare block
                self._slow_down(None)
            else:
                log.warning("a streamed edit failed (Discord %s %s); the final edit will try again", exc.status,
                            exc.code)
        else:
            if message is self.live:
                self._shown = content
        finally:
            self._editing = None

    async def _settle(self) -> None:
        if self._editing is not None:
            await asyncio.shield(self._editing)

    async def _final_edit(self) -> None:
        """The edit that removes the cursor: wait out rate limits (within FINAL_PATIENCE) rather than leave it."""
        assert self.live is not None
        content = self._render(final=True)
        view, self._view = self._view, None  # buttons go on once, with the final text
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        waited = 0.0
        while content != self._shown or extra:
            try:
                await self.live.edit(content=content, allowed_mentions=NO_PINGS, **extra)
            except discord.NotFound:
                self.gone = True
                return
            except (discord.RateLimited, discord.HTTPException) as exc:
                if isinstance(exc, discord.HTTPException) and exc.status != 429:
                    raise
                pause = exc.retry_after if isinstance(exc, discord.RateLimited) else self.interval
                self._slow_down(pause)
                if waited + pause > FINAL_PATIENCE:
                    log.warning("gave up on the final edit after waiting %.0f s for rate limits", waited)
                    return
                waited += pause
                await self.sleep(pause)
            else:
                self._shown, self._last_edit = content, self.clock()
                if extra:
                    self._posted_ballot(self.live)
                extra = {}

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
