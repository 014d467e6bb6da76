"""The StoryStore interface: a story's state, its votes (voter -> choice, the latest counts) and its transcript,
per channel. Votes are story state, not memory; forget still removes a person's votes from every story."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.story.model import Story, Suggestion


class StoryStore(Protocol):
    async def create(self, story: Story) -> bool:
        """Store a new story; False (and nothing written) when the channel already has one."""
        ...

    async def load(self, platform: str, channel: str) -> Story | None: ...

    async def save(self, story: Story) -> None: ...

    async def delete(self, platform: str, channel: str) -> None:
        """The story, its votes and its transcript."""
        ...

    async def vote(self, platform: str, channel: str, voter: str, choice: int, scene: int = 0) -> None:
        """Record (or change) one voter's choice, 1-based, for `scene`: a vote left over from an earlier scene
        (a crash before it was cleared) never counts for the next."""
        ...

    async def tally(self, platform: str, channel: str, choices: int, scene: int = 0) -> list[int]:
        """Votes per choice for `scene` (index 0 is choice 1), counted in one round trip however many voted."""
        ...

    async def clear_votes(self, platform: str, channel: str, take: bool = False, scene: int = 0) -> dict[str, int]:
        """Remove the votes and suggestions (at once); with `take`, return `scene`'s votes, voter -> choice
        (reading 10,000 of them costs more than the count: only for viewers' memories)."""
        ...

    async def suggest(self, platform: str, channel: str, suggestion: Suggestion, cap: int) -> bool:
        """Keep a viewer's suggestion for this scene (their latest replaces the one before); False when `cap`
        other viewers have suggested already."""
        ...

    async def suggestions(self, platform: str, channel: str) -> list[Suggestion]:
        """This scene's suggestions, in no particular order."""
        ...

    async def log(self, platform: str, channel: str, entry: str) -> None:
        """Append to the transcript."""
        ...

    async def transcript(self, platform: str, channel: str) -> list[str]: ...

    async def running(self) -> list[tuple[str, str]]:
        """(platform, channel) of every story not ended: resumed after a restart."""
        ...

    async def forget(self, accounts: Iterable[str], names: Iterable[str] = ()) -> int:
        """Remove these people from every story: their votes, suggestions and credits, and their names from its
        text and transcript. Returns how many votes and suggestions went."""
        ...
