"""Where a story lives: in the channel it was started in, or in a place of its own there (a Discord thread),
which the channel points to."""

from __future__ import annotations

from bot.story.store import StoryStore


async def thread_of(store: StoryStore, platform: str, channel: str) -> tuple[str, str] | None:
    """The running story started from `channel` that lives in a place of its own: (its id, how to point at it)."""
    for where_platform, where in await store.running():
        if where_platform != platform or where == channel:
            continue
        story = await store.load(platform, where)
        if story is not None and story.status != "ended" and story.extra.get("parent") == channel:
            return where, str(story.extra.get("pointer") or where)
    return None
