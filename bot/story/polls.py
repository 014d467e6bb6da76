"""A platform's native poll as a story's ballot box (a Twitch poll): opened when a scene's choices appear, read
back when the vote closes and added to the chat votes. Any failure means chat votes alone, never a lost vote."""

from __future__ import annotations

from typing import Protocol

from bot.story.model import Choice

TITLE_CHARS, LABEL_CHARS = 60, 25  # Twitch's limits for a poll's title and each choice


class PollBooth(Protocol):
    async def open(self, channel: str, title: str, labels: tuple[str, ...], seconds: int) -> str | None:
        """Start a poll; its id, or None where a poll can't run (no permission, another poll running)."""
        ...

    async def result(self, channel: str, poll_id: str) -> list[int] | None:
        """End the poll if it still runs and return its votes per choice; None if it can't be read."""
        ...


def poll_title(scene: int) -> str:
    return _fit(f"Scene {scene}: what happens next?", TITLE_CHARS)


def poll_labels(choices: tuple[Choice, ...]) -> tuple[str, ...]:
    """Each choice's short label with its number, so chat (the full text, numbered) and the poll agree."""
    return tuple(_fit(f"{i}. {c.label}", LABEL_CHARS) for i, c in enumerate(choices, 1))


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[3:] else cut).rstrip(" ,.;:") + "…"
