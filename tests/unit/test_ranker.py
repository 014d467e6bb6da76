"""The ranker with the real memory embedder, on a small catalog: likes pull, dislikes push, nothing offered twice,
picks that differ from each other, the age and kind filters, and reasons that name the viewer's real likes."""

from __future__ import annotations

import pytest

from bot.memory.embedder import StaticEmbedder
from bot.recommend.catalog import parse_catalog
from bot.recommend.ranker import CatalogIndex, Ranker, Request, Taste, mood_reason

CATALOG = """id,title,kind,genres,tags,description,age_rating,popularity
celeste,Celeste,game,platformer|indie,pixel art|precision,Climb a mountain in a hard precision platformer,E10+,80
hollow,Hollow Knight,game,metroidvania|platformer,indie|dark,Explore a ruined insect kingdom with a nail,T,90
meatboy,Super Meat Boy,game,platformer|indie,precision|hard,A tough precision platformer about a meat cube,T,60
ori,Ori and the Blind Forest,game,platformer|metroidvania,beautiful,A spirit runs through a glowing forest,E,70
stardew,Stardew Valley,game,farming|life sim,cozy|relaxing,Grow crops and befriend a small town,E10+,95
crossing,Animal Crossing,game,life sim,cozy|relaxing,Decorate an island and chat with animal neighbours,E,90
doom,Doom Eternal,game,shooter|action,gore|demons,Rip and tear through hordes of demons,M,85
hades,Hades,game,roguelike|action,mythology,Fight out of the Greek underworld again and again,T,88
spirited,Spirited Away,film,animation|fantasy,ghibli,A girl works in a bathhouse for spirits,PG,95
alien,Alien,film,horror|sci-fi,space|scary,A crew is hunted by a creature aboard their ship,R,80
"""


@pytest.fixture(scope="module")
def index(embedder: StaticEmbedder) -> CatalogIndex:
    return CatalogIndex.build(parse_catalog(CATALOG.encode(), "t.csv", "t", "csv").items, embedder)


def ids(picks: list) -> list[str]:  # type: ignore[type-arg]
    return [p.item.id for p in picks]


def test_a_like_pulls_similar_items_and_the_reason_names_it(index: CatalogIndex, embedder: StaticEmbedder) -> None:
    picks = Ranker(embedder).rank(index, Request(kind="game", k=3), Taste(likes=(("Celeste", 1.0),)))
    assert "celeste" not in ids(picks)  # what they already love is not news
    assert {"meatboy", "hollow", "ori"} & set(ids(picks[:2]))
    reasons = [p for p in picks if p.because]
    assert reasons and all(p.reason == "because you told me you love Celeste" for p in reasons)


def test_dislikes_push_and_feedback_removes(index: CatalogIndex, embedder: StaticEmbedder) -> None:
    ranker = Ranker(embedder)
    cozy = Request(kind="game", mood="a cozy relaxing game", k=3)
    plain = ids(ranker.rank(index, cozy, Taste()))
    assert {"stardew", "crossing"} <= set(plain)
    after = ids(ranker.rank(index, cozy, Taste(disliked_items=("stardew",), likes=(("farming", -1.0),))))
    assert "stardew" not in after and after.index("crossing") <= plain.index("crossing")


def test_nothing_is_offered_twice(index: CatalogIndex, embedder: StaticEmbedder) -> None:
    ranker = Ranker(embedder)
    first = ids(ranker.rank(index, Request(kind="game", k=3), Taste()))
    second = ids(ranker.rank(index, Request(kind="game", k=3), Taste(offered=tuple(first))))
    assert not set(first) & set(second)


def test_the_age_limit_and_the_kind_filter(index: CatalogIndex, embedder: StaticEmbedder) -> None:
    ranker = Ranker(embedder)
    for_kids = ids(ranker.rank(index, Request(mood="demons horror gore", max_age=12, k=10), Taste()))
    assert for_kids and "doom" not in for_kids and "alien" not in for_kids and "hollow" not in for_kids  # T is 13
    films = ranker.rank(index, Request(kind="film", k=5), Taste())
    assert {p.item.kind for p in films} == {"film"}


def test_picks_differ_from_each_other(embedder: StaticEmbedder) -> None:
    # Four editions of one game, each closer to the request than anything else in the catalog.
    clones = "".join(f"rocket{n},Rocket Jumper,game,rocket jumping,,Rocket jumping rocket jumping,,90\n"
                     for n in range(4))
    index = CatalogIndex.build(parse_catalog((CATALOG + clones).encode(), "t.csv", "t", "csv").items, embedder)
    picks = ids(Ranker(embedder).rank(index, Request(kind="game", mood="rocket jumping", k=3), Taste()))
    assert len(picks) == 3 and sum(p.startswith("rocket") for p in picks) == 1  # one of them, then others


def test_what_fans_of_the_same_game_liked_is_pulled_in_and_named_as_the_reason(
        index: CatalogIndex, embedder: StaticEmbedder) -> None:
    from bot.recommend.crowd import Crowd

    # Three viewers who loved Celeste also loved Doom Eternal, which nothing in its text ties to Celeste.
    crowd = Crowd.from_ids(index.by_id, len(index.items), [["celeste", "doom"]] * 3 + [["stardew", "crossing"]])
    ranker = Ranker(embedder)
    taste = Taste(liked_items=("celeste",))
    alone = ids(ranker.rank(index, Request(kind="game", k=3), taste))
    assert "doom" not in alone
    picks = ranker.rank(index, Request(kind="game", k=3), taste, [(crowd, 1.0)])
    assert ids(picks)[0] == "doom"
    assert picks[0].reason == "3 viewers who loved Celeste, as you do, loved it too"
    assert picks[0].because == "Celeste"


def test_a_channel_that_picked_catalogs_gets_only_their_items(embedder: StaticEmbedder) -> None:
    items = parse_catalog(CATALOG.encode(), "t.csv", "t", "csv").items
    index = CatalogIndex.build(items, embedder, sources=["games" if i.kind == "game" else "films" for i in items])
    picks = Ranker(embedder).rank(index, Request(catalogs=("films",), k=3), Taste())
    assert set(ids(picks)) == {"spirited", "alien"}


@pytest.mark.parametrize("mood,reason", [
    ("something cosy and relaxing for tonight", "it's cozy and relaxing, as you asked"),
    ("any roguelikes?", "it's roguelike, as you asked"),
    ("scary sci-fi", "it's horror and sci-fi, as you asked"),
    ("a scary movie", "it's horror, as you asked"),  # "scary" is a tag of this film too: one meaning, said once
    ("something short", "it fits what you asked for: something short"),
    ("hey so I had the longest day at work and my cat is sick, anything to take my mind off it?",
     "it fits what you asked for"),
])
def test_the_request_reason_names_what_matched_and_never_echoes_a_long_line(index: CatalogIndex, mood: str,
                                                                            reason: str) -> None:
    item = {"something cosy and relaxing for tonight": "stardew", "any roguelikes?": "hades",
            "scary sci-fi": "alien", "a scary movie": "alien"}.get(mood, "celeste")
    assert mood_reason(index.items[index.by_id[item]], mood) == reason
