"""Speaking under another name and avatar through a channel webhook (a story's narrator and characters), where
the bot may manage webhooks. One webhook per channel, made by the bot and so owned by its application: only
such a webhook may carry the vote buttons (discord/webhook/async_.py, Webhook.send, with_components)."""

from __future__ import annotations

import logging
import time
from typing import Any

import discord

log = logging.getLogger(__name__)

WEBHOOK_NAME = "Fireside"
RECHECK = 600.0  # seconds before asking again where the bot could not get a webhook (a permission granted later)
NAME_CHARS = 80  # Discord's limit for a webhook message's username


class WebhookVoice:
    """A Messageable-like target for DiscordReplySink: sends through the webhook as `name`, into a thread when the
    story has one; typing shows in the channel itself."""

    def __init__(self, webhook: discord.Webhook, channel: discord.abc.Messageable, thread: discord.Thread | None,
                 name: str, avatar_url: str | None) -> None:
        self.webhook = webhook
        self.channel = channel
        self.thread = thread
        # Discord refuses usernames containing "discord" or "clyde".
        clean = name.replace("discord", "d1scord").replace("Discord", "D1scord").replace("clyde", "c1yde")
        self.name = clean.replace("Clyde", "C1yde")[:NAME_CHARS] or WEBHOOK_NAME
        self.avatar_url = avatar_url

    @property
    def id(self) -> int:
        return int(getattr(self.channel, "id", 0))

    def typing(self) -> Any:
        return self.channel.typing()

    async def send(self, content: str, **kwargs: Any) -> discord.WebhookMessage:
        kwargs.pop("reference", None)  # a webhook can't reply; unprompted scenes never do
        kwargs.pop("mention_author", None)
        extra: dict[str, Any] = {"thread": self.thread} if self.thread is not None else {}
        if self.avatar_url:
            extra["avatar_url"] = self.avatar_url
        return await self.webhook.send(content, username=self.name, wait=True, **extra, **kwargs)


class Voices:
    """The webhook of each channel (the parent, for a thread), found or made once and remembered; None where the
    bot lacks Manage Webhooks."""

    def __init__(self) -> None:
        self._hooks: dict[int, discord.Webhook] = {}
        self._refused: dict[int, float] = {}  # channel id -> when the bot last could not get one

    async def voice(self, channel: discord.abc.Messageable, name: str,
                    avatar_url: str | None = None) -> WebhookVoice | None:
        thread = channel if isinstance(channel, discord.Thread) else None
        parent = thread.parent if thread is not None else channel
        if not isinstance(parent, discord.TextChannel):
            log.debug("no webhook voice in %r (parent %r)", channel, parent)
            return None
        hook = await self._webhook(parent)
        return WebhookVoice(hook, channel, thread, name, avatar_url) if hook is not None else None

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
