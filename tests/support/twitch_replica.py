"""One Twitch bot replica as its own process, for the test that kills one: our real FiresideTwitch and channel
leases on a real Redis, started through twitchio's own login (which runs our setup_hook), with only twitchio's
network calls patched (autospec). It prints what it does as JSON lines (subscribed, unsubscribed, sent) and
takes chat messages on stdin: {"channel": "101", "text": "hi @fireside_bot"}.

    python -m tests.support.twitch_replica REDIS_URL NAME LEASE_SECONDS CHANNEL [CHANNEL ...]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import twitchio
from twitchio.authentication import ManagedHTTPClient
from twitchio.authentication.oauth import OAuth
from twitchio.authentication.payloads import ValidateTokenPayload
from twitchio.payloads import WebsocketSubscriptionData

from bot.adapters.channel_leases import ChannelLeases
from bot.adapters.twitch.bot import FiresideTwitch
from bot.commands.table import command_table
from bot.events import ChatEvent, ReplySink
from bot.memory.redis.backend import open_redis_stores
from bot.memory.tokens import FileTokenStore
from bot.settings import TwitchSettings
from tests.support.twitch_harness import BOT_ID, BOT_LOGIN, chat_message, mention_fragment, text_fragment


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def add_token(self: ManagedHTTPClient, token: str, refresh: str) -> Any:
    self._tokens[BOT_ID] = {"user_id": BOT_ID, "token": token, "refresh": refresh, "last_validated": ""}
    return ValidateTokenPayload({"client_id": "cid", "login": BOT_LOGIN, "scopes": ["user:read:chat", "user:bot"],
                                 "user_id": BOT_ID, "expires_in": 3600})


async def app_token(self: OAuth) -> Any:
    return SimpleNamespace(access_token="app-token")


async def validate(self: OAuth, token: str, /) -> Any:
    return SimpleNamespace(client_id="cid", user_id=None, login=None)


async def fetch_user(self: twitchio.PartialUser) -> Any:
    return SimpleNamespace(id=self.id, name=BOT_LOGIN)  # commands.Bot.login looks the bot account up


SUBSCRIBED: dict[str, WebsocketSubscriptionData] = {}  # what Twitch holds for this process, by id


async def subscribe(self: twitchio.Client, payload: Any, **_kw: Any) -> Any:
    channel, kind = payload.condition["broadcaster_user_id"], str(payload.type)
    if kind == "channel.chat.message":
        say(event="subscribed", channel=channel)
    sub_id = uuid.uuid4().hex
    SUBSCRIBED[sub_id] = WebsocketSubscriptionData({  # type: ignore[typeddict-item]
        "type": kind, "version": payload.version, "condition": payload.condition, "transport": {},
        "token_for": BOT_ID})
    return {"data": [{"id": sub_id}]}


def subscriptions(self: twitchio.Client) -> dict[str, WebsocketSubscriptionData]:
    return dict(SUBSCRIBED)


async def unsubscribe(self: twitchio.Client, id: str, *, force: bool = False) -> Any:
    data = SUBSCRIBED.pop(id)
    if str(data.type) == "channel.chat.message":
        say(event="unsubscribed", channel=data.condition["broadcaster_user_id"])
    return data


async def send_message(self: twitchio.PartialUser, message: str, sender: Any, *args: Any, **kw: Any) -> Any:
    say(event="sent", channel=self.id, text=message)


async def main(url: str, name: str, lease: float, channels: list[str]) -> None:
    stores = open_redis_stores(url)
    leases = ChannelLeases(stores.leases, "twitch", name, ttl=lease)
    tokens = FileTokenStore(Path(tempfile.mkdtemp()) / "tokens.json")
    await tokens.save({BOT_ID: {"user_id": BOT_ID, "token": "good-token", "refresh": "good-refresh"}})

    async def dispatch(event: ChatEvent, sink: ReplySink) -> None:
        await sink.start("Pip")
        await sink.write(f"{name} answers in {event.channel}.")
        await sink.finish()

    cfg = TwitchSettings(client_id="cid", client_secret="secret", bot_id=BOT_ID, channels=channels)
    bot = FiresideTwitch(cfg, dispatch, lambda _e: None, tokens, command_table(), bot_login=BOT_LOGIN,
                         leases=leases)
    with patch.object(ManagedHTTPClient, "add_token", autospec=True, side_effect=add_token), \
            patch.object(OAuth, "client_credentials_token", autospec=True, side_effect=app_token), \
            patch.object(OAuth, "validate_token", autospec=True, side_effect=validate), \
            patch.object(twitchio.PartialUser, "user", autospec=True, side_effect=fetch_user), \
            patch.object(twitchio.Client, "subscribe_websocket", autospec=True, side_effect=subscribe), \
            patch.object(twitchio.Client, "delete_websocket_subscription", autospec=True, side_effect=unsubscribe), \
            patch.object(twitchio.Client, "websocket_subscriptions", autospec=True, side_effect=subscriptions), \
            patch.object(twitchio.PartialUser, "send_message", autospec=True, side_effect=send_message):
        await bot.login(load_tokens=True, save_tokens=False)  # runs our setup_hook: the first leases
        say(event="ready", name=name)
        while line := await asyncio.to_thread(sys.stdin.readline):
            msg = json.loads(line)
            text = msg["text"]
            fragments = [text_fragment(text.replace(f"@{BOT_LOGIN}", "").strip()), mention_fragment(BOT_ID, BOT_LOGIN)]
            await bot.event_message(chat_message(bot, text, channel=msg["channel"], fragments=fragments))
        await bot.close()
    await stores.aclose()
    say(event="closed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]))
