"""StoryStore on Redis: the story as one JSON string, its votes as a hash and its transcript as a list, all in
the channel's slot; a small global set names the channels with a story running."""

from __future__ import annotations

from collections.abc import Iterable

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from bot.accounts import account_key
from bot.memory.keys import Keys
from bot.memory.redis import scripts
from bot.memory.redis.errors import RedisBacked
from bot.memory.redis.vote_batch import VoteBatch
from bot.story.model import Story, Suggestion, redact

STORY_TTL = 7 * 86400  # a story idle this long is gone
LOG_KEEP = 500


class RedisStoryStore(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, ttl: int = STORY_TTL) -> None:
        self._r = client
        self.keys = keys
        self.ttl = ttl
        self._tally = client.register_script(scripts.TALLY_VOTES)
        self._cast = client.register_script(scripts.CAST_VOTES)
        self._votes = VoteBatch(self._write_votes)
        self._suggest = client.register_script(scripts.SUGGEST)

    async def create(self, story: Story) -> bool:
        key = self.keys.story(story.platform, story.channel)
        if not await self._r.set(key, story.to_json(), nx=True, ex=self.ttl):
            return False
        await self._r.sadd(self.keys.stories_running(), account_key(story.platform, story.channel))
        return True

    async def load(self, platform: str, channel: str) -> Story | None:
        raw = await self._r.get(self.keys.story(platform, channel))
        return Story.from_json(str(raw)) if raw else None

    async def save(self, story: Story) -> None:
        await self._r.set(self.keys.story(story.platform, story.channel), story.to_json(), ex=self.ttl)
        running = self.keys.stories_running()
        where = account_key(story.platform, story.channel)
        if story.status == "ended":
            await self._r.srem(running, where)
        else:
            await self._r.sadd(running, where)

    async def delete(self, platform: str, channel: str) -> None:
        k = self.keys
        await self._r.delete(k.story(platform, channel), k.story_votes(platform, channel),
                             k.story_log(platform, channel), k.story_suggestions(platform, channel))
        await self._r.srem(k.stories_running(), account_key(platform, channel))

    async def vote(self, platform: str, channel: str, voter: str, choice: int) -> None:
        await self._votes.add(self.keys.story_votes(platform, channel), voter, choice)

    async def _write_votes(self, by_key: dict[str, list[tuple[str, int]]]) -> None:
        if len(by_key) == 1:  # the usual case: one busy story
            key, votes = next(iter(by_key.items()))
            await self._cast(keys=[key], args=[self.ttl, *(x for vote in votes for x in vote)])
            return
        # Several stories at once: one pipeline. EVALSHA by hand, because a pipeline given the Script object
        # asks SCRIPT EXISTS first on every execute, a second round trip each time (redis/asyncio/client.py,
        # Pipeline.load_scripts).
        for attempt in (1, 2):
            try:
                async with self._r.pipeline(transaction=False) as pipe:
                    for key, votes in by_key.items():
                        pipe.evalsha(self._cast.sha, 1, key, self.ttl, *(x for vote in votes for x in vote))
                    await pipe.execute()
                return
            except NoScriptError:
                if attempt == 2:
                    raise
                self._cast.sha = await self._r.script_load(scripts.CAST_VOTES)

    async def tally(self, platform: str, channel: str, choices: int) -> list[int]:
        counts = await self._tally(keys=[self.keys.story_votes(platform, channel)], args=[choices])
        return [int(c) for c in counts]

    async def clear_votes(self, platform: str, channel: str, take: bool = False) -> dict[str, int]:
        votes = self.keys.story_votes(platform, channel)
        if not take:
            await self._r.delete(votes, self.keys.story_suggestions(platform, channel))
            return {}
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hgetall(votes)
            pipe.delete(votes, self.keys.story_suggestions(platform, channel))
            taken, _ = await pipe.execute()
        return {voter: int(choice) for voter, choice in taken.items() if choice.isdigit()}

    async def suggest(self, platform: str, channel: str, suggestion: Suggestion, cap: int) -> bool:
        key = self.keys.story_suggestions(platform, channel)
        return bool(await self._suggest(keys=[key], args=[suggestion.account, suggestion.to_json(), cap, self.ttl]))

    async def suggestions(self, platform: str, channel: str) -> list[Suggestion]:
        raw: list[str] = await self._r.hvals(self.keys.story_suggestions(platform, channel))  # type: ignore[assignment]
        return [Suggestion.from_json(r) for r in raw]

    async def log(self, platform: str, channel: str, entry: str) -> None:
        key = self.keys.story_log(platform, channel)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.rpush(key, entry)
            pipe.ltrim(key, -LOG_KEEP, -1)
            pipe.expire(key, self.ttl)
            await pipe.execute()

    async def transcript(self, platform: str, channel: str) -> list[str]:
        raw: list[str] = await self._r.lrange(self.keys.story_log(platform, channel), 0, -1)  # type: ignore[assignment]
        return raw

    async def running(self) -> list[tuple[str, str]]:
        members: set[str] = await self._r.smembers(self.keys.stories_running())  # type: ignore[assignment]
        return sorted((m.partition(":")[0], m.partition(":")[2]) for m in members)

    async def forget(self, accounts: Iterable[str], names: Iterable[str] = ()) -> int:
        voters, named, words = sorted(set(accounts)), set(names), set[str]()
        if not voters and not named:
            return 0
        removed = 0
        async for key in self._r.scan_iter(match=self.keys.story_pattern("ideas"), count=500):
            if voters:
                mine: list[str | None] = await self._r.hmget(key, voters)  # type: ignore[assignment]
                ideas = [Suggestion.from_json(raw) for raw in mine if raw]
                named |= {i.name for i in ideas}
                words |= {i.text for i in ideas}
                removed += int(await self._r.hdel(key, *voters))
        async for key in self._r.scan_iter(match=self.keys.story_pattern("votes"), count=500):
            removed += int(await self._r.hdel(key, *voters)) if voters else 0
        async for key in self._r.scan_iter(match=self.keys.story_pattern("story"), count=500):
            raw = await self._r.get(key)
            if raw:
                story = Story.from_json(str(raw))
                their_names, their_words = story.traces_of(voters)
                named, words = named | their_names, words | their_words
                cleaned = story.without(voters, named)
                if cleaned != story:
                    await self._r.set(key, cleaned.to_json(), keepttl=True)
        names = sorted(named)
        async for key in self._r.scan_iter(match=self.keys.story_pattern("storylog"), count=500):
            entries: list[str] = await self._r.lrange(key, 0, -1)  # type: ignore[assignment]
            cleaned_entries = [redact(e, names, words) for e in entries]
            if cleaned_entries != entries:
                async with self._r.pipeline(transaction=True) as pipe:
                    pipe.delete(key)
                    pipe.rpush(key, *cleaned_entries)
                    pipe.expire(key, self.ttl)
                    await pipe.execute()
        return removed
