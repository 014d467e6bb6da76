"""Slash commands generated from the command table: /fireside for everyone and /fireside-admin for Manage
Server. Each defers within Discord's 3 s (ephemeral when the table says the answer is private) and hands the
typed options to the platform-neutral command runner."""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import discord
from discord import app_commands

from bot.adapters.base import Dispatch
from bot.adapters.discord.ratings import rating_view
from bot.adapters.discord.translate import for_adults
from bot.commands.spec import CommandSpec, Param
from bot.commands.table import CommandTable
from bot.events import ADULT_CHANNEL, OPEN_CHANNELS, PRIVATE_ANSWERS, Author, ChatEvent, RatingTarget
from bot.text.split import split_message

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
LIMIT = 2000
MAX_CHOICES = 25
CONFIRM_TIMEOUT = 60.0
USER_GROUP, ADMIN_GROUP = "fireside", "fireside-admin"
Completion = Callable[[], list[str]]  # the values an option may take, by a Param's `complete` source


class ConfirmView(discord.ui.View):
    """Two buttons under an ephemeral question; only the asker sees them."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.value: bool | None = None

    @discord.ui.button(label="Yes, go ahead", style=discord.ButtonStyle.danger, custom_id="fireside:confirm")
    async def yes(self, interaction: discord.Interaction, _button: discord.ui.Button[ConfirmView]) -> None:
        await self._answer(interaction, True, "Going ahead…")

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="fireside:cancel")
    async def no(self, interaction: discord.Interaction, _button: discord.ui.Button[ConfirmView]) -> None:
        await self._answer(interaction, False, "Cancelled: nothing was changed.")

    async def _answer(self, interaction: discord.Interaction, value: bool, text: str) -> None:
        self.value = value
        await interaction.response.edit_message(content=text, view=None)
        self.stop()


class InteractionSink:
    """Collects a command's answer and sends it as a follow-up (ephemeral when the command is private).
    Refusals and errors are always private, even for a public command."""

    def __init__(self, interaction: discord.Interaction, private: bool) -> None:
        self.interaction = interaction
        self.private = private
        self.parts: list[str] = []
        self.view: discord.ui.View | None = None  # rating buttons, under the last part

    async def start(self, speaker: str, cadence: float | None = None) -> None:
        self.parts.clear()

    async def write(self, delta: str) -> None:
        self.parts.append(delta)

    async def finish(self) -> None:
        text = "".join(self.parts).strip() or "Done."
        if len(text) > LIMIT and text.startswith("{"):
            # An export: a file, still only to the asker.
            data = discord.File(io.BytesIO(text.encode("utf-8")), filename="fireside-export.json")
            await self.interaction.followup.send("Here it is.", file=data, ephemeral=self.private,
                                                 allowed_mentions=NO_PINGS)
            return
        parts = split_message(text, LIMIT)
        for n, part in enumerate(parts, 1):
            extra: dict[str, Any] = {"view": self.view} if n == len(parts) and self.view is not None else {}
            await self.interaction.followup.send(part, ephemeral=self.private, allowed_mentions=NO_PINGS, **extra)

    async def fail(self, message: str) -> None:
        if not self.private and self.interaction.response.is_done():
            # The first follow-up after a public defer replaces the public "thinking" message whatever its
            # flags say (the defer decides, discord/interactions.py, InteractionResponse.defer): remove that
            # message first, so the refusal or error reaches the asker alone.
            with contextlib.suppress(discord.HTTPException):
                await self.interaction.delete_original_response()
        await self.interaction.followup.send(message[:LIMIT], ephemeral=True, allowed_mentions=NO_PINGS)

    async def offer_choices(self, labels: tuple[str, ...], scene: int) -> None:
        return None  # command answers carry no votes

    async def offer_ratings(self, for_account: str, picks: tuple[RatingTarget, ...]) -> bool:
        self.view = rating_view(for_account, picks)
        return True

    async def attach(self, filename: str, content: str) -> bool:
        data = discord.File(io.BytesIO(content.encode("utf-8")), filename=filename)
        await self.interaction.followup.send(file=data, ephemeral=self.private, allowed_mentions=NO_PINGS)
        return True

    async def confirm(self, question: str, command_hint: str) -> bool:
        view = ConfirmView(CONFIRM_TIMEOUT)
        asked = await self.interaction.followup.send(question, view=view, ephemeral=True, wait=True,
                                                     allowed_mentions=NO_PINGS)
        if await view.wait():  # True: timed out; the buttons would only say "interaction failed" now
            with contextlib.suppress(discord.HTTPException):
                await asked.edit(content="No answer: nothing was changed.", view=None)
            return False
        return bool(view.value)


def interaction_roles(interaction: discord.Interaction) -> frozenset[str]:
    perms = interaction.permissions
    return frozenset({"admin"}) if perms.manage_guild or perms.administrator else frozenset()


def neutral_value(value: Any) -> Any:
    """Discord's typed option as the command table expects it: a user becomes their account id."""
    if isinstance(value, discord.User | discord.Member | discord.Object):
        return str(value.id)
    return value


async def run_command(dispatch: Dispatch, interaction: discord.Interaction, spec: CommandSpec,
                      values: dict[str, Any], capabilities: frozenset[str]) -> None:
    # Defer first: generating or touching Redis may take longer than Discord's 3 s; the defer decides whether
    # the follow-ups are ephemeral.
    await interaction.response.defer(ephemeral=spec.private, thinking=True)
    user = interaction.user
    options = {name: neutral_value(v) for name, v in values.items() if v is not None}
    event = ChatEvent(
        platform="discord", channel=str(interaction.channel_id),
        author=Author(id=str(user.id), name=user.display_name, roles=interaction_roles(interaction), is_bot=user.bot),
        text=f"/{spec.name}", command=spec.name, options=options,
        capabilities=capabilities | ({ADULT_CHANNEL} if for_adults(interaction.channel) else set()),
        space=str(interaction.guild_id) if interaction.guild_id else None, raw=interaction,
    )
    await dispatch(event, InteractionSink(interaction, spec.private))


def annotation(param: Param) -> Any:
    """The type discord.py turns into the option's type, range or choices."""
    if param.kind == "flag":
        return bool
    if param.kind == "number":
        low = param.minimum if param.minimum is not None else -1e9
        high = param.maximum if param.maximum is not None else 1e9
        return app_commands.Range[float, low, high]
    if param.kind == "integer":
        return app_commands.Range[int, int(param.minimum or 0), int(param.maximum or 1_000_000)]
    if param.kind == "user":
        return discord.User
    if param.choices:
        return Literal[param.choices]
    return app_commands.Range[str, 1, param.max_length]


def make_command(spec: CommandSpec, params: Sequence[Param], dispatch: Dispatch,
                 capabilities: frozenset[str], completions: Mapping[str, Completion],
                 admin: bool) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any], /, **values: Any) -> None:
        await run_command(dispatch, interaction, spec, values, capabilities)

    # discord.py reads the options from the callback's signature (app_commands/commands.py,
    # _extract_parameters_from_callback); required options first, as Discord wants.
    ordered = sorted(params, key=lambda p: not p.required)
    signature = inspect.Signature([
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction),
        *(inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation(p),
                            default=inspect.Parameter.empty if p.required else (False if p.kind == "flag" else None))
          for p in ordered)])
    callback.__signature__ = signature  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        p.name: p.description[:100] for p in params}
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name, description=spec.description[:100], callback=callback)
    for p in params:
        source = completions.get(p.complete or "")
        if source is not None:
            command.autocomplete(p.name)(completer(source))
    if admin:
        # default_permissions on the group hides it from members, but Discord ignores it on subcommands and a
        # server can override it: check in code too (app_commands/checks.py, has_permissions).
        app_commands.checks.has_permissions(manage_guild=True)(command)
    return command


def completer(source: Completion) -> Callable[..., Any]:
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        hits = [n for n in source() if current.lower() in n.lower()]
        return [app_commands.Choice(name=n, value=n) for n in hits[:MAX_CHOICES]]

    return complete


def build_groups(table: CommandTable, dispatch: Dispatch, completions: Mapping[str, Completion],
                 message_content: bool) -> tuple[app_commands.Group, app_commands.Group]:
    """/fireside holds what everyone may run; /fireside-admin what takes Manage Server, including the
    moderator-only options of an everyone command (the persona to choose)."""
    user = app_commands.Group(name=USER_GROUP, description="Talk to Fireside about what it remembers")
    admin = app_commands.Group(name=ADMIN_GROUP, description="Run Fireside in this server", guild_only=True,
                               default_permissions=discord.Permissions(manage_guild=True))
    capabilities = frozenset({PRIVATE_ANSWERS, *([OPEN_CHANNELS] if message_content else [])})
    for spec in table.on("discord"):
        if spec.access == "moderator":
            admin.add_command(make_command(spec, spec.params, dispatch, capabilities, completions, admin=True))
            continue
        user.add_command(make_command(spec, spec.for_members().params, dispatch, capabilities, completions,
                                      admin=False))
        if any(p.moderator for p in spec.params):
            admin.add_command(make_command(spec, spec.for_moderators().params, dispatch, capabilities, completions,
                                           admin=True))
    return user, admin
