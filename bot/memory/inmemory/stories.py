"""StoryStore in process memory."""

from __future__ import annotations

from collections.abc import Iterable

from bot.memory.inmemory.world import World
from bot.story.model import Scrubber, Story, Suggestion, ballot, ballot_choice, quoted


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

    async def vote(self, platform: str, channel: str, voter: str, choice: int, scene: int = 0) -> None:
        self.w.check()
        self.w.votes.setdefault((platform, channel), {})[voter] = ballot(choice, scene)

    async def tally(self, platform: str, channel: str, choices: int, scene: int = 0) -> list[int]:
        self.w.check()
        counts = [0] * choices
        for value in self.w.votes.get((platform, channel), {}).values():
            choice = ballot_choice(value, scene)
            if choice is not None and 1 <= choice <= choices:
                counts[choice - 1] += 1
        return counts

    async def clear_votes(self, platform: str, channel: str, take: bool = False, scene: int = 0) -> dict[str, int]:
        self.w.check()
        self.w.suggestions.pop((platform, channel), None)
        votes = self.w.votes.pop((platform, channel), {})
        chosen = {voter: ballot_choice(value, scene) for voter, value in votes.items()} if take else {}
        return {voter: choice for voter, choice in chosen.items() if choice is not None}

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
        voters, removed = set(accounts), 0
        if not voters:
            return 0
        for where in {*self.w.stories, *self.w.votes, *self.w.suggestions}:
            votes = self.w.votes.get(where, {})
            ideas = self.w.suggestions.get(where, {})
            their_votes = [v for v in voters if v in votes]
            their_ideas = [Suggestion.from_json(ideas[v]) for v in voters if v in ideas]
            raw = self.w.stories.get(where)
            story = Story.from_json(raw) if raw else None
            if not their_votes and not their_ideas and (story is None or not story.took_part(voters)):
                continue
            for voter in their_votes:
                del votes[voter]
            for idea in their_ideas:
                del ideas[idea.account]
            removed += len(their_votes) + len(their_ideas)
            named = set(names) | {i.name for i in their_ideas}
            words = {w for i in their_ideas for w in (i.text, quoted(i.text))}
            if story is not None:
                their_names, their_words = story.traces_of(voters)
                named, words = named | their_names, words | their_words
                self.w.stories[where] = story.without(voters, named, words).to_json()
            scrub = Scrubber(named, words)
            entries = self.w.story_logs.get(where)
            if entries:
                entries[:] = [scrub(e) for e in entries]
        return removed
