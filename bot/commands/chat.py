"""Chat commands: ask the persona something (Twitch's !ask), and the generated help."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError

TABLE = CommandTable("chat")


@TABLE.command(
    "ask", "Say something to the persona", params=(Param("text", "what you want to say", kind="text", required=True,
                                                         max_length=2000),),
    cooldown=15,
    not_on={"discord": "mention the bot or reply to it: that is how Discord users talk to it",
            "console": "every line typed on the console is already said to the persona"})
async def ask(ctx: CommandContext, text: str) -> Answer:
    if ctx.services.chat is None:
        raise UserFacingError("Chat isn't available here.")
    turn = replace(ctx.event, command=None, args="", options=None, text=text, addressed=True)
    await ctx.services.chat(turn, ctx.sink)
    return Answer("", spoken=True)


@TABLE.command("help", "What Fireside's commands do", cooldown=30, visibility="private")
async def help_(ctx: CommandContext) -> Answer:
    table, platform = ctx.services.table, ctx.event.platform
    specs = [s for s in (table.on(platform) if table is not None else []) if ctx.moderator or s.access == "everyone"]
    detailed = "\n".join(f"{s.usage(ctx.services.invocation(platform, s).removesuffix(s.name))}: {s.description}"
                         for s in specs)
    compact = "Commands: " + " ".join(ctx.services.invocation(platform, s) for s in specs)
    return Answer(detailed, public=compact[:450])
