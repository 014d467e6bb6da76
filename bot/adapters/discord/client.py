"""The Discord client: receives messages and interactions, hands ChatEvents to the core, streams replies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands

from bot.adapters.base import Dispatch, ModeratorHooks
from bot.adapters.discord.cast import CastSink
from bot.adapters.discord.commands import Completion, build_groups, run_command
from bot.adapters.discord.ratings import RateButton
from bot.adapters.discord.sink import DiscordReplySink
from bot.adapters.discord.translate import Policy, to_event
from bot.adapters.discord.voices import Voices, WebhookVoice
from bot.adapters.discord.votes import Ballot, VoteButton, vote_view
from bot.commands.table import CommandTable
from bot.errors import ConfigError
from bot.events import PRIVATE_ANSWERS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiscordOptions:
    policy: Policy = field(default_factory=Policy)
    edit_interval: float = 1.0
    message_content: bool = False  # a privileged intent: the bot works without it
    shard_ids: list[int] | None = None
    shard_count: int | None = None
    sync_guild: int | None = None  # sync slash commands to one server at once (testing); else globally


class FiresideDiscord(discord.AutoShardedClient):
    def __init__(self, dispatch: Dispatch, table: CommandTable, completions: Mapping[str, Completion],
                 options: DiscordOptions | None = None) -> None:
        options = options or DiscordOptions()
        intents = discord.Intents.default()
        intents.message_content = options.message_content
        sharding: dict[str, object] = {}
        if options.shard_ids is not None:
            sharding["shard_ids"] = options.shard_ids
        if options.shard_count is not None:
            sharding["shard_count"] = options.shard_count
        super().__init__(
            intents=intents,
            # Merged into every send and every edit: model output never pings anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            # Long rate-limit waits raise RateLimited, so a streamed reply slows down instead of stalling.
            max_ratelimit_timeout=30.0,
            **sharding,  # type: ignore[arg-type]
        )
        self.fireside_dispatch = dispatch
        self.moderation: ModeratorHooks | None = None  # told of deleted messages
        self.table = table
        self.options = options
        self.add_dynamic_items(VoteButton, RateButton)  # story votes and ratings, also those sent before a restart
        self._threads: dict[int, discord.Thread] = {}  # story threads this process opened
        self._ballots: dict[int, Ballot] = {}  # channel id -> the open vote's buttons, for the live tally
        self.voices = Voices()  # story narrators and characters, by webhook where the bot may manage them
        self.avatar_for: Callable[[str], str | None] = lambda _name: None  # speaker -> avatar URL (run.py sets it)
        self.tree = app_commands.CommandTree(self)
        for group in build_groups(table, dispatch, completions, options.message_content):
            self.tree.add_command(group)
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]

    async def fireside_command(self, interaction: discord.Interaction, name: str, values: dict[str, Any]) -> None:
        """Run a command of the table from a button (a rating), answered to the presser alone."""
        spec = self.table.get(name)
        if spec is not None:
            await run_command(self.fireside_dispatch, interaction, spec, values, frozenset({PRIVATE_ANSWERS}))

    async def setup_hook(self) -> None:
        if self.options.sync_guild is None:
            await self.tree.sync()
            return
        guild = discord.Object(id=self.options.sync_guild)
        self.tree.copy_global_to(guild=guild)
        try:
            await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:  # 50001 Missing Access: not in that server, or no commands scope
            raise ConfigError(
                f"FIRESIDE_DISCORD__SYNC_GUILD={self.options.sync_guild}: Discord refused to register the commands "
                f"there ({exc.status} {exc.text or ''}). Invite the bot to that server with the "
                "applications.commands scope, fix the id, or unset it to sync globally."
            ) from None

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message leaves the channel's history. The raw event fires for uncached messages too, and
        needs no message content intent (discord/state.py, parse_message_delete; discord/flags.py)."""
        if self.moderation is not None:
            await self.moderation.message_deleted("discord", str(payload.channel_id), str(payload.message_id))

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self.moderation is not None:
            for message_id in payload.message_ids:
                await self.moderation.message_deleted("discord", str(payload.channel_id), str(message_id))

    async def on_message(self, message: discord.Message) -> None:
        await self.handle_message(message)

    async def handle_message(self, message: discord.Message) -> None:
        if self.user is None:
            return
        event = to_event(message, self.user, self.options.policy, self.options.message_content)
        if event is None:
            return
        # Unaddressed messages (only delivered with the message-content intent) go to the router, which
        # answers them in channels a moderator opened; the channel's cadence reaches the sink at start.
        sink = DiscordReplySink(message.channel, reply_to=message, interval=self.options.edit_interval)
        await self.fireside_dispatch(event, sink)

    async def open_thread(self, channel_id: str, title: str) -> tuple[str, str] | None:
        """A public thread for a story started in a text channel; None (the story stays in the channel) inside a
        thread already, or where the bot may not create one (Create Public Threads)."""
        channel = self.get_channel(int(channel_id)) or await self.fetch_channel(int(channel_id))
        if not isinstance(channel, discord.TextChannel):
            return None
        try:
            # Without type, create_thread with no message makes a PRIVATE thread (discord/channel.py,
            # TextChannel.create_thread: "if type is None: type = ChannelType.private_thread").
            thread = await channel.create_thread(name=title[:100], type=discord.ChannelType.public_thread,
                                                 auto_archive_duration=1440, reason="A Fireside story")
        except discord.HTTPException as exc:
            log.warning("could not open a thread for a story in #%s (%s %s): the story stays in the channel",
                        getattr(channel, "name", channel_id), exc.status, exc.text)
            return None
        # Not cached until the gateway's THREAD_CREATE arrives; the first scene may come sooner.
        self._threads[thread.id] = thread
        return str(thread.id), thread.mention

    async def open_outlet(self, channel_id: str) -> CastSink | DiscordReplySink | None:
        """A sink that posts to a channel unprompted (a story's next scene)."""
        channel = (self.get_channel(int(channel_id)) or self._threads.get(int(channel_id))
                   or await self.fetch_channel(int(channel_id)))
        if not isinstance(channel, discord.abc.Messageable):
            return None
        if isinstance(channel, discord.TextChannel | discord.Thread):  # a story's cast may speak by webhook
            return CastSink(channel, self.voices, self._scene_sink, self.user.name if self.user else "Fireside",
                            self.avatar_for)
        return self._scene_sink(channel)

    def _scene_sink(self, target: discord.abc.Messageable | WebhookVoice) -> DiscordReplySink:
        return DiscordReplySink(target, interval=self.options.edit_interval, on_ballot=self._keep_ballot)

    def _keep_ballot(self, ballot: Ballot) -> None:
        self._ballots[ballot.channel_id] = ballot

    async def show_tally(self, channel_id: str, scene: int, counts: list[int], closed: bool = False) -> None:
        """Edit the votes so far into the buttons of the scene's message (where this process posted it)."""
        ballot = self._ballots.get(int(channel_id))
        if ballot is None or ballot.scene != scene:
            return
        await ballot.message.edit(view=vote_view(ballot.labels, scene, counts, closed))
        if closed:
            self._ballots.pop(int(channel_id), None)

    async def _on_command_error(self, interaction: discord.Interaction,
                                error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):
            text = "You need the Manage Server permission for that."
        else:
            log.error("slash command failed", exc_info=error)
            text = "Sorry, that command failed on my side."
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

