"""The StoryStore interface: a story's state, its votes (voter -> choice, the latest counts) and its transcript,
per channel. Votes are story state, not memory; forget still removes a person's votes from every story."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.story.model import Story


class StoryStore(Protocol):
    async def create(self, story: Story) -> bool:
        """Store a new story; False (and nothing written) when the channel already has one."""
        ...

    async def load(self, platform: str, channel: str) -> Story | None: ...

    async def save(self, story: Story) -> None: ...

    async def delete(self, platform: str, channel: str) -> None:
        """The story, its votes and its transcript."""
        ...

    async def vote(self, platform: str, channel: str, voter: str, choice: int) -> None:
        """Record (or change) one voter's choice, 1-based."""
        ...

    async def tally(self, platform: str, channel: str, choices: int) -> list[int]:
        """Votes per choice (index 0 is choice 1), counted in one round trip however many voted."""
        ...

    async def clear_votes(self, platform: str, channel: str) -> None: ...

    async def log(self, platform: str, channel: str, entry: str) -> None:
        """Append to the transcript."""
        ...

    async def transcript(self, platform: str, channel: str) -> list[str]: ...

    async def running(self) -> list[tuple[str, str]]:
        """(platform, channel) of every story not ended: resumed after a restart."""
        ...

    async def forget(self, accounts: Iterable[str]) -> int:
        """Remove these voters from every story; returns the votes removed."""
        ...
