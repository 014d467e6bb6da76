"""Recommendation commands: a viewer asks what to play, watch or hear next, and gets picks from the operator's
catalogs, chosen for them from what they have told the bot, each with its reason."""

from __future__ import annotations

from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.recommend.service import Viewer, pitch

TABLE = CommandTable("recommend")


@TABLE.command(
    "recommend", "Something to play, watch or hear next, picked from what you've told me you like",
    params=(Param("request", "a kind (game, film...) and what you're in the mood for", kind="text",
                  max_length=200),),
    cooldown=20)
async def recommend(ctx: CommandContext, request: str | None = None) -> Answer:
    recommender = ctx.services.recommender
    if recommender is None:
        raise UserFacingError("Recommendations aren't available here.")
    event = ctx.event
    viewer = _viewer(ctx, await ctx.services.optouts.is_out(event.platform, event.author.id))
    picks = await recommender.recommend(viewer, request or "")
    if not picks:
        return Answer(f"{event.author.name}, I've nothing new to offer you there: try another kind or mood.")
    return Answer(f"{pitch(picks, event.author.name)} ({ctx.command('liked')} or {ctx.command('nah')} NUMBER "
                  "tells me how I did.)")


WHICH = Param("which", "the number of one of your last picks, or a title", kind="text", required=True, max_length=100)


def _viewer(ctx: CommandContext, opted_out: bool) -> Viewer:
    return Viewer(ctx.event.platform, ctx.event.author.id, ctx.event.author.name, opted_out)


@TABLE.command("liked", "Tell me a pick was a good one: more like it next time", params=(WHICH,), cooldown=3,
               visibility="private")
async def liked(ctx: CommandContext, which: str) -> Answer:
    return await _rate(ctx, which, True)


@TABLE.command("nah", "Tell me a pick missed: less like it next time", params=(WHICH,), cooldown=3,
               visibility="private")
async def nah(ctx: CommandContext, which: str) -> Answer:
    return await _rate(ctx, which, False)


async def _rate(ctx: CommandContext, which: str, up: bool) -> Answer:
    recommender = ctx.services.recommender
    if recommender is None:
        raise UserFacingError("Recommendations aren't available here.")
    event = ctx.event
    out = await ctx.services.optouts.is_out(event.platform, event.author.id)
    item = await recommender.rate(_viewer(ctx, out), which, up)
    said = f"Noted: more like {item.title}." if up else f"Noted: less like {item.title} from now on."
    return Answer(said, public="")  # in public chat a rating is taken in silence
