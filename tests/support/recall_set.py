"""A fixed set of stored facts and chat messages, and how often int8 vectors pick the same top-3 facts as
float32 for them: the recall-quality check behind schema 2 (its test, and bench.memory's figure)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bot.memory.embedder import StaticEmbedder, Vectors

THINGS = ["horror films", "rhythm games", "jazz", "speedruns", "cooking", "cats", "chess", "anime", "hiking", "tea",
          "Hollow Knight", "Celeste", "metal music", "board games", "Minecraft", "sci-fi novels", "baking bread",
          "dogs", "football", "synthwave", "Dark Souls", "gardening", "photography", "Stardew Valley", "coffee",
          "lo-fi beats", "knitting", "the Witcher books", "road trips", "sushi"]
FACT_FORMS = ["User loves {}", "User has been into {} for years", "User can't stand {}", "User wants to try {}"]
OTHER_FACTS = ["User lives in Oslo", "User has a sister called Mia", "User works night shifts as a nurse",
               "User is learning Japanese", "User streams on Fridays", "User broke their arm last winter",
               "User's cat is named Pixel", "User studies physics", "User is saving up for a new PC",
               "User moved to Berlin last year"]
QUERY_FORMS = ["any good {} you'd recommend?", "I was thinking about {} again today", "do you remember what I said "
               "about {}?", "what do you think of {}", "ugh, {} again", "tell me something about {}"]
OTHER_QUERIES = ["how's the weather where I live?", "my sister says hi", "long shift at the hospital tonight",
                 "konnichiwa! practising again", "see you on stream friday", "my arm still hurts sometimes",
                 "Pixel knocked over my drink", "exam in quantum mechanics tomorrow", "GPU prices are insane",
                 "miss my old city sometimes"]


def facts() -> list[str]:
    return [form.format(thing) for thing in THINGS for form in FACT_FORMS[:2]] + OTHER_FACTS + [
        FACT_FORMS[2 + i % 2].format(thing) for i, thing in enumerate(THINGS[::3])]


def queries() -> list[str]:
    return [form.format(thing) for i, thing in enumerate(THINGS) for form in QUERY_FORMS[i % 3::3]] + OTHER_QUERIES


def top3_agreement(embedder: StaticEmbedder, roundtrip: Callable[[Vectors], Vectors]) -> float:
    """Share of queries whose three most similar facts (as a set) are the same with stored vectors passed
    through `roundtrip` as with float32."""
    exact = embedder.embed(facts())
    stored = np.stack([roundtrip(v) for v in exact])
    asked = embedder.embed(queries())
    same = 0
    for q in asked:
        same += set(np.argsort(-(exact @ q))[:3]) == set(np.argsort(-(stored @ q))[:3])
    return same / len(asked)
