"""Moderator and admin commands: open or close a channel, switch the bot on or off, the streaming cadence,
the effective settings, forgetting a user, and the audit log of all of these."""

from __future__ import annotations

import time

from bot.commands.settings_writes import set_setting
from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.events import OPEN_CHANNELS
from bot.memory.audit import REDACTED

TABLE = CommandTable("admin")
MIN_CADENCE, MAX_CADENCE = 0.5, 10.0


@TABLE.command("open", "Answer every message in this channel or thread, not only mentions", access="moderator",
               not_on={"twitch": "Twitch chat moves too fast for a bot that answers everything: use !ask",
                       "console": "every console line is already addressed to the bot"})
async def open_(ctx: CommandContext) -> Answer:
    if not ctx.event.can(OPEN_CHANNELS):
        # Without the message-content intent Discord delivers no text of unaddressed messages: an "open"
        # channel would never hear anything.
        raise UserFacingError(
            "I can't read messages that don't mention me, so an open channel would hear nothing. Switch on the "
            "Message Content intent for the bot in the Discord Developer Portal and set "
            "FIRESIDE_DISCORD__MESSAGE_CONTENT=true, then try again. Mentions and replies work meanwhile.")
    await set_setting(ctx, "free", "1")
    return Answer("I'll join in on every message in this channel now.")


@TABLE.command("close", "Answer only mentions, replies and commands here", access="moderator",
               not_on={"twitch": "there is no open on Twitch", "console": "there is no open on the console"})
async def close(ctx: CommandContext) -> Answer:
    await set_setting(ctx, "free", None)
    return Answer("I'll only answer when I'm mentioned, replied to, or given a command here.")


@TABLE.command("on", "Switch the persona on in this channel", access="moderator")
async def switch_on(ctx: CommandContext) -> Answer:
    await set_setting(ctx, "enabled", None)
    return Answer("I'm back on in this channel.")


@TABLE.command("off", "Switch the persona off in this channel (commands still work)", access="moderator")
async def switch_off(ctx: CommandContext) -> Answer:
    await set_setting(ctx, "enabled", "0")
    return Answer(f"I'm off in this channel until a moderator says {ctx.command('on')}.")


@TABLE.command("cadence", "Seconds between updates of a streamed reply (Discord) or between replies (Twitch)",
               params=(Param("seconds", f"{MIN_CADENCE:g} to {MAX_CADENCE:g}", kind="number", required=True,
                             minimum=MIN_CADENCE, maximum=MAX_CADENCE),),
               access="moderator",
               not_on={"console": "the console prints every token as it comes; there is nothing to pace"})
async def cadence(ctx: CommandContext, seconds: float) -> Answer:
    await set_setting(ctx, "cadence", f"{seconds:g}")
    what = "Replies here will be at least" if ctx.event.platform == "twitch" else "Streamed replies here update every"
    return Answer(f"{what} {seconds:g} s{' apart' if ctx.event.platform == 'twitch' else ''}.")


@TABLE.command("settings", "This channel's effective settings", access="moderator", visibility="private")
async def settings(ctx: CommandContext) -> Answer:
    event, services = ctx.event, ctx.services
    s = await services.memory.channel_settings(event.platform, event.channel, event.space)
    persona = services.personas.for_channel(s.persona)
    answers = "every message" if s.free else "mentions, replies and commands"
    text = (f"Persona: {persona.persona.name} ({persona.key}). Switched {'on' if s.enabled else 'off'}. "
            f"Answers: {answers}. Reply cadence: {f'{s.cadence:g} s' if s.cadence else 'default'}.")
    return Answer(text, public=text)


@TABLE.command("forget", "Erase everything Fireside remembers about a user",
               params=(Param("user", "the user to forget", kind="user", required=True),),
               access="moderator", visibility="private")
async def forget(ctx: CommandContext, user: str) -> Answer:
    gone = await ctx.services.forgetter.forget(ctx.event.platform, user)
    text = f"Done: I've forgotten everything about that user ({gone.lines} chat lines removed)."
    # The audit log keeps that a moderator forgot someone, but not whom: that too is forgotten.
    return Answer(text, public=text, audit_args=REDACTED)


@TABLE.command("audit", "The latest moderator actions here: who did what, and when", access="moderator",
               visibility="private", cooldown=10)
async def audit(ctx: CommandContext) -> Answer:
    event = ctx.event
    entries = await ctx.services.audit.latest(event.platform, event.space or event.channel, limit=10)
    if not entries:
        return Answer("No moderator actions recorded here yet.", public="No moderator actions recorded here yet.")
    now = time.time()
    lines = [f"{_ago(now - e.at)}: {e.actor_name} ran {e.command}{f' ({e.args})' if e.args else ''}"
             f"{'' if e.outcome == 'ok' else f' [{e.outcome}]'}" for e in entries]
    return Answer("\n".join(lines), public="Latest: " + "; ".join(lines[:3]))


def _ago(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 129600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
