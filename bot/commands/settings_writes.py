"""Writing a channel (or server-wide) setting from a command, and telling the settings cache at once."""

from __future__ import annotations

from bot.commands.spec import CommandContext


async def set_setting(ctx: CommandContext, key: str, value: str | None, server_wide: bool = False) -> str:
    """Returns where it applies: "this server" or "this channel"."""
    event, memory = ctx.event, ctx.services.memory
    if server_wide and event.space is not None:
        await memory.set_space_setting(event.platform, event.space, key, value)
        where = "this server"
    else:
        await memory.set_channel_setting(event.platform, event.channel, key, value)
        where = "this channel"
    ctx.services.settings_changed(event.platform, event.channel)
    return where
