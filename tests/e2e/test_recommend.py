"""Recommendations from the viewer's side, with the real memory embedder: they said what they love, they ask
in chat, and get three catalog titles with reasons; asking again brings new ones; a kind the catalogs lack gets
the kinds there are; an opted-out viewer gets picks from the request alone, with nothing stored."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.console import BufferSink
from bot.app import Fireside
from bot.events import PRIVATE_ANSWERS, Author, ChatEvent
from bot.memory.facts import Like
from bot.memory.inmemory import World
from bot.recommend.catalog import parse_catalog
from bot.recommend.service import Viewer
from tests.support.app import fireside_app
from tests.support.scripted_llm import ScriptedLLM
from tests.support.services import data_dir_with_embedder
from tests.unit.test_ranker import CATALOG

P, C = "twitch", "100"
MOD = frozenset({"moderator"})


@pytest.fixture
async def app(scripted: ScriptedLLM, world: World, tmp_path: Path) -> AsyncIterator[Fireside]:
    async with fireside_app(scripted.base_url, world=world, data_dir=data_dir_with_embedder(tmp_path / "data")) as core:
        await core.stores.catalogs.put(parse_catalog(CATALOG.encode(), "starter.csv", "starter", "csv"),
                                       "starter.csv", at=time.time())
        yield core


async def ask(app: Fireside, args: str, user: str = "7", name: str = "Ann",
              roles: frozenset[str] = frozenset()) -> BufferSink:
    sink = BufferSink()
    await app.dispatch(ChatEvent(P, C, Author(user, name, roles=roles), f"!recommend {args}", command="recommend",
                                 args=args), sink)
    return sink


def titles(text: str) -> list[str]:
    import re

    return re.findall(r"\d\. ([^(]+?) \(", text)


async def test_a_viewer_who_loves_celeste_gets_three_catalog_games_with_reasons(app: Fireside) -> None:
    uid = await app.stores.memory.claim_uid(P, "7")
    await app.stores.facts.apply(uid, [], likes=[Like("Celeste", "game", 1.0, time.time())])
    first = await ask(app, "games", roles=MOD)  # moderators skip the cooldown, so the test can ask again
    catalog_titles = {line.split(",")[1] for line in CATALOG.splitlines()[1:]}
    picked = titles(first.text)
    assert first.text.startswith("Ann, you might enjoy:") and len(picked) == 3
    assert first.text.endswith("(!liked or !nah NUMBER tells me how I did.)")
    assert set(picked) <= catalog_titles and "Celeste" not in picked  # only the catalog; not what she has
    assert "because you told me you love Celeste" in first.text
    assert all(t not in ("Spirited Away", "Alien") for t in picked)  # games only
    again = titles((await ask(app, "games", roles=MOD)).text)
    assert again and not set(again) & set(picked)  # nothing offered twice
    by_title = {line.split(",")[1]: line.split(",")[0] for line in CATALOG.splitlines()[1:]}
    offered = await app.stores.recommended.offered(uid)  # newest first, kept in her own memory
    assert set(offered) == {f"starter/{by_title[t]}" for t in picked + again} and len(offered) == 6


async def test_a_kind_the_catalog_lacks_gets_the_kinds_there_are(app: Fireside) -> None:
    said = await ask(app, "some books about dragons")
    assert said.error == "I have no books to recommend here. I can recommend: film, game."


async def test_a_mood_alone_and_an_opted_out_viewer(app: Fireside) -> None:
    await app.dispatch(ChatEvent(P, C, Author("9", "Bo"), "!optout confirm", command="optout", args="confirm"),
                       BufferSink())
    said = await ask(app, "something cozy and relaxing", user="9", name="Bo")
    assert {"Stardew Valley", "Animal Crossing"} & set(titles(said.text))
    assert await app.stores.memory.resolve_uid(P, "9") is None  # nothing stored about them


async def rate(app: Fireside, command: str, which: str, user: str = "7") -> BufferSink:
    sink = BufferSink()
    # As a moderator, who skips the 3 s cooldown: the test rates faster than a viewer may.
    await app.dispatch(ChatEvent(P, C, Author(user, "Ann", roles=MOD), f"!{command} {which}", command=command,
                                 args=which, capabilities=frozenset({PRIVATE_ANSWERS})), sink)
    return sink


async def test_a_thumbs_down_or_up_is_kept_and_shapes_the_next_picks(app: Fireside) -> None:
    assert "Ask for a recommendation first" in (await rate(app, "nah", "1")).error  # type: ignore[operator]
    first = titles((await ask(app, "games")).text)
    said = await rate(app, "nah", "2")
    assert said.text == f"Noted: less like {first[1]} from now on."
    assert (await rate(app, "liked", "spirited away")).text == "Noted: more like Spirited Away."  # by title
    uid = await app.stores.memory.resolve_uid(P, "7")
    assert uid is not None
    by_title = {line.split(",")[1]: line.split(",")[0] for line in CATALOG.splitlines()[1:]}
    assert await app.stores.recommended.ratings(uid) == {f"starter/{by_title[first[1]]}": False,
                                                         "starter/spirited": True}
    assert "numbered 1 to 3" in (await rate(app, "nah", "7")).error  # type: ignore[operator]
    assert "don't know a title" in (await rate(app, "liked", "Half-Life 3")).error  # type: ignore[operator]
    taste, _ = await app.commands.services.recommender._taste(  # type: ignore[union-attr]
        Viewer(P, "7", "Ann"))
    assert taste.disliked_items == (f"starter/{by_title[first[1]]}",) and taste.liked_items == ("starter/spirited",)


async def test_an_opted_out_viewer_is_told_no_ratings_are_kept(app: Fireside) -> None:
    await app.dispatch(ChatEvent(P, C, Author("9", "Bo"), "!optout confirm", command="optout", args="confirm"),
                       BufferSink())
    said = await rate(app, "liked", "Hades", user="9")
    assert said.error is not None and "opted out" in said.error
    assert await app.stores.memory.resolve_uid(P, "9") is None


async def test_viewers_who_share_a_like_lift_each_others_finds(app: Fireside) -> None:
    """Three viewers loved Celeste and Doom Eternal (thumbs-up); a fourth who loves Celeste gets Doom first,
    with the crowd as its reason, and their likes sit in the channel's crowd until forget takes them out."""
    doom = "starter/doom"
    for n in ("1", "2", "3"):
        uid = await app.stores.memory.claim_uid(P, n)
        await app.stores.facts.apply(uid, [], likes=[Like("Celeste", "game", 1.0, time.time())])
        await rate(app, "liked", "Doom Eternal", user=n)
    assert len(await app.stores.recommended.fans(f"{P}:{C}")) == 3
    uid = await app.stores.memory.claim_uid(P, "7")
    await app.stores.facts.apply(uid, [], likes=[Like("Celeste", "game", 1.0, time.time())])
    app.commands.services.recommender._crowds.clear()  # type: ignore[union-attr]  # skip the 30 s re-read
    said = await ask(app, "games")
    assert titles(said.text)[0] == "Doom Eternal"
    assert "3 viewers who loved Celeste, as you do, loved it too" in said.text
    assert set((await app.stores.recommended.fans("all"))[uid]) == {"starter/celeste"}  # she counts now too
    await app.commands.services.forgetter.forget(P, "1")
    assert len(await app.stores.recommended.fans(f"{P}:{C}")) == 3 and doom in str(
        await app.stores.recommended.fans("all"))


async def test_moderators_choose_the_catalogs_and_the_age_limit_of_a_channel(app: Fireside) -> None:
    await app.stores.catalogs.put(parse_catalog(b"id,title,kind\nx1,Portal 2,game\n", "more.csv", "more", "csv"),
                                  "more.csv", at=time.time())

    async def mod(command: str, args: str) -> BufferSink:
        sink = BufferSink()
        await app.dispatch(ChatEvent(P, C, Author("5", "Mo", roles=MOD), f"!{command} {args}".strip(),
                                     command=command, args=args), sink)
        return sink

    assert (await mod("catalogs", "")).text == ("Recommending here from: every catalog. "
                                                "In service: more, starter.")
    assert "No catalog named nope" in (await mod("catalogs", "nope")).error  # type: ignore[operator]
    assert (await mod("catalogs", "more")).text == "Recommendations in this channel come from more now."
    assert titles((await ask(app, "games")).text) == ["Portal 2"]
    assert "every catalog" in (await mod("catalogs", "all")).text
    assert "not a known age rating" in (await mod("agelimit", "banana")).error  # type: ignore[operator]
    assert (await mod("agelimit", "PEGI 12")).text == "Recommendations in this channel are now rated 12+ at most."
    picked = titles((await ask(app, "games something with demons and gore", roles=MOD)).text)
    assert picked and "Doom Eternal" not in picked  # rated M (17)
    assert "No age limit" in (await mod("agelimit", "off")).text
    picked = titles((await ask(app, "games something with demons and gore", user="8", name="Cy")).text)
    assert "Doom Eternal" in picked


async def test_catalog_vectors_are_cached_on_disk_by_content(app: Fireside, tmp_path: Path) -> None:
    await ask(app, "games")
    cached = list((tmp_path / "data" / "cache" / "catalog-vectors").glob("*.npy"))
    assert len(cached) == 1
    recommender = app.commands.services.recommender
    assert recommender is not None and recommender.embedder is not None
    calls: list[int] = []
    real = recommender.embedder.embed
    recommender.embedder.embed = lambda texts: calls.append(len(texts)) or real(texts)  # type: ignore[method-assign]
    recommender._index = None  # as after a restart
    await ask(app, "films", user="8")
    assert all(n < 5 for n in calls)  # the request is embedded, the catalog isn't
    cached[0].write_bytes(b"not numpy")  # a damaged cache is embedded again, never trusted
    recommender._index = None
    await ask(app, "films", user="9")
    assert max(calls) == 10


async def test_asked_in_plain_chat_the_persona_answers_from_the_catalog_in_its_voice(
        app: Fireside, scripted: ScriptedLLM) -> None:
    from collections import deque

    scripted.json_by_name["pitch"] = deque([json.dumps({"opening": "Ah, a fellow adventurer!", "picks": [
        {"key": "c1", "line": "Its forests hold secrets worth your sword."},
        {"key": "c2", "line": "A quiet, brave journey."},
        {"key": "c3", "line": "Hard, but so are you."}]})])
    sink = BufferSink()
    await app.dispatch(ChatEvent(P, C, Author("7", "Ann"),
                                 "I love fantasy games like Zelda. Can you recommend something?"), sink)
    lines = sink.text.splitlines()
    catalog_titles = {line.split(",")[1] for line in CATALOG.splitlines()[1:]}
    named = [line.split(". ", 1)[1].split(" (")[0] for line in lines[1:]]
    assert lines[0] == "Ah, a fellow adventurer!" and len(named) == 3 and set(named) <= catalog_titles
    assert lines[1].endswith("Its forests hold secrets worth your sword.")
    assert scripted.requests == []  # no free-running reply that could invent titles
    sent = scripted.json_requests[-1].body
    assert "I love fantasy games like Zelda" in sent["messages"][-1]["content"]
    uid = await app.stores.memory.resolve_uid(P, "7")
    assert uid is not None and len(await app.stores.recommended.latest(uid)) == 3  # "liked 2" works after it
    history = await app.stores.memory.load_turn(P, C, "7", None)
    assert [h.text for h in history.history][-2:] == ["I love fantasy games like Zelda. Can you recommend something?",
                                                      sink.text]


async def test_plain_chat_that_asks_for_nothing_goes_to_the_persona(app: Fireside, scripted: ScriptedLLM) -> None:
    sink = BufferSink()
    await app.dispatch(ChatEvent(P, C, Author("7", "Ann"), "I recommend Celeste to everyone"), sink)
    assert len(scripted.requests) == 1 and sink.text == "Hello there!"


async def test_a_like_said_just_before_the_ask_is_heard_at_once(app: Fireside, scripted: ScriptedLLM) -> None:
    from collections import deque

    # The fact worker batches a viewer's words for up to 15 s; an ask does not wait for the batch to fill.
    scripted.json_by_name["facts"] = deque([json.dumps({"facts": [
        {"text": "User loves Celeste", "kind": "preference", "thing": "Celeste", "category": "game",
         "strength": 1.0}]})])
    await app.dispatch(ChatEvent(P, C, Author("7", "Ann"), "@Pip I love Celeste so much"), BufferSink())
    first = await ask(app, "games")
    assert "because you told me you love Celeste" in first.text
