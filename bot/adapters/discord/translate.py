"""Turn a discord.Message into a ChatEvent, and decide whether the bot was addressed."""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.events import ADULT_CHANNEL, OPEN_CHANNELS, PRIVATE_ANSWERS, Author, ChatEvent

ANSWERED_TYPES = (discord.MessageType.default, discord.MessageType.reply)


@dataclass(frozen=True)
class Policy:
    dms: bool = True
    respond_to_bots: bool = False


def roles_of(member: discord.abc.User, guild: discord.Guild | None) -> frozenset[str]:
    """Discord permissions as Fireside roles: Manage Server makes an admin."""
    roles: set[str] = set()
    if isinstance(member, discord.Member):
        if member.guild_permissions.manage_guild or member.guild_permissions.administrator:
            roles.add("admin")
        if guild is not None and guild.owner_id == member.id:
            roles.add("owner")
    return frozenset(roles)


def replied_to(message: discord.Message) -> discord.Message | None:
    ref = message.reference
    if ref is None:
        return None
    resolved = ref.resolved if ref.resolved is not None else ref.cached_message
    return resolved if isinstance(resolved, discord.Message) else None  # DeletedReferencedMessage: None


def reply_chain(message: discord.Message, limit: int = 3) -> tuple[tuple[str, str], ...]:
    """The messages this one replies to, oldest first, from what discord.py already holds (no API calls)."""
    chain: list[tuple[str, str]] = []
    current = replied_to(message)
    seen = {message.id}
    while current is not None and len(chain) < limit and current.id not in seen:
        seen.add(current.id)
        if current.content:
            chain.append((current.author.display_name, plain_text(current, None)))
        current = replied_to(current)
    return tuple(reversed(chain))


def plain_text(message: discord.Message, bot_id: int | None) -> str:
    """Content with the bot's own mention removed and other mentions shown as names."""
    text = message.content
    if bot_id is not None:
        text = re.sub(rf"<@!?{bot_id}>", "", text)
    for user in message.mentions:
        text = re.sub(rf"<@!?{user.id}>", f"@{user.display_name}", text)
    for role in message.role_mentions:
        text = text.replace(f"<@&{role.id}>", f"@{role.name}")
    return " ".join(text.split()) if "\n" not in text else text.strip()


def to_event(message: discord.Message, bot_user: discord.ClientUser, policy: Policy,
             message_content: bool = False) -> ChatEvent | None:
    """None when the bot must ignore the message entirely."""
    author = message.author
    if author.id == bot_user.id or message.type not in ANSWERED_TYPES:
        return None
    if author.bot and not policy.respond_to_bots:
        return None
    is_dm = isinstance(message.channel, discord.DMChannel)
    if is_dm and not policy.dms:
        return None
    parent = replied_to(message)
    mentioned = any(u.id == bot_user.id for u in message.mentions)  # not @everyone: that is no address
    addressed = is_dm or mentioned or (parent is not None and parent.author.id == bot_user.id)
    text = plain_text(message, bot_user.id)
    if not text:
        return None  # no content: an attachment only, or the message-content intent is off
    return ChatEvent(
        platform="discord", channel=str(message.channel.id),
        author=Author(id=str(author.id), name=author.display_name, roles=roles_of(author, message.guild),
                      is_bot=author.bot),
        text=text, message_id=str(message.id),
        reply_to=str(message.reference.message_id) if message.reference and message.reference.message_id else None,
        addressed=addressed, space=str(message.guild.id) if message.guild else None,
        capabilities=frozenset({*([PRIVATE_ANSWERS] if is_dm else []), *([OPEN_CHANNELS] if message_content else []),
                                *([ADULT_CHANNEL] if for_adults(message.channel) else [])}),
        reply_chain=reply_chain(message), raw=message,
    )


def for_adults(channel: object) -> bool:
    """Discord's age-restricted flag (TextChannel.is_nsfw, Thread.is_nsfw: a thread follows its parent)."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False
