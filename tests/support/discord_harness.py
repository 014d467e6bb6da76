"""Real discord.py objects built from gateway payloads, with only the HTTP layer mocked: our adapter code and
discord.py's own message building (allowed_mentions merging included) run for real. Slash commands arrive as
INTERACTION_CREATE payloads through the real ConnectionState and CommandTree; their answers go through
discord.py's real webhook code down to AsyncWebhookAdapter.request, which records them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord

from bot.adapters.discord.client import DiscordOptions, FiresideDiscord
from bot.commands.table import CommandTable, command_table

BOT_ID, GUILD_ID, CHANNEL_ID, OWNER_ID = 1000, 1, 10, 5
STORY_HOOK_ID = 4000  # the webhook a story's cast speaks through
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
class WebhookCall:
    """One request discord.py made for an interaction: the callback (defer, edit_message) or a follow-up."""

    method: str
    path: str
    body: dict[str, Any]
    files: list[Any]

    @property
    def content(self) -> str:
        return str(self.body.get("content") or self.body.get("data", {}).get("content") or "")

    @property
    def ephemeral(self) -> bool:
        flags = self.body.get("flags", self.body.get("data", {}).get("flags", 0)) or 0
        return bool(int(flags) & 64)


@dataclass
class DiscordHarness:
    client: FiresideDiscord
    guild: discord.Guild
    channel: discord.TextChannel
    calls: list[Sent] = field(default_factory=list)
    edit_errors: list[BaseException] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)  # message ids deleted on "Discord" meanwhile
    webhook: list[WebhookCall] = field(default_factory=list)
    started: bool = False
    edit_gate: asyncio.Event | None = None  # when set, edits wait for it (discord.py sleeping through a 429)
    threads: list[dict[str, Any]] = field(default_factory=list)  # what each thread was opened with
    thread_error: BaseException | None = None  # raised instead of opening a thread (a missing permission)
    webhooks_allowed: bool = False  # the bot may manage webhooks (allow_webhooks(): a story's cast speaks so)
    voiced: list[WebhookCall] = field(default_factory=list)  # what was sent and edited through that webhook
    webhook_deleted: bool = False  # a moderator deleted the webhook: Discord answers 404 Unknown Webhook

    @property
    def state(self) -> Any:
        return self.client._connection

    def allow_webhooks(self) -> None:
        """Give the bot a role with Manage Webhooks, as a server admin would."""
        perms = discord.Permissions(manage_webhooks=True, view_channel=True, send_messages=True)
        hooks = {"id": "3", "name": "hooks", "permissions": str(perms.value),
                 "position": 2, "color": 0, "hoist": False, "managed": False, "mentionable": False}
        self.guild._add_role(discord.Role(guild=self.guild, state=self.state, data=hooks))  # type: ignore[arg-type]
        me = self.guild.me
        me._roles = discord.utils.SnowflakeList([3])
        self.webhooks_allowed = True

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

    # -- slash commands and buttons, as Discord delivers them

    def interaction_payload(self, group: str, command: str, options: dict[str, Any] | None = None, *,
                            perms: discord.Permissions | None = None, user: tuple[int, str] = (7, "Alice"),
                            resolved: dict[str, Any] | None = None, focused: str | None = None,
                            channel: dict[str, Any] | None = None) -> dict[str, Any]:
        typed = [{"type": _option_type(k, v), "name": k, "value": v, **({"focused": True} if k == focused else {})}
                 for k, v in (options or {}).items()]
        data: dict[str, Any] = {"id": "777", "name": group, "type": 1,
                                "options": [{"type": 1, "name": command, "options": typed}]}
        if resolved:
            data["resolved"] = resolved
        return {**self._interaction_base(perms, user, channel), "type": 4 if focused else 2, "data": data}

    def _interaction_base(self, perms: discord.Permissions | None, user: tuple[int, str],
                          channel: dict[str, Any] | None = None) -> dict[str, Any]:
        uid, name = user
        return {"id": str(next(_ids)), "application_id": str(BOT_ID), "token": f"tok-{next(_ids)}", "version": 1,
                "attachment_size_limit": 10_485_760, "guild_id": str(GUILD_ID),
                "channel": channel or {"id": str(CHANNEL_ID), "type": 0},
                "member": {"user": user_payload(uid, name), "roles": [], "flags": 0, "joined_at": TS,
                           "permissions": str((perms or discord.Permissions.none()).value)}}

    async def slash(self, group: str, command: str, options: dict[str, Any] | None = None, *,
                    perms: discord.Permissions | None = None, user: tuple[int, str] = (7, "Alice"),
                    resolved: dict[str, Any] | None = None, wait: bool = True,
                    focused: str | None = None, channel: dict[str, Any] | None = None) -> list[WebhookCall]:
        """Deliver a slash command the way the gateway does (in the channel, or in `channel`: a thread's
        payload), and (unless `wait` is False, for a command that waits on a button) wait until the bot has
        answered."""
        if not self.started:
            await self.client._async_setup_hook()  # gives the client its loop, as login() would
            self.started = True
        before = len(self.webhook)
        self.state.parse_interaction_create(self.interaction_payload(  # type: ignore[arg-type]
            group, command, options, perms=perms, user=user, resolved=resolved, focused=focused, channel=channel))
        if wait:
            await self.settle()
        else:
            await asyncio.sleep(0.05)
        return self.webhook[before:]

    async def click(self, message: WebhookCall | Sent, custom_id: str, *, user: tuple[int, str] = (7, "Alice"),
                    channel: dict[str, Any] | None = None) -> None:
        """Press a button on a message the bot sent: a follow-up, or a message in the channel."""
        if isinstance(message, Sent):
            mid, body, flags = message.message_id, message.payload, 0
        else:
            mid, body, flags = int(message.body["id"]), message.body, 64
        payload = {**self._interaction_base(None, user, channel), "type": 3,
                   "data": {"component_type": 2, "custom_id": custom_id},
                   "message": {**_message_payload(mid, body.get("content", "")),
                               "components": body.get("components", []), "flags": flags}}
        if not self.started:
            await self.client._async_setup_hook()
            self.started = True
        self.state.parse_interaction_create(payload)  # type: ignore[arg-type]
        await asyncio.sleep(0)

    async def settle(self) -> None:
        """Wait for what discord.py started in the background: command invocations and button callbacks."""
        for _ in range(200):
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and (
                t.get_name() == "CommandTree-invoker" or "discord-ui-view-dispatch" in t.get_name()
                or "discord-ui-dynamic-item" in t.get_name())]
            if not tasks:
                return
            await asyncio.wait(tasks, timeout=10)

    def capture_webhooks(self, monkeypatch: Any) -> None:
        harness = self

        async def request(adapter: Any, route: Any, session: Any, *, payload: dict[str, Any] | None = None,
                          multipart: list[dict[str, Any]] | None = None, files: Any = None, **_kw: Any) -> Any:
            import json

            body = payload if payload is not None else json.loads(multipart[0]["value"]) if multipart else {}
            call = WebhookCall(route.method, route.path, dict(body or {}), list(files or []))
            if str(route.webhook_id) == str(STORY_HOOK_ID) and harness.webhook_deleted:
                raise discord.NotFound(MagicMock(status=404, reason="Not Found"),
                                       {"code": 10015, "message": "Unknown Webhook"})
            if str(route.webhook_id) == str(STORY_HOOK_ID):  # the story's cast, not an answer
                call.path = route.url.split("/api/v10", 1)[-1].split("?", 1)[0]
                mid = int(call.path.rsplit("/", 1)[-1]) if "/messages/" in call.path else next(_ids)
                call.body["id"] = str(mid)
                harness.voiced.append(call)
                return {**_message_payload(mid, call.body.get("content") or ""), "webhook_id": str(STORY_HOOK_ID)}
            if route.path.endswith("/callback"):
                harness.webhook.append(call)
                return {"interaction": {"id": str(next(_ids)), "type": 2, "response_message_id": str(next(_ids))}}
            mid = next(_ids)
            call.body["id"] = str(mid)
            harness.webhook.append(call)
            return {**_message_payload(mid, call.body.get("content") or ""), "flags": call.body.get("flags", 0)}

        monkeypatch.setattr(discord.webhook.async_.AsyncWebhookAdapter, "request", request)

    def answers(self) -> list[WebhookCall]:
        """Follow-ups (the answers), not the callbacks (defer, button acknowledgements)."""
        return [c for c in self.webhook if not c.path.endswith("/callback")]

    def final_texts(self) -> list[str]:
        """What each bot message shows at the end."""
        last: dict[int, str] = {}
        for call in self.calls:
            if "content" in call.payload:  # an edit of the buttons alone (the live tally) keeps the text
                last[call.message_id] = call.payload["content"]
        return list(last.values())


def _option_type(name: str, value: Any) -> int:
    if name == "user":
        return 6  # a user option: the value is their id, the user object comes in "resolved"
    return 5 if isinstance(value, bool) else 10 if isinstance(value, float) else 4 if isinstance(value, int) else 3


def _message_payload(mid: int, content: str) -> dict[str, Any]:
    return {"id": str(mid), "channel_id": str(CHANNEL_ID), "author": user_payload(BOT_ID, "Fireside", True),
            "content": content, "timestamp": TS, "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "type": 0, "pinned": False}


def build(dispatch: Any, table: CommandTable | None = None, options: DiscordOptions | None = None,
          persona_names: Any = lambda: ["sidekick", "critic"]) -> DiscordHarness:
    completions = {"personas": lambda: ["default", *persona_names()], "lorebooks": lambda: []}
    client = FiresideDiscord(dispatch, table or command_table(), completions, options or DiscordOptions())
    state = client._connection
    with contextlib.suppress(RuntimeError):  # set by login() in real life; the typing indicator needs it
        state.loop = asyncio.get_running_loop()
    state.user = discord.ClientUser(state=state, data=user_payload(BOT_ID, "Fireside", bot=True))
    state.application_id = BOT_ID
    everyone = {"id": str(GUILD_ID), "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                "hoist": False, "managed": False, "mentionable": False}
    mods = {**everyone, "id": "2", "name": "mods", "permissions": str(discord.Permissions(manage_guild=True).value),
            "position": 1}
    guild = discord.Guild(data={"id": str(GUILD_ID), "name": "G", "owner_id": str(OWNER_ID),
                                "roles": [everyone, mods], "channels": [], "members": []}, state=state)
    state._add_guild(guild)
    # The bot's own member is always cached in real life (discord/guild.py, Guild.me).
    guild._add_member(discord.Member(data={"user": user_payload(BOT_ID, "Fireside", True), "roles": [],  # type: ignore[typeddict-item]
                                           "joined_at": TS, "deaf": False, "mute": False, "flags": 0},
                                     guild=guild, state=state))
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

    async def start_thread_without_message(channel_id: int, **params: Any) -> dict[str, Any]:
        if harness.thread_error is not None:
            raise harness.thread_error
        harness.threads.append(params)
        return thread_payload(next(_ids), int(channel_id), params["name"], params["type"])

    def refused() -> discord.Forbidden:
        return discord.Forbidden(MagicMock(status=403, reason="Forbidden"),
                                 {"code": 50013, "message": "Missing Permissions"})

    async def channel_webhooks(channel_id: int) -> list[dict[str, Any]]:
        if not harness.webhooks_allowed:
            raise refused()
        return []

    async def create_webhook(channel_id: int, **params: Any) -> dict[str, Any]:
        if not harness.webhooks_allowed:
            raise refused()
        return {"id": str(STORY_HOOK_ID), "type": 1, "channel_id": str(channel_id), "guild_id": str(GUILD_ID),
                "name": params["name"], "token": "hook-token", "application_id": str(BOT_ID),
                "user": user_payload(BOT_ID, "Fireside", True)}

    state.http.channel_webhooks = channel_webhooks
    state.http.create_webhook = create_webhook
    state.http.send_message = send_message
    state.http.start_thread_without_message = start_thread_without_message
    state.http.edit_message = edit_message
    state.http.send_typing = AsyncMock(return_value=None)
    return harness


def thread_payload(thread_id: int, parent_id: int, name: str, kind: int = 11) -> dict[str, Any]:
    """A thread as Discord's API returns it (and as an interaction inside it carries its channel)."""
    return {"id": str(thread_id), "guild_id": str(GUILD_ID), "parent_id": str(parent_id), "owner_id": str(BOT_ID),
            "name": name, "type": kind, "last_message_id": None, "rate_limit_per_user": 0, "message_count": 0,
            "member_count": 1, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": TS,
                                "locked": False}}


def http_429() -> discord.HTTPException:
    response = MagicMock(status=429, reason="Too Many Requests")
    return discord.HTTPException(response, {"message": "You are being rate limited.", "retry_after": 1.0})
