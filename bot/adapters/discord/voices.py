"""Speaking under another name and avatar through a channel webhook (a story's narrator and characters), where
the bot may manage webhooks. One webhook per channel, made by the bot and so owned by its application: only
such a webhook may carry the vote buttons (discord/webhook/async_.py, Webhook.send, with_components)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import discord

log = logging.getLogger(__name__)

WEBHOOK_NAME = "Fireside"
RECHECK = 600.0  # seconds before asking again where the bot could not get a webhook (a permission granted later)
NAME_CHARS = 80  # Discord's limit for a webhook message's username
_FORBIDDEN = re.compile(r"discord|clyde", re.IGNORECASE)


class WebhookVoice:
    """A Messageable-like target for DiscordReplySink: sends through the webhook as `name`, into a thread when the
    story has one; typing shows in the channel itself."""

    def __init__(self, webhook: discord.Webhook, channel: discord.abc.Messageable, thread: discord.Thread | None,
                 name: str, avatar_url: str | None) -> None:
        self.webhook = webhook
        self.channel = channel
        self.thread = thread
        # Discord refuses usernames containing "discord" or "clyde", in any case.
        clean = _FORBIDDEN.sub(lambda m: m.group(0).replace("o", "0").replace("O", "0").replace("l", "1")
                               .replace("L", "1"), name)
        self.name = clean.strip()[:NAME_CHARS] or WEBHOOK_NAME
        self.avatar_url = avatar_url
        self.on_gone: Callable[[], None] = lambda: None  # told when Discord says the webhook was deleted

    @property
    def id(self) -> int:
        return int(getattr(self.channel, "id", 0))

    def typing(self) -> Any:
        return self.channel.typing()

    async def send(self, content: str, **kwargs: Any) -> discord.Message:
        kwargs.pop("reference", None)  # a webhook can't reply; unprompted scenes never do
        kwargs.pop("mention_author", None)
        extra: dict[str, Any] = {"thread": self.thread} if self.thread is not None else {}
        if self.avatar_url:
            extra["avatar_url"] = self.avatar_url
        try:
            return await self.webhook.send(content, username=self.name, wait=True, **extra, **kwargs)
        except discord.NotFound:
            # A moderator deleted the webhook: forget it, and say this in the bot's own name instead.
            self.on_gone()
            target = self.thread if self.thread is not None else self.channel
            sent: discord.Message = await target.send(content, **kwargs)
            return sent


class Voices:
    """The webhook of each channel (the parent, for a thread), found or made once and remembered; None where the
    bot lacks Manage Webhooks."""

    def __init__(self) -> None:
        self._hooks: dict[int, discord.Webhook] = {}
        self._refused: dict[int, float] = {}  # channel id -> when the bot last could not get one
        self._locks: dict[int, asyncio.Lock] = {}  # two stories starting at once make one webhook, not two

    async def voice(self, channel: discord.abc.Messageable, name: str,
                    avatar_url: str | None = None) -> WebhookVoice | None:
        thread = channel if isinstance(channel, discord.Thread) else None
        parent = thread.parent if thread is not None else channel
        if not isinstance(parent, discord.TextChannel):
            log.debug("no webhook voice in %r (parent %r)", channel, parent)
            return None
        async with self._locks.setdefault(parent.id, asyncio.Lock()):
            hook = await self._webhook(parent)
        if hook is None:
            return None
        voice = WebhookVoice(hook, channel, thread, name, avatar_url)
        voice.on_gone = lambda: self.forget(parent.id)
        return voice

    def forget(self, channel_id: int) -> None:
        """The channel's webhook is gone (deleted by a moderator): find or make one afresh next time."""
        self._hooks.pop(channel_id, None)

    async def _webhook(self, parent: discord.TextChannel) -> discord.Webhook | None:
        if parent.id in self._hooks:
            return self._hooks[parent.id]
        if time.monotonic() - self._refused.get(parent.id, -RECHECK) < RECHECK:
            return None
        me = parent.guild.me
        if me is not None and not parent.permissions_for(me).manage_webhooks:
            log.info("no Manage Webhooks in #%s: the story speaks as the bot", parent.name)
            self._refused[parent.id] = time.monotonic()
            return None
        try:
            bot_id = me.id if me is not None else None
            mine = [h for h in await parent.webhooks() if h.name == WEBHOOK_NAME and h.token
                    and (h.user is None or h.user.id == bot_id)]
            hook = mine[0] if mine else await parent.create_webhook(name=WEBHOOK_NAME, reason="Fireside story voices")
        except discord.HTTPException as exc:
            log.warning("could not get a webhook in #%s (%s %s): the story speaks as the bot", parent.name,
                        exc.status, exc.text)
            self._refused[parent.id] = time.monotonic()
            return None
        except Exception:  # a voice is a nicety: a network fault here must not cost the scene
            log.warning("could not get a webhook in #%s: the story speaks as the bot", parent.name, exc_info=True)
            self._refused[parent.id] = time.monotonic()
            return None
        self._hooks[parent.id] = hook
        return hook
