"""Story commands: a moderator starts a story (told by the channel's persona, optionally in an imported world),
viewers vote on each scene and ask for a recap, moderators pause, resume, close a vote early or end it."""

from __future__ import annotations

from bot.accounts import account_key
from bot.commands.spec import Answer, CommandContext, Param
from bot.commands.table import CommandTable
from bot.errors import UserFacingError
from bot.safety.moderation import moderate
from bot.safety.sanitize import clean_name
from bot.story.director import StoryDirector
from bot.story.model import MAX_CHOICES, SUGGESTION_CHARS, Suggestion
from personas.loader import PersonaError

TABLE = CommandTable("story")
DEFAULT_PREMISE = "An adventure begins, and the audience decides where it goes."


def _director(ctx: CommandContext) -> StoryDirector:
    if ctx.services.stories is None:
        raise UserFacingError("Stories aren't available here.")
    return ctx.services.stories


@TABLE.command(
    "story", "Start an interactive story here, told by this channel's persona",
    params=(Param("world", "an imported lorebook to set it in", complete="lorebooks"),
            Param("premise", "how it begins (default: the persona's scenario)", kind="text", max_length=300)),
    access="moderator")
async def story(ctx: CommandContext, world: str | None = None, premise: str | None = None) -> Answer:
    services, event = ctx.services, ctx.event
    registry = services.personas.registry
    if world and world.lower() not in registry.lorebook_names():
        if event.options is not None:  # chosen from a list (Discord): a wrong name is a mistake to report
            known = ", ".join(registry.lorebook_names()) or "none yet (fireside lorebook import FILE)"
            raise UserFacingError(f"There is no world named {world!r}. Imported worlds: {known}.")
        premise, world = f"{world} {premise or ''}".strip(), None  # typed: the first word began the premise
    settings = await services.memory.channel_settings(event.platform, event.channel, event.space)
    if settings.persona:  # chosen for this channel: a card that no longer loads is named, not silently replaced
        try:
            registry.get(settings.persona)
        except PersonaError as exc:
            reason = str(exc).splitlines()[0][:200]
            raise UserFacingError(f"This channel's persona {settings.persona!r} can't narrate: {reason}. Choose "
                                  f"another with {ctx.command('persona')} NAME, or fix its card.") from exc
    narrator = services.personas.for_channel(settings.persona)
    begin = premise or narrator.persona.scenario or DEFAULT_PREMISE
    title = f"{narrator.persona.name}: {world.title() if world else 'a story'}"
    _, pointer = await _director(ctx).start(event.platform, event.channel, narrator.key, begin,
                                            world.lower() if world else None,
                                            account_key(event.platform, event.author.id), title)
    where = f" in {world}" if world else ""
    there = f" It plays out in {pointer}." if pointer else ""
    return Answer(f"A story begins{where}, told by {narrator.persona.name}.{there} When the choices appear, vote "
                  f"with {ctx.command('vote')} NUMBER.")


@TABLE.command("vote", "Vote on what happens next in the story",
               params=(Param("choice", "the number of a choice", kind="integer", required=True, minimum=1,
                             maximum=MAX_CHOICES),
                       Param("scene", "the scene voted on (buttons send it; a vote for an old one is refused)",
                             kind="integer", minimum=1, maximum=1000)),
               visibility="private")
async def vote(ctx: CommandContext, choice: int, scene: int | None = None) -> Answer:
    event = ctx.event
    await _director(ctx).vote(event.platform, event.channel, account_key(event.platform, event.author.id), choice,
                              scene)
    # In public chat a vote is counted in silence: an answer per vote would flood it.
    return Answer(f"Your vote: {choice}. You can change it until the vote closes.", public="")


@TABLE.command("suggest", "Suggest what could happen next in the story; the narrator may weave it in",
               params=(Param("idea", "what should happen", kind="text", required=True,
                             max_length=SUGGESTION_CHARS),),
               cooldown=30, visibility="private")
async def suggest(ctx: CommandContext, idea: str) -> Answer:
    event = ctx.event
    text = moderate(idea, SUGGESTION_CHARS)
    await _director(ctx).suggest(event.platform, event.channel, Suggestion(
        account=account_key(event.platform, event.author.id), name=clean_name(event.author.name), text=text))
    return Answer("Noted. If the narrator takes up your idea, you'll be named in the scene.", public="")


@TABLE.command("recap", "Where the story is, and the choices open now", cooldown=20, visibility="private")
async def recap(ctx: CommandContext) -> Answer:
    text = await _director(ctx).recap(ctx.event.platform, ctx.event.channel)
    return Answer(text, public=text)


@TABLE.command("transcript", "The story here so far (or as it ended), as a Markdown file", cooldown=60,
               visibility="private",
               not_on={"twitch": "chat can't carry a file: ask on Discord, or run `fireside story transcript`"})
async def transcript(ctx: CommandContext) -> Answer:
    story, text = await _director(ctx).transcript(ctx.event.platform, ctx.event.channel)
    name = f"fireside-story-{story.world or 'chat'}-{story.id or 'story'}.md"
    if not await ctx.sink.attach(name, text):
        raise UserFacingError("I can't hand over a file here; `fireside story transcript` exports it.")
    return Answer(f"The story's transcript: {story.scene} scenes, as Markdown.")


@TABLE.command("pausestory", "Pause the story and its vote", access="moderator")
async def pause(ctx: CommandContext) -> Answer:
    await _director(ctx).pause(ctx.event.platform, ctx.event.channel)
    return Answer(f"The story is paused. {ctx.command('resumestory')} picks it up again.")


@TABLE.command("resumestory", "Resume a paused story", access="moderator")
async def resume(ctx: CommandContext) -> Answer:
    story = await _director(ctx).resume(ctx.event.platform, ctx.event.channel)
    if story.status == "writing":
        return Answer("The story resumes: the narrator tries that scene again.")
    return Answer(f"The story resumes: {round(story.deadline - _director(ctx).clock())} s left to vote.")


@TABLE.command("skipvote", "Close the story's vote now, with the votes cast so far", access="moderator")
async def skip(ctx: CommandContext) -> Answer:
    await _director(ctx).skip(ctx.event.platform, ctx.event.channel)
    return Answer("Closing the vote now.")


@TABLE.command("endstory", "End the story here", access="moderator",
               confirm="This ends the story for everyone here.")
async def end(ctx: CommandContext) -> Answer:
    story = await _director(ctx).end(ctx.event.platform, ctx.event.channel)
    return Answer(f"The story ended after {story.scene} scenes.")
