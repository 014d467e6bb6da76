"""StoryStore in process memory."""

from __future__ import annotations

from collections.abc import Iterable

from bot.memory.inmemory.world import World
from bot.story.model import Story, Suggestion, redact


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
        for table in (self.w.stories, self.w.votes, self.w.story_logs, self.w.suggestions):
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

    async def clear_votes(self, platform: str, channel: str, take: bool = False) -> dict[str, int]:
        self.w.check()
        self.w.suggestions.pop((platform, channel), None)
        votes = self.w.votes.pop((platform, channel), {})
        return votes if take else {}

    async def suggest(self, platform: str, channel: str, suggestion: Suggestion, cap: int) -> bool:
        self.w.check()
        kept = self.w.suggestions.setdefault((platform, channel), {})
        if suggestion.account not in kept and len(kept) >= cap:
            return False
        kept[suggestion.account] = suggestion.to_json()
        return True

    async def suggestions(self, platform: str, channel: str) -> list[Suggestion]:
        self.w.check()
        return [Suggestion.from_json(raw) for raw in self.w.suggestions.get((platform, channel), {}).values()]

    async def log(self, platform: str, channel: str, entry: str) -> None:
        self.w.check()
        self.w.story_logs.setdefault((platform, channel), []).append(entry)

    async def transcript(self, platform: str, channel: str) -> list[str]:
        self.w.check()
        return list(self.w.story_logs.get((platform, channel), []))

    async def running(self) -> list[tuple[str, str]]:
        self.w.check()
        return sorted(where for where, raw in self.w.stories.items() if Story.from_json(raw).status != "ended")

    async def forget(self, accounts: Iterable[str], names: Iterable[str] = ()) -> int:
        self.w.check()
        voters, named, words, removed = set(accounts), set(names), set[str](), 0
        for ideas in self.w.suggestions.values():
            mine = [Suggestion.from_json(raw) for voter, raw in ideas.items() if voter in voters]
            named |= {i.name for i in mine}
            words |= {i.text for i in mine}
        for raw in self.w.stories.values():
            traces = Story.from_json(raw).traces_of(voters)
            named, words = named | traces[0], words | traces[1]
        tables: list[dict[str, int] | dict[str, str]] = [*self.w.votes.values(), *self.w.suggestions.values()]
        for table in tables:
            for voter in voters & set(table):
                del table[voter]
                removed += 1
        for where, raw in self.w.stories.items():
            self.w.stories[where] = Story.from_json(raw).without(voters, named).to_json()
        for entries in self.w.story_logs.values():
            entries[:] = [redact(e, named, words) for e in entries]
        return removed
