"""Privacy commands, on every platform: what Fireside remembers about you, a copy of it, erasing it, opting
out, and linking your accounts on two platforms into one memory."""

from __future__ import annotations

import json

from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.memory.identity import LinkError

TABLE = CommandTable("privacy")


def _elsewhere(ctx: CommandContext, name: str) -> str:
    """Where someone in public chat can read a private answer."""
    spec = ctx.services.table.get(name) if ctx.services.table is not None else None
    discord = ctx.services.invocation("discord", spec) if spec is not None else name
    link = ctx.command("link")
    return f"{discord} on Discord (link your accounts first: {link})"


@TABLE.command("memory", "What Fireside remembers about you", cooldown=30, visibility="private")
async def memory(ctx: CommandContext) -> Answer:
    services, event = ctx.services, ctx.event
    uid = await services.memory.resolve_uid(event.platform, event.author.id)
    profile = await services.memory.profile(uid) if uid else None
    if uid is None or profile is None:
        text = "I don't remember anything about you yet."
        return Answer(text, public=f"{event.author.name}: {text}")
    facts = (await services.facts.facts(uid))[0] if services.facts is not None else []
    if not ctx.private:
        # Public chat: how much, and where to read it, never the facts themselves.
        return Answer("", public=f"{event.author.name}: we've talked {profile.turns} times and I remember "
                                 f"{len(facts)} things about you. Read them privately with "
                                 f"{_elsewhere(ctx, 'memory')}; {ctx.command('forgetme')} erases them.")
    names = ", ".join(f"{name} on {platform}" for platform, name in sorted(profile.names.items()))
    text = f"I know you as {names}. We've talked {profile.turns} times."
    if facts:
        text += " I remember: " + "; ".join(f.text for f in facts[-10:]) + "."
    return Answer(text + f" Say {ctx.command('forgetme')} to erase it all, or {ctx.command('export')} for a copy.")


@TABLE.command("export", "Everything Fireside keeps about you, as JSON", cooldown=60, visibility="private")
async def export(ctx: CommandContext) -> Answer:
    if not ctx.private:
        return Answer("", public=f"Exports are private: use {_elsewhere(ctx, 'export')}.")
    data = await ctx.services.identity.export(ctx.event.platform, ctx.event.author.id)
    return Answer(json.dumps(data, ensure_ascii=False, indent=1))


async def _forget_author(ctx: CommandContext) -> int:
    gone = await ctx.services.forgetter.forget(ctx.event.platform, ctx.event.author.id)
    return gone.lines


@TABLE.command("forgetme", "Erase everything Fireside remembers about you", cooldown=30, visibility="private",
               confirm="This erases everything I remember about you, everywhere, for good.")
async def forgetme(ctx: CommandContext) -> Answer:
    removed = await _forget_author(ctx)
    text = f"Done: I've forgotten everything about you ({removed} chat lines removed)."
    return Answer(text, public=f"{ctx.event.author.name}: {text}")


@TABLE.command("optout", "Erase your memory and never store anything about you again", cooldown=30,
               visibility="private",
               confirm="This erases everything I remember about you and stops me remembering anything new.")
async def optout(ctx: CommandContext) -> Answer:
    await ctx.services.optouts.set(ctx.event.platform, ctx.event.author.id, True)
    removed = await _forget_author(ctx)
    text = (f"Done: I've forgotten you ({removed} chat lines removed) and won't store anything about you from now "
            f"on. Say {ctx.command('optin')} to undo.")
    return Answer(text, public=f"{ctx.event.author.name}: {text}")


@TABLE.command("optin", "Let Fireside remember you again", cooldown=30, visibility="private")
async def optin(ctx: CommandContext) -> Answer:
    await ctx.services.optouts.set(ctx.event.platform, ctx.event.author.id, False)
    text = "Welcome back: I'll remember our chats again."
    return Answer(text, public=f"{ctx.event.author.name}: {text}")


@TABLE.command("link", "Link your accounts on two platforms: get a code, or use one",
               params=(Param("code", "a code from link on your other platform; leave it out to get one",
                             max_length=20),),
               cooldown=10, visibility="private")
async def link(ctx: CommandContext, code: str | None = None) -> Answer:
    event, identity = ctx.event, ctx.services.identity
    if not code:
        if not ctx.private:
            # A code said in public chat could be used by anyone who reads it first.
            spec = ctx.spec
            return Answer("", public=f"Get a link code privately with {ctx.services.invocation('discord', spec)} on "
                                     f"Discord or the console, then type {ctx.command('link')} CODE here.")
        made = await identity.create_code(event.platform, event.author.id)
        return Answer(f"Your link code is {made}. Within 10 minutes, type it on your other platform: "
                      f"!link {made} on Twitch, or /fireside link code:{made} on Discord.")
    try:
        await identity.redeem(code, event.platform, event.author.id)
    except LinkError as exc:
        raise UserFacingError(str(exc)) from exc
    text = f"Linked: both accounts now share one memory. Say {ctx.command('unlink')} to split them again."
    return Answer(text, public=f"{event.author.name}: {text}")


@TABLE.command("unlink", "Split this account's memory from your other platform's", cooldown=30,
               visibility="private")
async def unlink(ctx: CommandContext) -> Answer:
    if await ctx.services.identity.unlink(ctx.event.platform, ctx.event.author.id):
        text = "Unlinked: this account starts a memory of its own."
    else:
        text = "This account isn't linked to another one."
    return Answer(text, public=f"{ctx.event.author.name}: {text}")
