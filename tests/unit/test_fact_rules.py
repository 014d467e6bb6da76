"""The deterministic fact rules read the common first-person shapes, and never take a fact from quoted or
reported speech, a question, a wish or a sarcasm marker; corrections and forget requests name their slot."""

from __future__ import annotations

import pytest

from bot.memory.fact_rule_types import RuleFact, RuleForget
from bot.memory.fact_rules import MAX_PER_MESSAGE, read
from bot.memory.fact_slots import slot_of


def facts(message: str) -> list[str]:
    return [i.text for i in read(message).items if isinstance(i, RuleFact)]


@pytest.mark.parametrize(("message", "expected"), [
    ("I really love Hollow Knight and rhythm games.", ["User loves Hollow Knight", "User loves rhythm games"]),
    ("I hate horror movies, they scare me.", ["User hates horror movies"]),
    ("My cat is called Pickle.", ["User's cat is called Pickle"]),
    ("ngl i can't stand pineapple on pizza", ["User hates pineapple on pizza"]),
    ("i live in new york lol", ["User lives in New York"]),
    ("I'm from Mumbai but I live in London now", ["User is from Mumbai", "User lives in London"]),
    ("im 19", ["User is 19 years old"]),
    ("I'm 29 years old and still bad at platformers", ["User is 29 years old"]),
    ("i'm a software engineer by trade", ["User works as a software engineer"]),
    ("I work as an electrician", ["User works as an electrician"]),
    ("I love football and I hate cricket", ["User loves football", "User hates cricket"]),
    ("I love Ori and the Blind Forest", ["User loves Ori and the Blind Forest"]),
    ("tetris is my favourite game tho", ["User's favourite game is tetris"]),
    ("I don't like Stardew Valley anymore, too grindy", ["User no longer likes Stardew Valley"]),
    ("I told you I love Celeste", ["User loves Celeste"]),
    ("my dog Bruno just stole my sandwich", ["User's dog is called Bruno"]),
])
def test_first_person_shapes_become_canonical_facts(message: str, expected: list[str]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize("message", [
    "my friend said 'I love horror'",  # quoted speech
    'she was like "I live in Paris" and left',
    "my friend said I love horror",  # reported speech
    "my brother thinks I'm 30",
    "my roommate says I hate Tetris lmao",
    "apparently I love pineapple pizza",
    "do you like horror?",  # questions, with and without the question mark
    "what games do I like",
    "are you from Berlin",
    "I just love it when my game crashes /s",  # sarcasm markers
    "oh great, I love lag",
    "yeah right, I love losing",
    "sure, I LOVE losing to the same boss 10 times 🙄",
    "I'd love to visit Japan one day",  # wishes and make-believe
    "if I lived in Tokyo I'd go to every arcade",
    "my students would love this stream",
    "I love you pip",  # an opinion of nobody in particular
    "I like this song",
    "I'm 100% sure",  # numbers that are not ages
    "I'm 5 minutes late",
])
def test_never_a_fact_from_quotes_reports_questions_wishes_or_sarcasm(message: str) -> None:
    assert read(message).items == []


def test_what_the_rules_cannot_read_is_left_to_the_model_and_questions_are_not() -> None:
    assert read("long shift at the hospital for me today").leftover == ["long shift at the hospital for me today"]
    assert read("what do I even do now?").leftover == []
    assert read("my friend said I love horror").leftover == []


@pytest.mark.parametrize(("message", "slots", "thing"), [
    ("forget that I like rhythm games pls", ("opinion:rhythm", "favourite:rhythm"), "rhythm games"),
    ("can you forget my age?", ("age",), None),
    ("please forget my hamster's name", ("name:hamster",), None),
    ("forget where I work please", ("job", "workplace"), None),
    ("I quit my job", ("job", "workplace"), None),
    ("I don't live in Oslo anymore", ("home",), None),
])
def test_forget_requests_and_lapses_name_their_slot(message: str, slots: tuple[str, ...], thing: str | None) -> None:
    assert read(message).items == [RuleForget(slots, thing)]


def test_forget_everything_is_left_to_the_forgetme_command() -> None:
    assert read("forget everything about me").items == []


def test_a_correction_lands_in_the_slot_of_what_it_corrects() -> None:
    pairs = [("i live in paris btw", "actually I moved to Berlin last month"), ("I'm 23", "sorry, I meant I'm 32"),
             ("My cat is called Pickle", "sorry, my cat's name is Miso not Pickle"),
             ("I love Stardew Valley", "I don't like Stardew Valley anymore")]
    for first, second in pairs:
        [a], [b] = read(first).items, read(second).items
        assert isinstance(a, RuleFact) and isinstance(b, RuleFact)
        assert a.slot == b.slot == slot_of(a.text) == slot_of(b.text), (first, second)
        assert a.text != b.text


def test_horror_and_horror_movies_are_one_opinion() -> None:
    assert slot_of("User loves horror") == slot_of("User hates horror movies") == "opinion:horror"
    assert slot_of("User loves Hollow Knight") != slot_of("User loves Hollow Knight Silksong")


def test_a_huge_list_or_message_yields_a_few_facts() -> None:
    listing = "I love " + ", ".join(f"game{i}" for i in range(500))
    assert len(read(listing).items) == MAX_PER_MESSAGE
    assert len(read("I love cats. " * 2000).items) <= MAX_PER_MESSAGE


def test_game_talk_that_starts_like_a_request_forgets_nothing() -> None:
    for message in ("remove the boss pls", "delete this level", "erase the rng", "forget it lol", "forget me not"):
        assert read(message).items == [], message
    assert read("forget about Celeste").items == [RuleForget(("opinion:celeste",), "Celeste")]
    assert read("delete what I said about Celeste").items == [RuleForget(("opinion:celeste",), "Celeste")]


@pytest.mark.parametrize(("message", "expected"), [
    ("live in austin tx, its like 40 degrees out here", ["User lives in Austin Tx"]),  # chat drops the "I"
    ("from glasgow originally", ["User is from Glasgow"]),
    ("studying graphic design at uni rn", ["User studies graphic design at uni"]),
    ("got a hamster named chonk he is v round", ["User's hamster is called Chonk"]),
    ("honestly cod is trash these days, dont even bother", ["User dislikes cod"]),  # an opinion with no "I"
    ("ramen is literally my whole personality 🍜", ["User loves ramen"]),
    ("horror movies are my fav genre hands down", ["User's favourite genre is horror movies"]),
    ("mushrooms are so slimy ew i cant stand them", ["User hates mushrooms"]),  # "them" is the subject
    ("my gf sam says hi btw", ["User's gf is called Sam"]),  # the speaker's own part of a reported sentence
    ("im 16 and my mom still thinks im 12 smh", ["User is 16 years old"]),
    ("my cats are called miso and tofu 🐱🐱", ["User's cats are called Miso and Tofu"]),
    ("i hate sushi, raw fish is nasty", ["User hates sushi", "User dislikes raw fish"]),
])
def test_the_shapes_chat_actually_uses(message: str, expected: list[str]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize("message", [
    "my brother is obsessed w fortnite its so annoying", "my dad loves country tho lol", "this game looks mid ngl",
    "the streamer is the best", "oh fantastic, i love dying to the same boss 40 times",
    "my bff keeps begging me to play valorant with her lol", "from now on I'm a lurker",
])
def test_other_people_and_the_stream_are_not_the_speaker(message: str) -> None:
    assert facts(message) == []


def test_verdicts_on_the_stream_itself_are_not_tastes() -> None:
    for message in ("the boss is trash", "that last level is mid", "the stream is the best", "ngl this run is peak"):
        assert facts(message) == [], message
