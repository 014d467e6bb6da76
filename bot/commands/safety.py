"""Moderator commands that decide what the bot may say in a channel and whom it hears: the sites its replies
may link to, the users it ignores, how hard messages and replies are screened, and the words it blocks."""

from __future__ import annotations

from bot.commands.settings_writes import set_setting
from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.safety.content_filter import LEVELS
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


@TABLE.command("filter", "How hard messages and my replies are screened here: off, lenient, normal or strict",
               params=(Param("level", "off, lenient, normal or strict", kind="word", required=True,
                             choices=LEVELS),
                       Param("server", "for the whole server, for channels without their own", kind="flag")),
               access="moderator")
async def filter_level(ctx: CommandContext, level: str, server: bool = False) -> Answer:
    where = await set_setting(ctx, "strictness", level, server)
    return Answer(f"Screening in {where} is {level} now.")


@TABLE.command("blockwords", "Words never let through here, in messages or replies (none given: show; 'none' clears)",
               params=(Param("words", "words separated by spaces, or 'none'", kind="text", max_length=400),
                       Param("server", "for the whole server", kind="flag")),
               access="moderator", visibility="private")
async def blockwords(ctx: CommandContext, words: str | None = None, server: bool = False) -> Answer:
    event = ctx.event
    if words is None:
        current = (await ctx.services.memory.channel_settings(event.platform, event.channel, event.space)).blocked_words
        return Answer(f"Blocked here: {', '.join(current) if current else 'none beyond the bot-wide list'}.",
                      public="The blocked words are shown to moderators privately.")
    if words.strip().lower() in CLEAR:
        where = await set_setting(ctx, "blocked_words", None, server)
        return Answer(f"No extra blocked words in {where} now.", public="")
    wanted = list(dict.fromkeys(w.strip(",").lower() for w in words.split() if w.strip(",")))
    where = await set_setting(ctx, "blocked_words", ",".join(wanted), server)
    return Answer(f"{len(wanted)} words blocked in {where}.", public="")


@TABLE.command("adult", "Mark this channel for adults, so an adult-only persona may speak here (on or off)",
               params=(Param("state", "on or off", kind="word", required=True, choices=("on", "off")),),
               access="moderator",
               not_on={"discord": "Discord marks channels itself: make the channel age-restricted in its settings"})
async def adult(ctx: CommandContext, state: str) -> Answer:
    where = await set_setting(ctx, "adult", "1" if state == "on" else None)
    return Answer(f"{where[0].upper()}{where[1:]} is {'marked' if state == 'on' else 'no longer marked'} for adults.")
