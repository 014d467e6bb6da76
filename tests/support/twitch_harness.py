"""Real twitchio objects from EventSub payloads, pushed through our real bot and components; only the
sending (PartialUser.send_message) is patched."""

from __future__ import annotations

import itertools
from typing import Any

import twitchio

BOT_ID, BOT_LOGIN, CHANNEL_ID = "999", "fireside_bot", "100"
_ids = itertools.count(1)


def text_fragment(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}


def mention_fragment(user_id: str, login: str) -> dict[str, Any]:
    return {"type": "mention", "text": f"@{login}", "cheermote": None, "emote": None,
            "mention": {"user_id": user_id, "user_login": login, "user_name": login}}


def payload(text: str, chatter: tuple[str, str] = ("7", "alice"), *, badges: tuple[str, ...] = (),
            fragments: list[dict[str, Any]] | None = None, reply_to_bot: str | None = None,
            source_broadcaster: str | None = None, channel: str = CHANNEL_ID) -> dict[str, Any]:
    uid, login = chatter
    reply = None
    if reply_to_bot is not None:
        reply = {"parent_message_id": "parent-1", "parent_message_body": reply_to_bot, "parent_user_id": BOT_ID,
                 "parent_user_login": BOT_LOGIN, "parent_user_name": "Fireside_Bot", "thread_message_id": "parent-1",
                 "thread_user_id": BOT_ID, "thread_user_login": BOT_LOGIN, "thread_user_name": "Fireside_Bot"}
    return {
        "broadcaster_user_id": channel, "broadcaster_user_login": "streamer", "broadcaster_user_name": "Streamer",
        "chatter_user_id": uid, "chatter_user_login": login, "chatter_user_name": login.title(),
        "message_id": f"msg-{next(_ids)}",
        "message": {"text": text, "fragments": fragments or [text_fragment(text)]},
        "color": "#FF0000", "message_type": "text",
        "badges": [{"set_id": b, "id": "1", "info": ""} for b in badges],
        "reply": reply, "cheer": None, "channel_points_custom_reward_id": None, "channel_points_animation_id": None,
        "source_broadcaster_user_id": source_broadcaster, "source_broadcaster_user_login": None,
        "source_broadcaster_user_name": None, "source_message_id": None, "source_badges": None,
    }


def chat_message(bot: Any, text: str, **kw: Any) -> twitchio.ChatMessage:
    return twitchio.ChatMessage(payload(text, **kw), http=bot._http)  # type: ignore[arg-type]
