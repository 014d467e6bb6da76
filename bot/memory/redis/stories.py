"""StoryStore on Redis: the story as one JSON string, its votes as a hash and its transcript as a list, all in
the channel's slot; a small global set names the channels with a story running."""

from __future__ import annotations

from collections.abc import Iterable

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, WatchError

from bot.accounts import account_key
from bot.memory.base import MemoryUnavailable
from bot.memory.keys import Keys
from bot.memory.redis import scripts
from bot.memory.redis.errors import RedisBacked
from bot.memory.redis.vote_batch import VoteBatch
from bot.memory.redis.watch_clients import WatchClients
from bot.story.model import Scrubber, Story, Suggestion, ballot, ballot_choice, quoted

STORY_TTL = 7 * 86400  # a story idle this long is gone
LOG_KEEP = 500


class RedisStoryStore(RedisBacked):
    def __init__(self, client: aioredis.Redis, keys: Keys, ttl: int = STORY_TTL,
                 watch: WatchClients | None = None) -> None:
        self._r = client
        self._watch = watch or WatchClients(client)
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

    async def vote(self, platform: str, channel: str, voter: str, choice: int, scene: int = 0) -> None:
        await self._votes.add(self.keys.story_votes(platform, channel), voter, ballot(choice, scene))

    async def _write_votes(self, by_key: dict[str, list[tuple[str, str]]]) -> None:
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
                        scripts.queue(pipe, self._cast.sha, [key], self.ttl, *(x for vote in votes for x in vote))
                    await pipe.execute()
                return
            except NoScriptError:
                if attempt == 2:
                    raise
                self._cast.sha = await self._r.script_load(scripts.CAST_VOTES)

    async def tally(self, platform: str, channel: str, choices: int, scene: int = 0) -> list[int]:
        counts = await self._tally(keys=[self.keys.story_votes(platform, channel)], args=[choices, scene])
        return [int(c) for c in counts]

    async def clear_votes(self, platform: str, channel: str, take: bool = False, scene: int = 0) -> dict[str, int]:
        votes = self.keys.story_votes(platform, channel)
        if not take:
            await self._r.delete(votes, self.keys.story_suggestions(platform, channel))
            return {}
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hgetall(votes)
            pipe.delete(votes, self.keys.story_suggestions(platform, channel))
            taken, _ = await pipe.execute()
        chosen = {voter: ballot_choice(value, scene) for voter, value in taken.items()}
        return {voter: choice for voter, choice in chosen.items() if choice is not None}

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
        voters = sorted(set(accounts))
        if not voters:
            return 0
        removed = 0
        async for key in self._r.scan_iter(match=self.keys.story_pattern("story"), count=500):
            removed += await self._forget_in(key.removesuffix(":story"), voters, set(names))
        # Votes and ideas whose story is gone (expired first) go too.
        for part in ("votes", "ideas"):
            async for key in self._r.scan_iter(match=self.keys.story_pattern(part), count=500):
                removed += int(await self._r.hdel(key, *voters))
        return removed

    async def _forget_in(self, base: str, voters: list[str], names: set[str]) -> int:
        """One story: read what these people left, and write it back scrubbed only if nothing changed meanwhile
        (WATCH): a scene saved or a line logged at the same moment is never overwritten."""
        key, votes, ideas, log = f"{base}:story", f"{base}:votes", f"{base}:ideas", f"{base}:storylog"
        for _attempt in range(10):
            async with self._watch.for_key(key).pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key, log)
                    raw = await pipe.get(key)
                    their_votes = [v for v in await pipe.hmget(votes, voters) if v]
                    their_ideas = [Suggestion.from_json(str(x)) for x in await pipe.hmget(ideas, voters) if x]
                    story = Story.from_json(str(raw)) if raw else None
                    if not their_votes and not their_ideas and (story is None or not story.took_part(voters)):
                        return 0  # not in this story: its text is left alone
                    named = names | {i.name for i in their_ideas}
                    words = {w for i in their_ideas for w in (i.text, quoted(i.text))}
                    entries = [str(e) for e in await pipe.lrange(log, 0, -1)]
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.hdel(votes, *voters)
                    pipe.hdel(ideas, *voters)
                    if story is not None:
                        their_names, their_words = story.traces_of(voters)
                        named, words = named | their_names, words | their_words
                        cleaned = story.without(voters, named, words)
                        if cleaned != story:
                            pipe.set(key, cleaned.to_json(), keepttl=True)
                    scrub = Scrubber(named, words)
                    scrubbed = [scrub(e) for e in entries]
                    if scrubbed != entries:
                        pipe.delete(log)
                        pipe.rpush(log, *scrubbed)
                        pipe.expire(log, self.ttl)
                    await pipe.execute()
                    return len(their_votes) + len(their_ideas)
                except WatchError:
                    continue
        raise MemoryUnavailable(f"could not forget in {base}: the story kept changing")
