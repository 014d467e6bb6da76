"""Real discord.py objects built from gateway payloads, with only the HTTP client mocked: our adapter code
and discord.py's own message building (allowed_mentions merging included) run for real."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord

from bot.adapters.discord.client import DiscordOptions, FiresideDiscord

BOT_ID, GUILD_ID, CHANNEL_ID, OWNER_ID = 1000, 1, 10, 5
TS = "2024-01-01T00:00:00+00:00"
_ids = itertools.count(5000)


def user_payload(uid: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": str(uid), "username": name.lower(), "discriminator": "0", "avatar": None, "global_name": name,
            "bot": bot}


@dataclass
class Sent:
    kind: str  # "send" or "edit"
    channel_id: int
    message_id: int
    payload: dict[str, Any]


@dataclass
class DiscordHarness:
    client: FiresideDiscord
    guild: discord.Guild
    channel: discord.TextChannel
    calls: list[Sent] = field(default_factory=list)
    edit_errors: list[BaseException] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)  # message ids deleted on "Discord" meanwhile
    edit_gate: asyncio.Event | None = None  # when set, edits wait for it (discord.py sleeping through a 429)

    @property
    def state(self) -> Any:
        return self.client._connection

    def message(self, content: str, author: tuple[int, str] = (7, "Alice"), *, mentions: tuple[int, ...] = (),
                reply_to: dict[str, Any] | str | None = "none", dm: bool = False, bot: bool = False,
                admin: bool = False, mention_everyone: bool = False) -> discord.Message:
        uid, name = author
        data: dict[str, Any] = {
            "id": str(next(_ids)), "channel_id": str(CHANNEL_ID), "author": user_payload(uid, name, bot),
            "content": content, "timestamp": TS, "edited_timestamp": None, "tts": False,
            "mention_everyone": mention_everyone, "mention_roles": [], "attachments": [], "embeds": [],
            "type": 0, "pinned": False,
            "mentions": [user_payload(m, "fireside" if m == BOT_ID else f"user{m}", m == BOT_ID) for m in mentions],
        }
        channel: Any = self.channel
        if dm:
            channel = discord.DMChannel(me=self.state.user, state=self.state,
                                        data={"id": "77", "type": 1, "recipients": [user_payload(uid, name)]})
            data["channel_id"] = "77"
        else:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = {"roles": ["2"] if admin else [], "joined_at": TS, "nick": None}
        if reply_to != "none":
            data["type"] = 19
            ref_id = reply_to["id"] if isinstance(reply_to, dict) else "4242"
            data["message_reference"] = {"message_id": ref_id, "channel_id": data["channel_id"]}
            data["referenced_message"] = reply_to  # None: the referenced message was deleted
        return discord.Message(state=self.state, channel=channel, data=data)

    def payload_of(self, message: discord.Message) -> dict[str, Any]:
        return {"id": str(message.id), "channel_id": str(message.channel.id), "author": user_payload(
            message.author.id, message.author.display_name, message.author.bot), "content": message.content,
            "timestamp": TS, "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "type": 0, "pinned": False}

    @property
    def sends(self) -> list[Sent]:
        return [c for c in self.calls if c.kind == "send"]

    @property
    def edits(self) -> list[Sent]:
        return [c for c in self.calls if c.kind == "edit"]

    def final_texts(self) -> list[str]:
        """What each bot message shows at the end."""
        last: dict[int, str] = {}
        for call in self.calls:
            last[call.message_id] = call.payload["content"]
        return list(last.values())


def build(dispatch: Any, settings_for: Any, options: DiscordOptions | None = None,
          persona_names: Any = lambda: ["sidekick", "critic"]) -> DiscordHarness:
    client = FiresideDiscord(dispatch, settings_for, persona_names, options or DiscordOptions())
    state = client._connection
    with contextlib.suppress(RuntimeError):  # set by login() in real life; the typing indicator needs it
        state.loop = asyncio.get_running_loop()
    state.user = discord.ClientUser(state=state, data=user_payload(BOT_ID, "Fireside", bot=True))
    everyone = {"id": str(GUILD_ID), "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                "hoist": False, "managed": False, "mentionable": False}
    mods = {**everyone, "id": "2", "name": "mods", "permissions": str(discord.Permissions(manage_guild=True).value),
            "position": 1}
    guild = discord.Guild(data={"id": str(GUILD_ID), "name": "G", "owner_id": str(OWNER_ID),
                                "roles": [everyone, mods], "channels": [], "members": []}, state=state)
    state._add_guild(guild)
    channel = discord.TextChannel(state=state, guild=guild, data={
        "id": str(CHANNEL_ID), "type": 0, "name": "general", "position": 0, "guild_id": str(GUILD_ID),
        "permission_overwrites": []})
    guild._add_channel(channel)
    harness = DiscordHarness(client, guild, channel)

    async def send_message(channel_id: int, *, params: Any) -> dict[str, Any]:
        ref = params.payload.get("message_reference")
        if ref and int(ref["message_id"]) in harness.deleted and ref.get("fail_if_not_exists", True):
            # Discord's answer to a reply whose message is gone, unless fail_if_not_exists is false.
            raise discord.HTTPException(MagicMock(status=400, reason="Bad Request"), {
                "code": 50035, "message": "Invalid Form Body",
                "errors": {"message_reference": {"_errors": [{"code": "REPLIES_UNKNOWN_MESSAGE",
                                                               "message": "Unknown message"}]}}})
        mid = next(_ids)
        harness.calls.append(Sent("send", int(channel_id), mid, dict(params.payload)))
        return {"id": str(mid), "channel_id": str(channel_id), "author": user_payload(BOT_ID, "Fireside", True),
                "content": params.payload.get("content", ""), "timestamp": TS, "edited_timestamp": None,
                "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": [], "type": 0, "pinned": False}

    async def edit_message(channel_id: int, message_id: int, *, params: Any) -> dict[str, Any]:
        if harness.edit_gate is not None:
            await harness.edit_gate.wait()
        if int(message_id) in harness.deleted:
            raise discord.NotFound(MagicMock(status=404, reason="Not Found"), {"code": 10008,
                                                                               "message": "Unknown Message"})
        if harness.edit_errors:
            raise harness.edit_errors.pop(0)
        harness.calls.append(Sent("edit", int(channel_id), int(message_id), dict(params.payload)))
        return {"id": str(message_id), "channel_id": str(channel_id), "author": user_payload(BOT_ID, "Fireside", True),
                "content": params.payload.get("content", ""), "timestamp": TS, "edited_timestamp": TS,
                "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": [], "type": 0, "pinned": False}

    state.http.send_message = send_message
    state.http.edit_message = edit_message
    state.http.send_typing = AsyncMock(return_value=None)
    return harness


def http_429() -> discord.HTTPException:
    response = MagicMock(status=429, reason="Too Many Requests")
    return discord.HTTPException(response, {"message": "You are being rate limited.", "retry_after": 1.0})


def interaction(permissions: discord.Permissions, user: tuple[int, str] = (7, "Alice")) -> MagicMock:
    """A spec'd Interaction: response and followup are AsyncMocks we read back."""
    inter = MagicMock(spec=discord.Interaction)
    inter.user = MagicMock(spec=discord.Member, id=user[0], display_name=user[1], bot=False)
    inter.permissions = permissions
    inter.channel_id = CHANNEL_ID
    inter.guild_id = GUILD_ID
    inter.response = MagicMock()
    inter.response.defer = AsyncMock()
    inter.response.is_done = MagicMock(return_value=True)
    inter.followup = MagicMock()
    inter.followup.send = AsyncMock()
    return inter
