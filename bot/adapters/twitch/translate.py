"""Turn a twitchio ChatMessage into a ChatEvent: who spoke, with which badges, and whether the bot was
addressed (a mention of its name, or a reply to it). Commands (!ask) are parsed by twitchio."""

from __future__ import annotations

import re

import twitchio

from bot.events import Author, ChatEvent


def roles_of(chatter: twitchio.Chatter) -> frozenset[str]:
    roles = set()
    if chatter.broadcaster:
        roles.add("broadcaster")
    if chatter.moderator:
        roles.add("moderator")
    if chatter.vip:
        roles.add("vip")
    if chatter.subscriber:
        roles.add("subscriber")
    return frozenset(roles)


def is_shared_chat_copy(message: twitchio.ChatMessage) -> bool:
    """In a shared chat session, messages from the other channels arrive too: they are not ours to answer."""
    source = message.source_broadcaster
    return source is not None and source.id != message.broadcaster.id


def mentions_bot(message: twitchio.ChatMessage, bot_id: str, bot_login: str) -> bool:
    if any(user.id == bot_id for user in message.mentions):
        return True
    return bool(bot_login) and re.search(rf"(?<!\w)@?{re.escape(bot_login)}(?!\w)", message.text, re.I) is not None


def replies_to_bot(message: twitchio.ChatMessage, bot_id: str) -> bool:
    reply = message.reply
    return reply is not None and reply.parent_user.id == bot_id


def strip_bot_name(text: str, bot_login: str) -> str:
    if not bot_login:
        return text.strip()
    text = re.sub(rf"(?<!\w)@?{re.escape(bot_login)}(?!\w)[,:]?", "", text, flags=re.I)
    return " ".join(text.split())


def to_event(message: twitchio.ChatMessage, bot_id: str, bot_login: str, *, text: str | None = None,
             addressed: bool | None = None, command: str | None = None, args: str = "") -> ChatEvent:
    chatter = message.chatter
    is_addressed = addressed if addressed is not None else (
        mentions_bot(message, bot_id, bot_login) or replies_to_bot(message, bot_id))
    body = text if text is not None else message.text
    if is_addressed and command is None:
        body = strip_bot_name(body, bot_login)
    chain: tuple[tuple[str, str], ...] = ()
    if message.reply is not None and message.reply.parent_message_body:
        chain = ((message.reply.parent_user.display_name or message.reply.parent_user.name or "someone",
                  message.reply.parent_message_body),)
    mentioned = tuple((name, str(user.id)) for user in message.mentions if str(user.id) != bot_id
                      for name in {user.name or "", user.display_name or ""} if name)
    return ChatEvent(
        platform="twitch", channel=str(message.broadcaster.id),
        author=Author(id=str(chatter.id), name=chatter.display_name or chatter.name or "someone",
                      roles=roles_of(chatter)),
        text=body, message_id=message.id,
        reply_to=message.reply.parent_message_id if message.reply else None,
        addressed=is_addressed, command=command, args=args, mentions=mentioned, reply_chain=chain, raw=message,
    )
