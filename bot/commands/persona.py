"""Persona commands: who speaks in a channel, the list of personas, and reloading their files."""

from __future__ import annotations

from bot.commands.settings_writes import set_setting
from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.events import ADULT_CHANNEL
from personas.loader import PersonaError
from personas.registry import slug

TABLE = CommandTable("persona")


def short(text: str, limit: int = 300) -> str:
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


@TABLE.command(
    "persona", "Who speaks in this channel; moderators can choose another",
    params=(Param("name", "a persona, or 'default'", moderator=True, complete="personas"),
            Param("server", "make it the server's default, for channels without their own", kind="flag",
                  moderator=True)),
    cooldown=10)
async def persona(ctx: CommandContext, name: str | None = None, server: bool = False) -> Answer:
    services, event = ctx.services, ctx.event
    if not name:
        settings = await services.memory.channel_settings(event.platform, event.channel, event.space)
        current = services.personas.for_channel(settings.persona)
        return Answer(f"This channel's persona is {current.persona.name} ({current.key}).")
    server_wide = server and event.space is not None
    if name.lower() == "default":
        where = await set_setting(ctx, "persona", None, server_wide)
        return Answer(f"Back to the default persona in {where}.")
    try:
        loaded = services.personas.registry.get(name)
    except PersonaError as exc:
        raise UserFacingError(short(str(exc))) from exc
    if loaded.persona.fireside.adult_only:
        settings = await services.memory.channel_settings(event.platform, event.channel, event.space)
        if server_wide or not (event.can(ADULT_CHANNEL) or settings.adult):
            raise UserFacingError(f"{loaded.persona.name} is for channels marked for adults only: choose it in an "
                                  f"age-restricted channel (Discord) or after {ctx.command('adult')} on, and per "
                                  "channel, not for the whole server.")
    where = await set_setting(ctx, "persona", slug(name), server_wide)
    return Answer(f"{loaded.persona.name} will speak in {where} from now on.")


@TABLE.command("personas", "List the personas that can speak here", cooldown=30, visibility="private")
async def personas(ctx: CommandContext) -> Answer:
    text = "Personas: " + ", ".join(ctx.services.personas.registry.names()) + "."
    return Answer(text, public=text)


@TABLE.command("reload", "Reload persona files and lorebooks", access="moderator", visibility="private")
async def reload(ctx: CommandContext) -> Answer:
    registry = ctx.services.personas.registry
    problems = registry.reload()
    loaded = len(registry.names()) - len(problems)
    if not problems:
        text = f"Reloaded {loaded} personas."
        return Answer(text, public=text)
    detail = "; ".join(f"{k}: {short(v)}" for k, v in sorted(problems.items()))
    return Answer(f"Reloaded {loaded} personas; {len(problems)} failed (the last good version stays): {detail}",
                  public=f"Reloaded {loaded} personas; {len(problems)} failed (the log says why).")
