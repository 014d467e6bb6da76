"""What a stored fact is about (its slot: where the user lives, their age, their cat's name, their view of one
thing), read back from its text. Facts in one slot replace each other, which is how a correction ("actually I
moved to Berlin") updates the old fact instead of adding a second one."""

from __future__ import annotations

import re

# Nouns that name a kind, not a thing: "horror" and "horror movies" are one opinion.
_GENERIC = {"movie", "movies", "film", "films", "game", "games", "video", "videos", "music", "song", "songs",
            "show", "shows", "series", "book", "books", "genre", "stuff", "things", "thing", "the", "a", "an",
            "all", "playing", "watching", "listening", "to", "eating", "reading"}

_OPINION = re.compile(
    r"^User (?:really |absolutely |also |still |totally )?(?:loves|likes|enjoys|adores|hates|dislikes|despises|"
    r"can't stand|cannot stand|no longer likes|no longer enjoys|doesn't like|does not like|is into|is a fan of|"
    r"is not a fan of|isn't into|is obsessed with)\s+(?P<x>.+?)\.?$", re.I)
_FAVOURITE = re.compile(r"^User's (?:all-time )?favou?rite (?P<x>[\w -]+?) is ", re.I)
_NAMED = re.compile(r"^User's (?P<x>[\w ]+?)(?:'s name)? is (?:called|named) ", re.I)
_HAS_NAMED = re.compile(r"^User has an? (?P<x>[\w ]+?) (?:called|named) ", re.I)
_OWN_NAME = re.compile(r"^User's name is |^User (?:is|wants to be) called ", re.I)
_PRONOUNS = re.compile(r"^User's pronouns are ", re.I)
_HOME = re.compile(r"^User (?:now )?(?:lives|is living|is based|resides) in ", re.I)
_ORIGIN = re.compile(r"^User (?:is (?:originally )?from|comes from|was born in) ", re.I)
_AGE = re.compile(r"^User is (?:\d{1,3}|[a-z]+-?[a-z]*) (?:years old|yrs old)", re.I)
_JOB = re.compile(r"^User (?:works as|is retired|is unemployed|is a student|is between jobs)", re.I)
_WORKPLACE = re.compile(r"^User works (?:at|for|in) ", re.I)
_STUDY = re.compile(r"^User (?:studies|is studying|majors in) ", re.I)
_PLAN = re.compile(r"^User (?:is going to|plans to|is planning to|has an? |is flying to|is moving to) (?P<x>.+?)$",
                   re.I)


def thing_key(thing: str) -> str:
    """"Horror movies", "the horror films" and "horror" are the same thing to hold an opinion of."""
    words = [w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")) else w
             for w in re.findall(r"[\w'+#-]+", thing.lower()) if w not in _GENERIC]
    return " ".join(words) or " ".join(re.findall(r"[\w'+#-]+", thing.lower()))


def slot_of(text: str) -> str | None:
    """The slot of a fact's text, or None when it is about something the rules don't know."""
    text = text.strip()
    if m := _FAVOURITE.match(text):
        return "favourite:" + thing_key(m.group("x"))
    if m := _OPINION.match(text):
        return "opinion:" + thing_key(m.group("x"))
    if m := _NAMED.match(text) or _HAS_NAMED.match(text):
        return "name:" + relation_key(m.group("x"))
    checks = ((_OWN_NAME, "name:self"), (_PRONOUNS, "pronouns"), (_HOME, "home"), (_ORIGIN, "origin"),
              (_AGE, "age"), (_JOB, "job"), (_WORKPLACE, "workplace"), (_STUDY, "study"))
    for pattern, slot in checks:
        if pattern.match(text):
            return slot
    if m := _PLAN.match(text):
        return "plan:" + thing_key(" ".join(m.group("x").split()[:3]))
    return None


# Words that only describe ("my fat cat") leave the slot alone; words that tell people or pets apart
# ("my older sister", "my other cat") are part of it.
_DESCRIPTIVE = {"new", "old", "fat", "lazy", "tiny", "black", "white", "orange", "grey", "gray", "cute", "sweet",
                "dumb", "silly", "beautiful", "adorable", "fluffy"}


def relation_key(relation: str) -> str:
    words = relation.lower().split()
    return " ".join(w for w in words if w not in _DESCRIPTIVE) or words[-1]
