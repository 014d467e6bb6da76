"""Recommendation commands: a viewer asks what to play, watch or hear next, and gets picks from the operator's
catalogs, chosen for them from what they have told the bot, each with its reason."""

from __future__ import annotations

from bot.commands.settings_writes import set_setting
from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.recommend.age import AgeRatingError, age_in_years
from bot.recommend.service import Place, Viewer, rating_targets

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
    event, services = ctx.event, ctx.services
    viewer = _viewer(ctx, await services.optouts.is_out(event.platform, event.author.id))
    settings = await services.memory.channel_settings(event.platform, event.channel, event.space)
    persona = services.personas.for_channel(settings.persona).persona
    pitched = await recommender.offer(viewer, request or "", persona, Place.of(settings))
    if pitched is None:
        return Answer(f"{event.author.name}, I've nothing new to offer you there: try another kind or mood.")
    if viewer.opted_out:
        return Answer(pitched.text)  # nothing of theirs is kept, ratings neither
    if await ctx.sink.offer_ratings(event.author.id, rating_targets(pitched.picks)):
        return Answer(f"{pitched.text}\n(The buttons below tell me how I did.)")
    return Answer(f"{pitched.text} ({ctx.command('liked')} or {ctx.command('nah')} NUMBER tells me how I did.)")


WHICH = Param("which", "the number of one of your last picks, or a title", kind="text", required=True, max_length=100)


def _viewer(ctx: CommandContext, opted_out: bool) -> Viewer:
    return Viewer(ctx.event.platform, ctx.event.author.id, ctx.event.author.name, opted_out, ctx.event.channel)


async def _place(ctx: CommandContext) -> Place:
    event = ctx.event
    return Place.of(await ctx.services.memory.channel_settings(event.platform, event.channel, event.space))


@TABLE.command("liked", "Tell me a pick was a good one: more like it next time", params=(WHICH,), cooldown=1,
               visibility="private")
async def liked(ctx: CommandContext, which: str) -> Answer:
    return await _rate(ctx, which, True)


@TABLE.command("nah", "Tell me a pick missed: less like it next time", params=(WHICH,), cooldown=1,
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


@TABLE.command(
    "catalogs", "Which catalogs recommendations here come from (none given: show them)",
    params=(Param("names", "catalog names separated by spaces, or 'all'", kind="text", max_length=300),),
    access="moderator")
async def catalogs(ctx: CommandContext, names: str | None = None) -> Answer:
    recommender = ctx.services.recommender
    if recommender is None:
        raise UserFacingError("Recommendations aren't available here.")
    known = await recommender.catalogs.names()
    if names is None:
        current = (await _place(ctx)).catalogs
        text = (f"Recommending here from: {', '.join(current) if current else 'every catalog'}. "
                f"In service: {', '.join(known) or 'none yet (fireside catalog import FILE)'}.")
        return Answer(text)
    wanted = [n.strip(",") for n in names.split() if n.strip(",")]
    if [n.lower() for n in wanted] == ["all"]:
        where = await set_setting(ctx, "catalogs", None)
        return Answer(f"Recommendations in {where} come from every catalog now.")
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UserFacingError(f"No catalog named {', '.join(unknown)}. In service: {', '.join(known) or 'none'}.")
    where = await set_setting(ctx, "catalogs", ",".join(dict.fromkeys(wanted)))
    return Answer(f"Recommendations in {where} come from {', '.join(dict.fromkeys(wanted))} now.")


@TABLE.command(
    "agelimit", "The highest age rating recommended here (years, or a label such as PEGI 12, T, PG-13; 'off')",
    params=(Param("rating", "years (0 to 21), a rating label, or 'off'", required=True, max_length=20,
                  kind="text"),),
    access="moderator")
async def agelimit(ctx: CommandContext, rating: str) -> Answer:
    if rating.strip().lower() in ("off", "none", "no"):
        where = await set_setting(ctx, "max_age", None)
        return Answer(f"No age limit on recommendations in {where}.")
    try:
        years = age_in_years(rating)
    except AgeRatingError as exc:
        raise UserFacingError(str(exc)) from None
    if years is None:
        raise UserFacingError("Give years (0 to 21), a rating label such as PEGI 12, or 'off'.")
    where = await set_setting(ctx, "max_age", str(years))
    return Answer(f"Recommendations in {where} are now rated {years}+ at most.")
