"""A story's transcript as Markdown: who told it, where, from what premise, each scene with its choices, what
the audience chose, and whose ideas were woven in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.story.model import Story


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
