"""StoryStore in process memory."""

from __future__ import annotations

from collections.abc import Iterable

from bot.memory.inmemory.world import World
from bot.story.model import Story


class InMemoryStoryStore:
    def __init__(self, world: World) -> None:
        self.w = world

    async def create(self, story: Story) -> bool:
        self.w.check()
        if (story.platform, story.channel) in self.w.stories:
            return False
        self.w.stories[(story.platform, story.channel)] = story.to_json()
        return True

    async def load(self, platform: str, channel: str) -> Story | None:
        self.w.check()
        raw = self.w.stories.get((platform, channel))
        return Story.from_json(raw) if raw else None

    async def save(self, story: Story) -> None:
        self.w.check()
        self.w.stories[(story.platform, story.channel)] = story.to_json()

    async def delete(self, platform: str, channel: str) -> None:
        self.w.check()
        for table in (self.w.stories, self.w.votes, self.w.story_logs):
            table.pop((platform, channel), None)

    async def vote(self, platform: str, channel: str, voter: str, choice: int) -> None:
        self.w.check()
        self.w.votes.setdefault((platform, channel), {})[voter] = choice

    async def tally(self, platform: str, channel: str, choices: int) -> list[int]:
        self.w.check()
        counts = [0] * choices
        for choice in self.w.votes.get((platform, channel), {}).values():
            if 1 <= choice <= choices:
                counts[choice - 1] += 1
        return counts

    async def clear_votes(self, platform: str, channel: str) -> None:
        self.w.check()
        self.w.votes.pop((platform, channel), None)

    async def log(self, platform: str, channel: str, entry: str) -> None:
        self.w.check()
        self.w.story_logs.setdefault((platform, channel), []).append(entry)

    async def transcript(self, platform: str, channel: str) -> list[str]:
        self.w.check()
        return list(self.w.story_logs.get((platform, channel), []))

    async def running(self) -> list[tuple[str, str]]:
        self.w.check()
        return sorted(where for where, raw in self.w.stories.items() if Story.from_json(raw).status != "ended")

    async def forget(self, accounts: Iterable[str]) -> int:
        self.w.check()
        voters, removed = set(accounts), 0
        for votes in self.w.votes.values():
            for voter in voters & set(votes):
                del votes[voter]
                removed += 1
        return removed
