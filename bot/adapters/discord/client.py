"""The Discord client: receives messages and interactions, hands ChatEvents to the core, streams replies."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import discord
from discord import app_commands

from bot.adapters.base import Dispatch
from bot.adapters.discord.commands import AdminCommands, UserCommands
from bot.adapters.discord.sink import DiscordReplySink
from bot.adapters.discord.translate import Policy, to_event
from bot.errors import ConfigError

log = logging.getLogger(__name__)

SettingsFor = Callable[[str, str, str | None], Awaitable[dict[str, str]]]


@dataclass(frozen=True)
class DiscordOptions:
    policy: Policy = field(default_factory=Policy)
    edit_interval: float = 1.0
    message_content: bool = False  # a privileged intent: the bot works without it
    shard_ids: list[int] | None = None
    shard_count: int | None = None
    sync_guild: int | None = None  # sync slash commands to one server at once (testing); else globally


class FiresideDiscord(discord.AutoShardedClient):
    def __init__(self, dispatch: Dispatch, settings_for: SettingsFor, persona_names: Callable[[], list[str]],
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
        self.settings_for = settings_for
        self.options = options
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(UserCommands(dispatch))
        self.tree.add_command(AdminCommands(dispatch, persona_names))
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]

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

    async def on_message(self, message: discord.Message) -> None:
        await self.handle_message(message)

    async def handle_message(self, message: discord.Message) -> None:
        if self.user is None:
            return
        event = to_event(message, self.user, self.options.policy)
        if event is None:
            return
        settings = await self.settings_for("discord", event.channel, event.space)
        if not event.addressed:
            if settings.get("free") != "1":
                return
            event = replace(event, addressed=True)
        interval = _float(settings.get("cadence"), self.options.edit_interval)
        sink = DiscordReplySink(message.channel, reply_to=message, interval=interval)
        await self.fireside_dispatch(event, sink)

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


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default
