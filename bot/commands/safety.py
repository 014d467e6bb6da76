"""Moderator commands that decide what the bot may say in a channel and whom it hears: the sites its replies
may link to, and the users it ignores."""

from __future__ import annotations

from bot.commands.settings_writes import set_setting
from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.safety.links import check_link_entry

TABLE = CommandTable("safety")
CLEAR = ("none", "off", "clear")


@TABLE.command(
    "links", "Sites my replies here may link to (none given: show them; 'none' clears); others are defanged",
    params=(Param("sites", "hosts (example.org) or link prefixes (discord.gg/yours) separated by spaces, or 'none'",
                  kind="text", max_length=400),
            Param("server", "for the whole server, for channels without their own list", kind="flag")),
    access="moderator")
async def links(ctx: CommandContext, sites: str | None = None, server: bool = False) -> Answer:
    event = ctx.event
    if sites is None:
        current = (await ctx.services.memory.channel_settings(event.platform, event.channel, event.space)).links
        shown = ", ".join(current) if current else "none beyond the bot's own list"
        return Answer(f"My replies here may link to: {shown}. Any other link is defanged.")
    if sites.strip().lower() in CLEAR:
        where = await set_setting(ctx, "links", None, server)
        return Answer(f"My replies in {where} link only to the bot's own list now.")
    try:
        entries = list(dict.fromkeys(check_link_entry(s) for s in sites.replace(",", " ").split()))
    except ValueError as exc:
        raise UserFacingError(str(exc)) from None
    where = await set_setting(ctx, "links", ",".join(entries), server)
    return Answer(f"My replies in {where} may link to {', '.join(entries)} now.")


async def _ignored(ctx: CommandContext) -> frozenset[str]:
    event = ctx.event
    return (await ctx.services.memory.channel_settings(event.platform, event.channel, event.space)).ignored


@TABLE.command("ignore", "Make me ignore a user entirely here: no replies, no commands, nothing remembered",
               params=(Param("user", "the user to ignore", kind="user", required=True),), access="moderator")
async def ignore(ctx: CommandContext, user: str) -> Answer:
    if user == ctx.event.author.id:
        raise UserFacingError("You can't ignore yourself.")
    where = await set_setting(ctx, "ignored", ",".join(sorted(await _ignored(ctx) | {user})), server_wide=True)
    return Answer(f"I'll ignore that user in {where} until a moderator says {ctx.command('unignore')}.")


@TABLE.command("unignore", "Stop ignoring a user here",
               params=(Param("user", "the user to listen to again", kind="user", required=True),),
               access="moderator")
async def unignore(ctx: CommandContext, user: str) -> Answer:
    current = await _ignored(ctx)
    if user not in current:
        return Answer("I wasn't ignoring that user.")
    where = await set_setting(ctx, "ignored", ",".join(sorted(current - {user})) or None, server_wide=True)
    return Answer(f"I'm listening to that user in {where} again.")
