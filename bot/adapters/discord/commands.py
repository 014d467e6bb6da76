"""Slash commands: /fireside for everyone and /fireside-admin for Manage Server, both thin wrappers over
the platform-neutral commands. Every command defers within Discord's 3 s and answers ephemerally."""

from __future__ import annotations

import io
from collections.abc import Callable

import discord
from discord import app_commands

from bot.adapters.base import Dispatch
from bot.events import Author, ChatEvent

NO_PINGS = discord.AllowedMentions.none()
MAX_CHOICES = 25


class InteractionSink:
    """Collects a command's answer and sends it as an ephemeral follow-up."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.parts: list[str] = []

    async def start(self, speaker: str) -> None:
        return None

    async def write(self, delta: str) -> None:
        self.parts.append(delta)

    async def finish(self) -> None:
        text = "".join(self.parts).strip() or "Done."
        if len(text) > 1900:
            # An export is longer than a message: send it as a file, still only to the asker.
            data = discord.File(io.BytesIO(text.encode("utf-8")), filename="fireside-memory.json")
            await self.interaction.followup.send("Here it is.", file=data, ephemeral=True,
                                                 allowed_mentions=NO_PINGS)
            return
        await self.interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    async def fail(self, message: str) -> None:
        await self.interaction.followup.send(message[:2000], ephemeral=True, allowed_mentions=NO_PINGS)


def interaction_roles(interaction: discord.Interaction) -> frozenset[str]:
    perms = interaction.permissions
    return frozenset({"admin"}) if perms.manage_guild or perms.administrator else frozenset()


async def run_command(dispatch: Dispatch, interaction: discord.Interaction, command: str, args: str = "") -> None:
    # Defer first: generating or touching Redis may take longer than Discord's 3 s.
    await interaction.response.defer(ephemeral=True, thinking=True)
    user = interaction.user
    event = ChatEvent(
        platform="discord", channel=str(interaction.channel_id),
        author=Author(id=str(user.id), name=user.display_name, roles=interaction_roles(interaction), is_bot=user.bot),
        text=f"/{command} {args}".strip(), command=command, args=args,
        space=str(interaction.guild_id) if interaction.guild_id else None, raw=interaction,
    )
    await dispatch(event, InteractionSink(interaction))


class UserCommands(app_commands.Group):
    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__(name="fireside", description="Talk to Fireside about what it remembers")
        self.dispatch = dispatch

    @app_commands.command(name="memory", description="What do you remember about me?")
    async def memory(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "memory")

    @app_commands.command(name="forgetme", description="Forget everything about me")
    async def forgetme(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "forgetme")

    @app_commands.command(name="persona", description="Who is speaking in this channel?")
    async def persona(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "persona")

    @app_commands.command(name="export", description="Everything Fireside keeps about you, as JSON")
    async def export(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "export")

    @app_commands.command(name="link", description="Link your Twitch account: get a code, or use one")
    @app_commands.describe(code="a code from !link on Twitch; leave empty to get a code")
    async def link(self, interaction: discord.Interaction, code: str = "") -> None:
        await run_command(self.dispatch, interaction, "link", code)

    @app_commands.command(name="unlink", description="Split this account's memory from your Twitch account")
    async def unlink(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "unlink")


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class AdminCommands(app_commands.Group):
    """Discord hides these from members without Manage Server; the checks below hold even if a server
    overrides that, and the neutral commands check again."""

    def __init__(self, dispatch: Dispatch, persona_names: Callable[[], list[str]]) -> None:
        super().__init__(name="fireside-admin", description="Run Fireside in this server")
        self.dispatch = dispatch
        self.persona_names = persona_names

    @app_commands.command(name="persona", description="Choose the persona for this channel (or the server)")
    @app_commands.describe(name="a persona name, or 'default'",
                           server="make it the server's default, for channels without their own choice")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def persona(self, interaction: discord.Interaction, name: str, server: bool = False) -> None:
        await run_command(self.dispatch, interaction, "persona", f"{name} server" if server else name)

    @persona.autocomplete("name")
    async def persona_names_complete(self, interaction: discord.Interaction,
                                     current: str) -> list[app_commands.Choice[str]]:
        names = ["default", *self.persona_names()]
        hits = [n for n in names if current.lower() in n.lower()]
        return [app_commands.Choice(name=n, value=n) for n in hits[:MAX_CHOICES]]

    @app_commands.command(name="open", description="Answer every message in this channel or thread")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def open(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "open")

    @app_commands.command(name="close", description="Answer only mentions, replies and commands here")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def close(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "close")

    @app_commands.command(name="cadence", description="Seconds between updates of a streamed reply")
    @app_commands.describe(seconds="0.5 to 10")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def cadence(self, interaction: discord.Interaction, seconds: float) -> None:
        await run_command(self.dispatch, interaction, "cadence", f"{seconds:g}")

    @app_commands.command(name="settings", description="Show this channel's effective settings")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def settings(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "settings")

    @app_commands.command(name="forget", description="Forget everything about a user")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def forget(self, interaction: discord.Interaction, user: discord.User) -> None:
        await run_command(self.dispatch, interaction, "forget", str(user.id))

    @app_commands.command(name="reload", description="Reload persona files and lorebooks")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def reload(self, interaction: discord.Interaction) -> None:
        await run_command(self.dispatch, interaction, "reload")
