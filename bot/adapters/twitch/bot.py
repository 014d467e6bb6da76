"""The Twitch bot: EventSub chat in, the command table's commands through twitchio's command framework,
replies out through the rate limiter. Every chat message is overheard into the channel's history; addressed
ones get a reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import twitchio
from twitchio import eventsub
from twitchio.ext import commands

from bot.adapters.base import Dispatch, ModeratorHooks
from bot.adapters.channel_leases import ChannelLeases, ignore_channel
from bot.adapters.twitch.polls import POLL_SCOPE, TwitchPolls
from bot.adapters.twitch.ratelimit import ChatRateLimiter
from bot.adapters.twitch.sink import ReplyDropped, TwitchReplySink
from bot.adapters.twitch.translate import is_shared_chat_copy, to_event
from bot.commands.table import CommandTable
from bot.errors import ConfigError
from bot.events import ChatEvent
from bot.memory.tokens import TokenStore
from bot.settings import TwitchSettings

log = logging.getLogger(__name__)

Ingest = Callable[[ChatEvent], None]
NAMESPACE = "fireside"


class FiresideTwitch(commands.Bot):
    def __init__(self, cfg: TwitchSettings, dispatch: Dispatch, ingest: Ingest, tokens: TokenStore,
                 table: CommandTable, limiter: ChatRateLimiter | None = None, bot_login: str = "",
                 leases: ChannelLeases | None = None) -> None:
        if not cfg.client_id or not cfg.bot_id:
            raise ConfigError("Twitch needs FIRESIDE_TWITCH__CLIENT_ID and FIRESIDE_TWITCH__BOT_ID (the bot "
                              "account's user id); run `fireside twitch login` to sign the bot in.")
        secret = cfg.client_secret.get_secret_value().strip() if cfg.client_secret else ""
        if not secret:  # twitchio would stop at login with a bare RuntimeError (ext/commands/bot.py, login)
            raise ConfigError("Twitch needs FIRESIDE_TWITCH__CLIENT_SECRET, from your application in the Twitch "
                              "developer console.")
        super().__init__(client_id=cfg.client_id, client_secret=secret, bot_id=cfg.bot_id, prefix=cfg.prefix,
                         case_insensitive=True)
        self.cfg = cfg
        self.fireside_dispatch = dispatch
        self.ingest = ingest
        self.token_store = tokens
        self.limiter = limiter or ChatRateLimiter()
        self.bot_login = bot_login.lower()
        self.elevated: dict[str, bool] = {}  # channel id -> the bot is moderator or broadcaster there
        self.moderation: ModeratorHooks | None = None  # told of deleted messages, bans and timeouts
        self._tokens_loaded = False
        self.scopes: dict[str, frozenset[str]] = {}  # user id -> the scopes their token was granted
        self.polls = TwitchPolls(self, lambda channel: POLL_SCOPE in self.scopes.get(channel, frozenset()))
        # Several replicas: each serves the channels it holds a lease on (None: this one serves them all).
        self.leases = leases
        self._lease_stop = asyncio.Event()
        self._lease_task: asyncio.Task[None] | None = None
        # One twitchio command per table entry: twitchio matches the prefix and name; permissions, cooldowns,
        # argument types and confirmation are the command runner's, as on every platform.
        for spec in table.on("twitch"):
            self.add_command(commands.Command(self._command_callback(spec.name), name=spec.name))
        # `!fireside NAME ...` reaches every command too: a channel with other bots can avoid clashes (!help,
        # !off), and `!fireside` alone lists the commands.
        self.add_command(commands.Command(self._namespaced_callback(table), name=NAMESPACE))

    def _command_callback(self, name: str) -> Callable[..., Any]:
        async def run(ctx: commands.Context[Any], *, args: str = "") -> None:
            await self._run(ctx, name, args)

        return run

    def _namespaced_callback(self, table: CommandTable) -> Callable[..., Any]:
        async def run(ctx: commands.Context[Any], *, args: str = "") -> None:
            name, _, rest = args.strip().partition(" ")
            spec = table.get(name.lower()) if name else table.get("help")
            if spec is None or not spec.on("twitch"):
                return  # silence, as for any command that isn't ours
            await self._run(ctx, spec.name, rest)

        return run

    async def _run(self, ctx: commands.Context[Any], name: str, args: str) -> None:
        message = _message(ctx)
        event = to_event(message, self.bot_id or "", self.bot_login, command=name, args=args.strip(), addressed=True)
        await self.reply(event, message)

    async def setup_hook(self) -> None:
        if (self.cfg.bot_id or "") not in self.tokens:
            # Without the bot's own user token, Twitch refuses the chat subscription with a bare 400.
            raise ConfigError(f"the bot account (FIRESIDE_TWITCH__BOT_ID={self.cfg.bot_id}) is not signed in to "
                              "Twitch, or its sign-in was revoked: run `fireside twitch login` and sign in as the "
                              "bot account.")
        if not self.bot_login:
            me = await self.fetch_users(ids=[self.cfg.bot_id or ""])
            self.bot_login = me[0].name.lower() if me and me[0].name else ""
        channels = await self.resolve_channels(self.cfg.channels)
        if self.leases is None:
            for channel_id in channels:
                await self.subscribe_channel(channel_id)
            return
        self.leases.channels = channels
        self.leases.on_gain, self.leases.on_lose = self.subscribe_channel, self.unsubscribe_channel
        await self.leases.tick()  # this replica's first share, before start-up is done
        self._lease_task = asyncio.ensure_future(self.leases.run(self._lease_stop))

    async def subscribe_channel(self, channel_id: str) -> None:
        """Subscribe to a channel's chat, and to its moderators' deletions, bans and timeouts."""
        bot_id = self.cfg.bot_id or ""
        for sub in (eventsub.ChatMessageSubscription(broadcaster_user_id=channel_id, user_id=bot_id),
                    # A moderator's deletion, ban or timeout: with the bot's own token (user:read:chat), no
                    # broadcaster token needed (channel.ban would want one: twitchio/eventsub/subscriptions.py:1269).
                    # A ban or a timeout arrives as clear_user_messages (twitchio/models/eventsub_.py:1070).
                    eventsub.ChatMessageDeleteSubscription(broadcaster_user_id=channel_id, user_id=bot_id),
                    eventsub.ChatClearUserMessagesSubscription(broadcaster_user_id=channel_id, user_id=bot_id)):
            # A 409 (Twitch has it already) is logged and swallowed by twitchio (client.py, subscribe_websocket).
            await self.subscribe_websocket(payload=sub)

    async def unsubscribe_channel(self, channel_id: str) -> None:
        """Another replica serves the channel now: drop its subscriptions. Looked up by channel at this moment,
        not remembered: twitchio resubscribes after a reconnect under new ids (eventsub/websockets.py,
        _resubscribe), so ids kept from subscribing would be stale. force=True makes twitchio forget one even
        if Twitch errs (client.py:2880, delete_websocket_subscription)."""
        ids = [sub_id for sub_id, data in self.websocket_subscriptions().items()
               if data.condition.get("broadcaster_user_id") == channel_id]
        for sub_id in ids:
            try:
                await self.delete_websocket_subscription(sub_id, force=True)
            except ValueError:
                pass  # twitchio no longer had it (its socket closed meanwhile)
            except Exception:  # force covers Twitch's refusals, not a network error: go on with the others
                log.warning("could not drop a Twitch subscription of channel %s", channel_id, exc_info=True)

    def serves(self, channel_id: str) -> bool:
        return self.leases is None or self.leases.owns(channel_id)

    async def close(self, **options: Any) -> None:
        if self._lease_task is not None and self.leases is not None:
            # Let go of the leases first, so another replica takes over at once; closing the socket below ends
            # the subscriptions, so no request per subscription on the way out.
            self.leases.on_lose = ignore_channel
            self._lease_stop.set()
            with contextlib.suppress(Exception):
                await self._lease_task
        await super().close(**options)

    async def event_message_delete(self, payload: twitchio.ChatMessageDelete) -> None:
        if self.moderation is not None and self.serves(str(payload.broadcaster.id)):
            await self.moderation.message_deleted("twitch", str(payload.broadcaster.id), str(payload.message_id))

    async def event_chat_clear_user(self, payload: twitchio.ChannelChatClearUserMessages) -> None:
        if self.moderation is not None and self.serves(str(payload.broadcaster.id)):
            await self.moderation.user_removed("twitch", str(payload.broadcaster.id), str(payload.user.id))

    async def resolve_channels(self, names: list[str]) -> list[str]:
        ids = [n for n in names if n.isdigit()]
        logins = [n.lower().lstrip("#@") for n in names if not n.isdigit()]
        if logins:
            users = await self.fetch_users(logins=logins)
            found = {u.name.lower(): u.id for u in users if u.name}
            missing = [login for login in logins if login not in found]
            if missing:
                raise ConfigError(f"FIRESIDE_TWITCH__CHANNELS: no Twitch channel named {', '.join(missing)}")
            ids.extend(found[login] for login in logins)
        return ids

    # -- tokens: Redis or a file, never .tio.tokens.json in the working directory

    @property
    def tokens_loaded(self) -> bool:
        return self._tokens_loaded

    async def load_tokens(self, path: str | None = None, /) -> None:
        """Load every stored token. A revoked or invalid one is skipped and deleted (twitchio's own loader skips
        them too; ours used to stop start-up); a Twitch outage while checking keeps it for the next start."""
        for user_id, data in (await self.token_store.load()).items():
            try:
                await self.add_token(data["token"], data["refresh"])
            except twitchio.InvalidTokenException as exc:
                # Never log the exception itself: its message, .token and .route carry the secrets.
                if exc.status not in (400, 401):  # 5xx, 429: Twitch's trouble says nothing about the token
                    log.warning("Twitch could not check the stored token of user %s now (status %s); kept it",
                                user_id, exc.status)
                    continue
                log.warning("the stored Twitch token of user %s is revoked or invalid; deleted it. Run `fireside "
                            "twitch login` to sign that account in again.", user_id)
                await self.token_store.remove(user_id)
        self._tokens_loaded = True
        await self.save_tokens()  # tokens refreshed while loading

    async def save_tokens(self, path: str | None = None, /) -> None:
        # twitchio's close() saves even when start-up failed before the tokens were loaded (client.py, close):
        # saving then would write an empty or partial map over the stored tokens.
        if not self._tokens_loaded:
            return
        await self.token_store.save({uid: {"user_id": uid, "token": data["token"], "refresh": data["refresh"]}
                                     for uid, data in self.tokens.items()})

    async def add_token(self, token: str, refresh: str) -> Any:
        resp = await super().add_token(token, refresh)
        if resp.user_id:  # the validation says which scopes the user granted (polls need channel:manage:polls)
            self.scopes[resp.user_id] = frozenset(resp.scopes)
        await self.save_tokens()  # at once: a crash must not lose a new token
        return resp

    async def event_token_refreshed(self, payload: twitchio.TokenRefreshedPayload) -> None:
        # twitchio refreshes tokens without calling add_token (authentication/tokens.py, _dispatch_event).
        await self.save_tokens()

    # -- messages

    async def event_message(self, payload: twitchio.ChatMessage) -> None:
        if not self.serves(payload.broadcaster.id):
            return  # another replica's channel (a subscription not yet dropped after a hand-off)
        if payload.chatter.id == self.bot_id:
            # The bot's own message tells us whether it is a moderator there (100 messages per 30 s).
            self.elevated[payload.broadcaster.id] = payload.chatter.moderator
            return
        if is_shared_chat_copy(payload):
            return
        text = payload.text
        if payload.reply is not None:
            # A reply's text starts with "@parent "; twitchio strips it before it looks for the prefix
            # (ext/commands/context.py, _prepare), so "!forgetme" sent as a reply is a command too.
            text = text.removeprefix(f"{payload.reply.parent_user.mention} ")
        if text.startswith(self.cfg.prefix):
            await self.process_commands(payload)
            return
        event = to_event(payload, self.bot_id or "", self.bot_login)
        if event.addressed:
            await self.reply(event, payload)
        else:
            self.ingest(event)

    async def reply(self, event: ChatEvent, message: twitchio.ChatMessage) -> None:
        await self.fireside_dispatch(event, self._sink(message.broadcaster, event.channel, reply_to=message.id))

    async def open_outlet(self, channel: str) -> TwitchReplySink:
        """A sink that posts to a channel unprompted (a story's next scene)."""
        return self._sink(self.create_partialuser(user_id=channel), channel, reply_to=None)

    def _sink(self, broadcaster: twitchio.PartialUser, channel: str, reply_to: str | None) -> TwitchReplySink:
        async def send(text: str, reply_id: str | None) -> None:
            try:
                await broadcaster.send_message(text, sender=self.bot_id or "", token_for=self.bot_id,
                                               reply_to_message_id=reply_id)
            except twitchio.MessageRejectedError as exc:  # twitchio user.py, send_message: a drop reason
                log.info("Twitch dropped a message in %s: %s (%s)", channel, exc.message, exc.code)
                raise ReplyDropped from None

        return TwitchReplySink(send, self.limiter, channel, reply_to=reply_to,
                               elevated=self.elevated.get(channel, False), stale_after=self.cfg.stale_after,
                               prefix=self.cfg.prefix, clock=self.limiter.clock)

    async def event_command_error(self, payload: commands.CommandErrorPayload) -> None:
        # A command that isn't ours (!lurk for another bot) gets silence: Twitch chat hates bot spam.
        if isinstance(payload.exception, commands.CommandNotFound):
            log.debug("not our command: %s", payload.exception)
            return
        log.error("Twitch command failed", exc_info=payload.exception)


def _message(ctx: commands.Context[Any]) -> twitchio.ChatMessage:
    message = ctx.message
    if not isinstance(message, twitchio.ChatMessage):
        raise TypeError("chat commands only")  # channel-point rewards never reach these commands
    return message
