"""A story's transcript as Markdown: who told it, where, from what premise, each scene with its choices, what
the audience chose, and whose ideas were woven in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.errors import UserFacingError
from bot.story.model import Story
from bot.story.store import StoryStore


async def export(store: StoryStore, narrator_name: Callable[[str], str], platform: str, channel: str,
                 now: float) -> tuple[Story, str]:
    """The story in this channel (running or ended) and its transcript as Markdown."""
    story = await store.load(platform, channel)
    if story is None:
        raise UserFacingError("There is no story here to export.")
    entries = await store.transcript(platform, channel)
    return story, markdown(story, entries, narrator_name(story.narrator), now)


def markdown(story: Story, entries: Sequence[str], narrator_name: str, exported_at: float) -> str:
    world = f" in {story.world.title()}" if story.world else ""
    status = {"ended": "ended", "paused": "paused", "writing": "a scene is being written",
              "voting": "the audience is voting"}[story.status]
    lines = [f"# A story{world}, told by {narrator_name}", "",
             f"- Premise: {story.premise}",
             f"- Scenes: {story.scene} of {story.max_scenes} ({status})",
             f"- Exported: {datetime.fromtimestamp(exported_at, UTC):%Y-%m-%d %H:%M} UTC"]
    if story.path:
        lines.append("- The audience's path: " + " → ".join(story.path))
    if story.characters:
        lines.append("- Characters: " + ", ".join(story.characters))
    if story.credits:
        lines.append("- Ideas woven in: " + "; ".join(f"{c.name} (scene {c.scene})" for c in story.credits))
    lines.append("")
    lines += [entry.rstrip() + "\n" for entry in entries]
    return "\n".join(lines).rstrip() + "\n"
