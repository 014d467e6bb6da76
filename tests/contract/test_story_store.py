"""The StoryStore contract, against Redis and the in-memory twin; and, on Redis, that counting 10,000 votes is
one round trip."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.memory.stores import Stores
from bot.story.model import Choice, Credit, Story, Suggestion, Turn
from tests.contract.conftest import Everything
from tests.support.roundtrips import RoundTrips

CHOICES = (Choice("A", "Go A."), Choice("B", "Go B."), Choice("C", "Go C."))


def story(channel: str = "100", status: str = "voting") -> Story:
    return Story(platform="twitch", channel=channel, narrator="narrator", premise="p", scene=1, choices=CHOICES,
                 status=status, deadline=100.0)  # type: ignore[arg-type]


async def test_one_story_per_channel_and_it_round_trips(stores: Stores) -> None:
    s = stores.stories
    assert await s.create(story())
    assert not await s.create(story())  # busy
    assert await s.load("twitch", "100") == story()
    await s.save(story().with_(scene=2, path=("Go A.",)))
    loaded = await s.load("twitch", "100")
    assert loaded is not None and loaded.scene == 2 and loaded.path == ("Go A.",) and loaded.choices == CHOICES
    assert await s.load("twitch", "200") is None


async def test_votes_latest_counts_and_tally(stores: Stores) -> None:
    s = stores.stories
    await s.create(story())
    for voter, choice in (("twitch:1", 1), ("twitch:2", 3), ("twitch:1", 2), ("twitch:3", 3)):
        await s.vote("twitch", "100", voter, choice)
    assert await s.tally("twitch", "100", 3) == [0, 1, 2]
    assert await s.clear_votes("twitch", "100", take=True) == {"twitch:1": 2, "twitch:2": 3, "twitch:3": 3}
    assert await s.tally("twitch", "100", 3) == [0, 0, 0]
    assert await s.clear_votes("twitch", "100", take=True) == {}
    await s.vote("twitch", "100", "twitch:1", 1)
    assert await s.clear_votes("twitch", "100") == {} and await s.tally("twitch", "100", 3) == [0, 0, 0]


async def test_running_stories_are_listed_until_they_end(stores: Stores) -> None:
    s = stores.stories
    await s.create(story("100"))
    await s.create(story("200"))
    assert await s.running() == [("twitch", "100"), ("twitch", "200")]
    await s.save(story("200", status="ended"))
    assert await s.running() == [("twitch", "100")]


async def test_transcript_and_delete(stores: Stores) -> None:
    s = stores.stories
    await s.create(story())
    await s.log("twitch", "100", "## Scene 1")
    await s.vote("twitch", "100", "twitch:1", 1)
    assert await s.transcript("twitch", "100") == ["## Scene 1"]
    await s.delete("twitch", "100")
    assert await s.load("twitch", "100") is None and await s.transcript("twitch", "100") == []
    assert await s.tally("twitch", "100", 3) == [0, 0, 0] and await s.running() == []


async def test_forget_removes_votes_everywhere(stores: Stores) -> None:
    s = stores.stories
    for channel in ("100", "200"):
        await s.create(story(channel))
        await s.vote("twitch", channel, "twitch:8", 2)
        await s.vote("twitch", channel, "twitch:9", 1)
    assert await s.forget(["twitch:8"]) == 2
    assert await s.tally("twitch", "100", 3) == [1, 0, 0] and await s.tally("twitch", "200", 3) == [1, 0, 0]


async def test_ten_thousand_votes_count_in_one_round_trip(redis_stores: Stores, raw_redis: aioredis.Redis) -> None:
    await redis_stores.stories.create(story())
    await raw_redis.hset("fs:{c:twitch:100}:votes", mapping={f"twitch:{i}": i % 3 + 1 for i in range(10_000)})
    await redis_stores.stories.tally("twitch", "100", 3)  # loads the script once
    with RoundTrips() as rt:
        counts = await redis_stores.stories.tally("twitch", "100", 3)
    assert rt.count == 1 and counts == [3334, 3333, 3333]


async def test_suggestions_latest_per_viewer_capped_and_cleared_with_the_votes(stores: Stores) -> None:
    s = stores.stories
    await s.create(story())
    assert await s.suggest("twitch", "100", Suggestion("twitch:1", "Ann", "A bear appears"), cap=2)
    assert await s.suggest("twitch", "100", Suggestion("twitch:1", "Ann", "A bear sings"), cap=2)  # replaces
    assert await s.suggest("twitch", "100", Suggestion("twitch:2", "Bo", "Rain falls"), cap=2)
    assert not await s.suggest("twitch", "100", Suggestion("twitch:3", "Cy", "Too late"), cap=2)  # full
    assert await s.suggest("twitch", "100", Suggestion("twitch:2", "Bo", "Snow falls"), cap=2)  # still theirs
    kept = sorted(await s.suggestions("twitch", "100"), key=lambda i: i.account)
    assert kept == [Suggestion("twitch:1", "Ann", "A bear sings"), Suggestion("twitch:2", "Bo", "Snow falls")]
    await s.clear_votes("twitch", "100")
    assert await s.suggestions("twitch", "100") == []


async def test_forget_leaves_nothing_of_a_viewer_in_any_story(stores: Stores, everything: Everything) -> None:
    s = stores.stories
    credited = story().with_(credits=(Credit("twitch:8", "Zelda", 1, "The bridge collapses"),
                                      Credit("twitch:9", "Bo", 1, "Rain")),
                             scene_text="Zelda's bridge collapses under the knight.",
                             turns=(Turn(1, "A viewer, «Zelda», suggests: «The bridge collapses»", "It does."),),
                             characters=("Mira", "Zelda"),
                             extra={"guest": {"account": "twitch:8", "name": "Zelda", "text": "More bridges"}})
    await s.create(credited)
    await s.create(story("200"))
    await s.vote("twitch", "100", "twitch:8", 2)
    await s.suggest("twitch", "200", Suggestion("twitch:8", "Zelda", "A dragon wakes"), cap=10)
    await s.suggest("twitch", "200", Suggestion("twitch:9", "Bo", "A boat"), cap=10)
    await s.log("twitch", "100", "*Taking up Zelda's idea: The bridge collapses*\n\nZelda's bridge collapses.")
    # No profile names the viewer (they never chatted): the story's own credits do.
    assert await s.forget(["twitch:8"]) == 2
    left = await everything.text()
    for trace in ("twitch:8", "Zelda", "The bridge collapses", "More bridges", "A dragon wakes"):
        assert trace not in left, trace
    kept = await s.load("twitch", "100")
    assert kept is not None and kept.credits == (Credit("twitch:9", "Bo", 1, "Rain"),)
    assert kept.scene_text == "a viewer's bridge collapses under the knight." and kept.characters == ("Mira",)
    assert await s.suggestions("twitch", "200") == [Suggestion("twitch:9", "Bo", "A boat")]


async def test_votes_cast_together_go_to_redis_together(redis_stores: Stores) -> None:
    import asyncio

    s = redis_stores.stories
    for channel in ("100", "200"):
        await s.create(story(channel))
    await s.vote("twitch", "100", "twitch:0", 1)  # loads the script
    burst = [("100", f"twitch:{i}", i % 3 + 1) for i in range(1, 301)]
    burst += [("200", "twitch:1", 2), ("100", "twitch:1", 3)]
    with RoundTrips() as rt:
        await asyncio.gather(*(s.vote("twitch", channel, voter, choice) for channel, voter, choice in burst))
    assert rt.count == 1  # 302 votes in two stories: one pipeline
    assert await s.tally("twitch", "100", 3) == [101, 99, 101]  # twitch:1 changed 2 -> 3 in the same batch
    assert await s.tally("twitch", "200", 3) == [0, 1, 0]


async def test_forget_leaves_unrelated_text_and_stories_alone(stores: Stores) -> None:
    s = stores.stories
    # Cat took part in story 100 (a credited idea, "cat naps"); story 200 merely has the same words.
    await s.create(story("100").with_(credits=(Credit("twitch:8", "Cat", 1, "cat naps"),),
                                      scene_text="Cat's cat naps by the location marker."))
    await s.create(story("200").with_(scene_text="A cat naps and Cat walks to a location."))
    await s.create(story("300"))
    await s.vote("twitch", "300", "twitch:5", 1)  # "a", too short to scrub, voted here
    await s.forget(["twitch:8"], ["Cat"])
    await s.forget(["twitch:5"], ["a"])
    one, two, three = [await s.load("twitch", c) for c in ("100", "200", "300")]
    assert one is not None and one.scene_text == "a viewer's … by the location marker."  # whole words only
    assert two is not None and two.scene_text == "A cat naps and Cat walks to a location."  # not in it: untouched
    assert three is not None and three.scene_text == story("300").scene_text
    assert await s.tally("twitch", "300", 3) == [0, 0, 0]


async def test_a_vote_counts_only_for_the_scene_it_was_cast_in(stores: Stores) -> None:
    s = stores.stories
    await s.create(story())
    await s.vote("twitch", "100", "twitch:1", 2, scene=1)
    await s.vote("twitch", "100", "twitch:2", 1, scene=1)
    # Left over (a crash before the votes were cleared): scene 2 starts with none of them.
    assert await s.tally("twitch", "100", 3, scene=2) == [0, 0, 0]
    await s.vote("twitch", "100", "twitch:2", 3, scene=2)
    assert await s.tally("twitch", "100", 3, scene=2) == [0, 0, 1]
    assert await s.tally("twitch", "100", 3, scene=1) == [0, 1, 0]
    assert await s.clear_votes("twitch", "100", take=True, scene=2) == {"twitch:2": 3}
