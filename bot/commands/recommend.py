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
    viewer = Viewer(event.platform, event.author.id, event.author.name,
                    opted_out=await ctx.services.optouts.is_out(event.platform, event.author.id))
    picks = await recommender.recommend(viewer, request or "")
    if not picks:
        return Answer(f"{event.author.name}, I've nothing new to offer you there: try another kind or mood.")
    return Answer(pitch(picks, event.author.name))
