"""The fact rules for opinions: "I love X", "I can't stand X", "I'm into X", "X is my favourite game", "X is my
jam", lists of things ("I love Celeste, Hades and Hollow Knight"), and "no longer" as a correction."""

from __future__ import annotations

import re

from bot.memory.fact_clauses import FIRST_PERSON
from bot.memory.fact_rule_types import RuleFact
from bot.memory.fact_slots import thing_key
from bot.memory.fact_words import ADVERBS, CATEGORY_WORDS, END, LEAD, NOT_A_THING, OBJECT

# (what follows "I", what follows "I'm", the fact's verb, the like's strength)
_OPINION_VERBS: tuple[tuple[str, str, str, float], ...] = (
    (r"(?:don't|do not|dont|don t|didn't|never) (?:really )?(?:like|enjoy|care for)|dislike|no longer (?:like|love|"
     r"enjoy)", r"not (?:a (?:big |huge )?fan of|into|fond of)|no longer into", "dislikes", -0.6),
    (r"love|adore", r"(?:so |totally )?(?:obsessed with|addicted to|in love with)", "loves", 0.9),
    (r"like|enjoy|dig", r"(?:really |so |very |kinda )?(?:into|fond of|a (?:big |huge |massive )?fan of)", "likes",
     0.6),
    (r"hate|despise|loathe|detest|(?:can't|cannot|can not|cant|can t) stand|(?:can't|cannot) bear", r"(?!)",
     "hates", -0.9),
)
OPINION = [(re.compile(rf"{LEAD}(?:i\s+{ADVERBS}(?:{verbs})|(?:i'm|im|i am)\s+{ADVERBS}(?:{be}))\s+{OBJECT}",
                        re.I), word, strength)
            for verbs, be, word, strength in _OPINION_VERBS]
_PREFIX_CATEGORY = {"playing": "game", "to play": "game", "watching": "film", "to watch": "film",
                    "listening to": "music", "to listen to": "music", "eating": "food", "to eat": "food",
                    "reading": "other", "the": "", "a": "", "an": "", "all": "", "most": ""}


def category(thing: str, hint: str = "") -> str:
    if hint:
        return hint
    for name, words in CATEGORY_WORDS:
        if re.search(rf"\b(?:{words})\b", thing, re.I):
            return name
    return "other"


def clean_thing(raw: str) -> tuple[str, str] | None:
    """(the thing, a category hint), or None when it names nothing ("I love it", "I like this")."""
    thing = re.sub(r"\bmy\b", "their", raw.strip(" '\"-:."), flags=re.I)
    hint = ""
    for prefix, cat in _PREFIX_CATEGORY.items():
        if thing.lower().startswith(prefix + " "):
            thing, hint = thing[len(prefix) + 1:].strip(), cat or hint
    words = thing.split()
    if not words or len(words) > 6 or words[0].lower() in NOT_A_THING or not re.search(r"[^\W\d_]", thing):
        return None
    if thing.lower() in NOT_A_THING:
        return None
    return thing, hint


def _split_things(obj: str) -> list[str]:
    """"Hollow Knight and rhythm games" is two things; "Ori and the Blind Forest" is one."""
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|&|or|plus)\s+(?!the\b)", obj)
    return [p for p in (p.strip() for p in parts) if p]


_VERB = re.compile(r"\b(?:is|are|was|were|be|been|being|'s|looks?|seems?|makes?|gets?)\b", re.I)
_LIST_ITEM = re.compile(r"^\s*,\s*(?:and\s+|or\s+)?(?P<item>[^,.;!?]{1,40}?)(?=\s*[,.;!?]|\s*$)")


def _list_tail(tail: str) -> list[str]:
    """The rest of a list after its first item: "I love Celeste, Hades, and Hollow Knight"."""
    items: list[str] = []
    while (m := _LIST_ITEM.match(tail)) and len(m.group("item").split()) <= 4:
        item = m.group("item").strip()
        if item.split()[0].lower() in NOT_A_THING or FIRST_PERSON.search(item) or _VERB.search(item):
            break  # "I hate sushi, raw fish is nasty": a new clause, not the list's next item
        items += _split_things(item)
        tail = tail[m.end():]
    return items


_INTERJECTION = r"(?:(?:ngl|tbh|honestly|lol|lmao|ok|okay|yeah|well|oh|also|and|but|so|btw|like|imo|fr)[,\s]+)*"
_SUBJECT = re.compile(rf"^{_INTERJECTION}(?P<np>[\w'&+#. -]{{2,40}}?)\s+(?:is|are)\b", re.I)


def opinions(clause: str) -> list[RuleFact]:
    """Every opinion in the clause: "I love football and I hate cricket" holds two."""
    no_longer = bool(re.search(r"\banymore\b|\bany more\b|\bno longer\b", clause, re.I))
    out: list[RuleFact] = []
    for pattern, verb, strength in OPINION:
        for m in pattern.finditer(clause):
            word, value = verb, strength
            if value < 0 and no_longer:
                word, value = "no longer likes", -0.3
            elif no_longer:
                continue  # "I don't love it anymore" is not "loves"
            for part in _split_things(m.group("obj")) + _list_tail(clause[m.end():]):
                if part.lower() in ("it", "them", "those", "that") and (subject := _SUBJECT.match(clause)):
                    part = subject.group("np")  # "mushrooms are so slimy, I can't stand them"
                cleaned = clean_thing(part)
                if cleaned is None:
                    continue
                thing, hint = cleaned
                out.append(RuleFact("opinion:" + thing_key(thing), f"User {word} {thing}", "preference", thing,
                                    category(thing, hint), value))
    return out


# "Cod is trash", "ramen is literally my whole personality", "kpop is my jam": an opinion with no "I".
_JUDGED = re.compile(
    rf"(?:^|,\s*){_INTERJECTION}(?P<obj>[\w'&+#. -]{{2,40}}?)\s+(?:is|are|'s)\s+(?:literally\s+|honestly\s+|"
    r"so\s+|just\s+|still\s+|lowkey\s+|totally\s+|actually\s+)*(?:(?P<good>the best\b|my (?:whole personality|"
    r"jam|jams|thing|vibe|everything|comfort \w+|life)\b|goated|the goat\b|peak\b|elite\b)|(?P<bad>trash|garbage|"
    r"overrated|overhyped|the worst\b|mid\b|gross|disgusting|nasty|a crime\b|awful|terrible|unplayable))"
    r"|(?:^|,\s*)(?P<obj2>[\w'&+#. -]{2,40}?)\s+makes? (?P<bad2>my ears bleed|me (?:sick|gag|cringe))", re.I)


_STREAM_TALK = {"streamer", "chat", "pip", "boss", "level", "stage", "run", "fight", "map", "jump", "dodge", "strat",
                "play", "stream", "game", "ending", "update", "patch", "lag", "internet", "wifi", "ping", "camera",
                "cam", "mic", "audio", "overlay", "raid", "vod", "part", "move", "build", "team", "round", "match"}


def judged(clause: str) -> list[RuleFact]:
    m = _JUDGED.search(clause)
    if m is None:
        return []
    cleaned = clean_thing(m.group("obj") or m.group("obj2"))
    if cleaned is None or cleaned[0].lower().split()[-1] in _STREAM_TALK:
        return []  # "the boss is trash", "this level is mid": talk about the stream, not a taste
    thing, hint = cleaned
    good = m.group("good") is not None
    return [RuleFact("opinion:" + thing_key(thing), f"User {'loves' if good else 'dislikes'} {thing}", "preference",
                     thing, category(thing, hint), 0.9 if good else -0.8)]


_FAVOURITE = [re.compile(p, re.I) for p in (
    r"\bmy\s+(?:all[- ]time\s+|absolute\s+|current\s+|new\s+)?(?:favou?rite|fave?)\s+(?P<cat>(?:video |board |"
    r"tv |card |mobile |indie |horror |comfort )?[\w-]+)\s+"
    rf"(?:is|has to be|=|are)\s+{OBJECT}",
    rf"^{_INTERJECTION}(?P<obj>[\w'&+#:. -]{{2,40}}?)\s+(?:is|are)\s+(?:still\s+)?my\s+(?:all[- ]time\s+|"
    r"absolute\s+)?(?:favou?rite|fave?)\s+(?P<cat>(?:video |board |tv |card |mobile |indie |horror |comfort )?"
    r"[\w-]+)" + END,
)]


def favourites(clause: str) -> list[RuleFact]:
    for pattern in _FAVOURITE:
        if (m := pattern.search(clause)) and (cleaned := clean_thing(m.group("obj"))):
            cat = m.group("cat").lower()
            thing = cleaned[0]
            hint = next((c for c, words in CATEGORY_WORDS if re.fullmatch(rf"(?:{words})", cat)), "")
            return [RuleFact("favourite:" + thing_key(cat), f"User's favourite {cat} is {thing}", "preference",
                             thing, category(thing, hint), 1.0)]
    return []
