"""Deterministic fact rules for the common first-person shapes of English chat: I love, like, hate or can't
stand X; my cat is called X; I live in or I'm from X; I'm N years old; I work as X; plans; their corrections and
requests to forget. They read only what `fact_clauses` leaves (no quotes, reported speech, questions, wishes or
sarcasm), cost no model call, and write each fact in one canonical form that `fact_slots` reads back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.memory.fact_clauses import FIRST_PERSON as _FIRST_PERSON
from bot.memory.fact_clauses import question, read_clauses
from bot.memory.fact_slots import relation_key, slot_of, thing_key
from bot.memory.fact_words import (
    ADJ,
    CATEGORY_WORDS,
    JOBS,
    NOT_A_PLACE,
    NOT_A_THING,
    PEOPLE,
    REL,
    SHORT_UPPER,
)

_LEAD = r"(?:^|[,;:]\s*|\b(?:told you|said|say|mentioned|meant|mean)\s+(?:that\s+)?|" \
        r"\b(?:and|so|also|honestly|ngl|tbh|lol|lmao|omg|actually|well|yeah|yes|oh|because|cause|cuz|" \
        r"plus|now|but|like|ok|okay|still|update|correction|sorry|oops|wait|hey|hi|hello|chat|guys|btw|fyi)\s+)"
_ADVERBS = r"(?:(?:really|absolutely|totally|just|also|kinda|kind of|sorta|so|truly|genuinely|honestly|still|do|" \
           r"definitely|lowkey|low key|seriously|actually|fucking|freaking|now|literally|reaaally|rly|legit|" \
           r"personally|always|much prefer|especially)\s+)*"
# Where an object ends: punctuation, a new clause, or chat filler.
_END = r"(?=\s*[,.;!?()\[\]:]|\s*$|\s+(?:but|because|cause|cuz|since|when|whenever|so|though|tho|lol|lmao|haha+|" \
       r"ngl|tbh|honestly|too|as well|more than|while|in my|on my|at my|with my|every|on weekends|" \
       r"in the evenings?|and i|and my|and im|and i'm|rn|right now|these days|nowadays|" \
       r"anymore|any more|now|a lot|so much|very much|sm|xd|fr|btw|atm|if|with|for|from|since|ever since|" \
       r"last|this|next|ago|years ago|already|recently|lately|:\)|:D|<3)\b|\s*[\U0001F300-\U0001FAFF\u2600-\u27BF])"
_OBJECT = r"(?P<obj>[\w'&+#:-][\w'&+#:. -]{0,60}?)" + _END

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
_OPINION = [(re.compile(rf"{_LEAD}(?:i\s+{_ADVERBS}(?:{verbs})|(?:i'm|im|i am)\s+{_ADVERBS}(?:{be}))\s+{_OBJECT}",
                        re.I), word, strength)
            for verbs, be, word, strength in _OPINION_VERBS]
_PREFIX_CATEGORY = {"playing": "game", "to play": "game", "watching": "film", "to watch": "film",
                    "listening to": "music", "to listen to": "music", "eating": "food", "to eat": "food",
                    "reading": "other", "the": "", "a": "", "an": "", "all": "", "most": ""}


@dataclass(frozen=True)
class RuleFact:
    slot: str
    text: str
    kind: str  # preference, fact, relationship
    thing: str | None = None
    category: str | None = None
    strength: float | None = None


@dataclass(frozen=True)
class RuleForget:
    slots: tuple[str, ...]  # slots to empty ("opinion:horror", "home")
    thing: str | None = None  # or any fact that names this


@dataclass
class RuleReading:
    items: list[RuleFact | RuleForget] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)  # first-person statements no rule read: the model's share
    sarcastic: bool = False


def category(thing: str, hint: str = "") -> str:
    if hint:
        return hint
    for name, words in CATEGORY_WORDS:
        if re.search(rf"\b(?:{words})\b", thing, re.I):
            return name
    return "other"


def _clean_thing(raw: str) -> tuple[str, str] | None:
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


_LIST_ITEM = re.compile(r"^\s*,\s*(?:and\s+|or\s+)?(?P<item>[^,.;!?]{1,40}?)(?=\s*[,.;!?]|\s*$)")


def _list_tail(tail: str) -> list[str]:
    """The rest of a list after its first item: "I love Celeste, Hades, and Hollow Knight"."""
    items: list[str] = []
    while (m := _LIST_ITEM.match(tail)) and len(m.group("item").split()) <= 4:
        item = m.group("item").strip()
        if item.split()[0].lower() in NOT_A_THING or _FIRST_PERSON.search(item):
            break
        items += _split_things(item)
        tail = tail[m.end():]
    return items


def _opinions(clause: str) -> list[RuleFact]:
    """Every opinion in the clause: "I love football and I hate cricket" holds two."""
    no_longer = bool(re.search(r"\banymore\b|\bany more\b|\bno longer\b", clause, re.I))
    out: list[RuleFact] = []
    for pattern, verb, strength in _OPINION:
        for m in pattern.finditer(clause):
            word, value = verb, strength
            if value < 0 and no_longer:
                word, value = "no longer likes", -0.3
            elif no_longer:
                continue  # "I don't love it anymore" is not "loves"
            for part in _split_things(m.group("obj")) + _list_tail(clause[m.end():]):
                cleaned = _clean_thing(part)
                if cleaned is None:
                    continue
                thing, hint = cleaned
                out.append(RuleFact("opinion:" + thing_key(thing), f"User {word} {thing}", "preference", thing,
                                    category(thing, hint), value))
    return out


_NAME = r"(?P<name>[A-Za-z][\w'-]{0,20}(?:\s+(?-i:[A-Z])[\w'-]{0,20})?)(?![\w'])"
_NAMED = [re.compile(p, re.I) for p in (
    rf"\bmy\s+(?P<rel>{ADJ}{REL})(?:'s|s)?\s+name\s+is\s+{_NAME}",
    rf"\bmy\s+(?P<rel>{ADJ}{REL})\s+(?:is\s+called|is\s+named|goes\s+by|'s\s+called)\s+{_NAME}",
    # "my dog Bruno just stole my sandwich": a capitalised name right after the relation.
    rf"\bmy\s+(?P<rel>{ADJ}{REL})\s+(?P<name>(?-i:[A-Z])[\w'-]{{1,20}})(?![\w'])",
    rf"\b(?:i|we)\s+(?:have|'ve got|ve got|have got|got|just got|adopted|own)\s+(?:an?|one|this)?\s*"
    rf"(?P<rel>{ADJ}{REL})\s+(?:called|named)\s+{_NAME}",
)]
_OWN_NAME = re.compile(rf"(?:\bmy name(?:'s| is)|\bcall me)\s+{_NAME}", re.I)
_NOT_A_NAME = {"the", "a", "an", "after", "because", "lol", "like", "so", "and", "but", "not", "literally", "is"}


def _names(clause: str) -> list[RuleFact]:
    out = []
    for pattern in _NAMED:
        for m in pattern.finditer(clause):
            name, rel = m.group("name"), " ".join(m.group("rel").lower().split())
            if name.lower() in _NOT_A_NAME:
                continue
            name = name[0].upper() + name[1:]
            kind = "relationship" if rel.split()[-1] in PEOPLE or rel in PEOPLE else "fact"
            out.append(RuleFact("name:" + relation_key(rel), f"User's {rel} is called {name}", kind))
        if out:
            return out
    if own := _OWN_NAME.search(clause):
        name = own.group("name")
        if name.lower() not in _NOT_A_NAME:
            out.append(RuleFact("name:self", f"User's name is {name[0].upper() + name[1:]}", "fact"))
    if pro := re.search(r"\bmy pronouns are\s+(?P<p>[a-z]+/[a-z]+(?:/[a-z]+)?)", clause, re.I):
        out.append(RuleFact("pronouns", f"User's pronouns are {pro.group('p').lower()}", "fact"))
    return out


_PLACE = r"(?P<place>[A-Za-z][\w'.-]*(?:\s+(?!(?:now|with|and|but|for|since|because|lol|near|atm|these|last|" \
         r"this|next|in|ago|years|so|too|rn|haha|which|where|tho|though|btw|from|to|on|at|after|before|when|" \
         r"with|for|a|an|the|my|is|was|it|its|it's)\b)[A-Za-z][\w'.-]*){0,3})" \
         r"(?=\s*[,.;!?()]|\s*$|\s+\w)"


def _place(raw: str) -> str | None:
    words = raw.split()
    first = words[0].lower()
    if first == "the" and len(words) > 1:
        first = words[1].lower()
        if first in NOT_A_PLACE:
            return None
    elif first in NOT_A_PLACE:
        return None
    if raw.islower():  # chat types "berlin" and "new york": the fact reads "Berlin", "New York"
        words = [w.upper() if w in SHORT_UPPER else w if w in ("the", "of", "de") else w.capitalize()
                 for w in words]
    return " ".join(words)


_HOME = re.compile(rf"{_LEAD}i(?:\s+(?:currently\s+|now\s+|still\s+|actually\s+|just\s+|recently\s+|finally\s+)*"
                   r"(?:live|reside|moved|relocated)|(?:'m|m|\s+am)\s+(?:currently\s+|now\s+|still\s+)*"
                   rf"(?:living|based))\s+(?:in|to|over to)\s+{_PLACE}", re.I)
_MOVED = re.compile(rf"(?:^|,\s*|\band\s+)(?:just\s+|recently\s+|finally\s+)?moved\s+(?:to|over to)\s+{_PLACE}", re.I)
_ORIGIN = re.compile(rf"{_LEAD}i(?:'m|\s+am|m)?\s+(?:originally\s+|actually\s+)?(?:from|come from|was born in)\s+"
                     rf"{_PLACE}", re.I)
_MOVED_AWAY = re.compile(r"\bi\s+(?:don't|do not|dont|no longer)\s+live\s+(?:in|there)\b", re.I)


def _places(clause: str) -> list[RuleFact]:
    out = []
    if (m := _HOME.search(clause) or _MOVED.search(clause)) and (place := _place(m.group("place"))):
        out.append(RuleFact("home", f"User lives in {place}", "fact"))
    if (m := _ORIGIN.search(clause)) and (place := _place(m.group("place"))):
        out.append(RuleFact("origin", f"User is from {place}", "fact"))
    return out


_AGE = [re.compile(p, re.I) for p in (
    rf"{_LEAD}i(?:'m|\s+am|m)\s+(?:now\s+|only\s+|just\s+|actually\s+|already\s+)?(?P<n>\d{{1,3}})\s*"
    r"(?:years?\s+old|yrs?(?:\s+old)?|y/?o)(?![\w/])",
    rf"{_LEAD}i(?:'m|\s+am|m)\s+(?:now\s+|only\s+|just\s+|actually\s+|already\s+)?(?P<n>[1-9]\d)"
    r"(?=\s*$|\s*[,.!;)]|\s+(?:now|lol|haha|lmao|and|but|btw|today|actually|myself|too|since|so|as well)\b)",
    r"(?:\bi\s+|^)(?:just\s+|finally\s+)?turned\s+(?P<n>\d{1,3})\b",
    r"\bmy age is\s+(?P<n>\d{1,3})\b",
)]


def _age(clause: str) -> list[RuleFact]:
    for pattern in _AGE:
        if (m := pattern.search(clause)) and 5 <= int(m.group("n")) <= 110:
            return [RuleFact("age", f"User is {int(m.group('n'))} years old", "fact")]
    return []


_JOB = [re.compile(p, re.I) for p in (
    rf"{_LEAD}i\s+(?:currently\s+|now\s+|actually\s+|still\s+)?work\s+as\s+(?:an?\s+)?{_OBJECT}",
    rf"\bmy job is\s+(?:being\s+)?(?:an?\s+)?{_OBJECT}",
    rf"{_LEAD}i(?:'m|\s+am|m)\s+(?:now\s+|currently\s+|actually\s+)?an?\s+(?P<obj>(?:[\w-]+\s+){{0,2}}?(?:{JOBS}))"
    r"(?:\s+by trade)?" + _END,
)]
_WORKPLACE = re.compile(rf"{_LEAD}i\s+(?:currently\s+|now\s+|actually\s+|still\s+)?work\s+(?:at|for|in)\s+{_OBJECT}",
                        re.I)
_STUDY = re.compile(rf"{_LEAD}i(?:'m|\s+am|m)?\s+(?:study|studying|majoring in|major in)\s+{_OBJECT}", re.I)
_NO_JOB = re.compile(r"\bi\s+(?:just\s+)?(?:quit|left|lost)\s+my\s+job\b|\bi\s+no longer work\b|"
                     r"\bi(?:'m| am|m)\s+(?:no longer an?|not an?\s+\w+\s+anymore)", re.I)


def _article(noun: str) -> str:
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


def _work(clause: str) -> list[RuleFact]:
    out = []
    for pattern in _JOB:
        if (m := pattern.search(clause)) and (cleaned := _clean_thing(m.group("obj"))):
            job = cleaned[0]
            out.append(RuleFact("job", f"User works as {_article(job)}", "fact"))
            break
    if (m := _WORKPLACE.search(clause)) and (cleaned := _clean_thing(m.group("obj"))):
        out.append(RuleFact("workplace", f"User works at {cleaned[0]}", "fact"))
    if (m := _STUDY.search(clause)) and (cleaned := _clean_thing(m.group("obj"))):
        out.append(RuleFact("study", f"User studies {cleaned[0]}", "fact"))
    return out


_WHEN = r"(?P<when>tomorrow|tonight|next \w+|this (?:weekend|week|month|summer|winter|spring|autumn|fall|year|" \
        r"friday|saturday|sunday|monday|tuesday|wednesday|thursday)|on (?:mon|tues|wednes|thurs|fri|satur|sun)day|" \
        r"in (?:a|an|two|three|four|\d+) (?:days?|weeks?|months?)|soon|later this \w+)"
_PLANS = [re.compile(p, re.I) for p in (
    rf"{_LEAD}i(?:'m|\s+am|m)\s+(?:going|flying|heading|travell?ing|driving|moving)\s+to\s+"
    rf"(?P<what>[^,.;!?]{{2,40}}?)\s+{_WHEN}\b",
    rf"{_LEAD}i(?:'m|\s+am|m)\s+(?:planning|hoping)\s+to\s+(?P<what>[^,.;!?]{{2,50}}?)" + _END.replace(
        r"|last|this|next|", "|"),
    rf"{_LEAD}i\s+(?:have|'ve got|ve got|got)\s+(?:an?|my)\s+(?P<what>(?:[\w-]+\s+)?(?:exam|test|interview|"
    r"appointment|wedding|concert|trip|flight|date|match|recital|surgery|tournament|presentation|"
    rf"driving test|final|finals|shift|gig|competition))\s+{_WHEN}\b",
)]


def _plans(clause: str) -> list[RuleFact]:
    for i, pattern in enumerate(_PLANS):
        if m := pattern.search(clause):
            what = m.group("what").strip()
            when = f" {m.group('when')}" if "when" in pattern.groupindex and m.group("when") else ""
            text = (f"User is going to {what}{when}", f"User plans to {what}", f"User has {_article(what)}{when}")[i]
            return [RuleFact(slot_of(text) or "plan:" + thing_key(what), text, "fact")]
    return []


_REQUEST = re.compile(r"^(?:(?:pls|please|plz|hey|pip|ok|okay|and|also|actually|can you|could you|would you|"
                      r"will you|you can|u can|bot|oh|wait|nvm|sorry)[,\s]+)*(?:please\s+|pls\s+)?"
                      r"(?:forget|erase|delete|remove|unlearn|stop remembering|don't remember|do not remember)\b"
                      r"\s*(?P<rest>.*)$", re.I)
_FORGET_SLOTS = (
    (r"where i live|my (?:address|city|location|town)|where i(?:'m| am|m) (?:living|based)", ("home",)),
    (r"where i(?:'m| am|m) from|my hometown|where i come from", ("origin",)),
    (r"how old i am|my age|my birthday", ("age",)),
    (r"what i do(?: for (?:work|a living))?|my job|where i work|my work", ("job", "workplace")),
    (r"my name|what i(?:'m| am) called", ("name:self",)),
    (r"my pronouns", ("pronouns",)),
    (r"what i study|my (?:major|studies|degree)", ("study",)),
)


def _forget(sentence: str) -> RuleForget | None:
    m = _REQUEST.match(sentence.strip())
    if m is None:
        return None
    rest = re.sub(r"^(?:about|that|the fact that|what (?:i said|i told you|you know) about|everything about)\s+",
                  "", m.group("rest").strip(" ,.!?"), flags=re.I)
    rest = re.sub(r"(?:[\s,]+(?:pls|please|plz|thanks|thx|lol|ok|okay|pip|now))+$", "", rest, flags=re.I)
    for phrase, slots in _FORGET_SLOTS:
        if re.match(rf"(?:about\s+)?(?:{phrase})\b", rest, re.I):
            return RuleForget(slots)
    if n := re.match(rf"my\s+(?P<rel>{ADJ}{REL})(?:'s name|s name| name)?\b", rest, re.I):
        return RuleForget(("name:" + relation_key(" ".join(n.group("rel").lower().split())),))
    if o := re.match(r"i\s+(?:\w+\s+)?(?:like|love|hate|enjoy|liked|loved|hated|said i (?:like|love|hate))\s+"
                     r"(?P<thing>.+)$", rest, re.I):
        cleaned = _clean_thing(o.group("thing"))
        if cleaned:
            return RuleForget(("opinion:" + thing_key(cleaned[0]), "favourite:" + thing_key(cleaned[0])), cleaned[0])
    cleaned = _clean_thing(re.sub(r"^my\s+", "", rest, flags=re.I)) if rest else None
    if cleaned and not re.match(r"(?:everything|it all|all of it|me)\b", rest, re.I):
        return RuleForget(("opinion:" + thing_key(cleaned[0]),), cleaned[0])
    return None  # "forget everything": that is `forgetme`, with its confirmation, not a guess


_MY_THING = re.compile(r"^(?P<obj>[\w'&+#:. -]{2,40}?)\s+(?:is|are)\s+(?:totally\s+|so\s+|just\s+)?my\s+"
                       r"(?:thing|jam|vibe|jams|comfort \w+)\b", re.I)
_FAVOURITE = [re.compile(p, re.I) for p in (
    r"\bmy\s+(?:all[- ]time\s+|absolute\s+|current\s+|new\s+)?favou?rite\s+(?P<cat>(?:video |board |tv |card |"
    r"mobile |indie |horror |comfort )?[\w-]+)\s+"
    rf"(?:is|has to be|=|are)\s+{_OBJECT}",
    r"^(?P<obj>[\w'&+#:. -]{2,40}?)\s+(?:is|are)\s+(?:still\s+)?my\s+(?:all[- ]time\s+|absolute\s+)?"
    r"favou?rite\s+(?P<cat>(?:video |board |tv |card |mobile |indie |horror |comfort )?[\w-]+)" + _END,
)]


def _favourites(clause: str) -> list[RuleFact]:
    if (m := _MY_THING.search(clause)) and (cleaned := _clean_thing(m.group("obj"))):
        thing, hint = cleaned
        return [RuleFact("opinion:" + thing_key(thing), f"User loves {thing}", "preference", thing,
                         category(thing, hint), 0.9)]
    for pattern in _FAVOURITE:
        if (m := pattern.search(clause)) and (cleaned := _clean_thing(m.group("obj"))):
            cat = m.group("cat").lower()
            thing = cleaned[0]
            hint = next((c for c, words in CATEGORY_WORDS if re.fullmatch(rf"(?:{words})", cat)), "")
            return [RuleFact("favourite:" + thing_key(cat), f"User's favourite {cat} is {thing}", "preference",
                             thing, category(thing, hint), 1.0)]
    return []


MAX_PER_MESSAGE = 5  # "I love a, b, c, ... and z" is a list, not 26 facts: the first few stand for it
_READERS = (_favourites, _names, _places, _age, _work, _plans, _opinions)


def read(message: str) -> RuleReading:
    """What the rules take from one message, in order, and what they leave to the model."""
    clauses = read_clauses(message)
    reading = RuleReading(sarcastic=clauses.sarcastic)
    for sentence in clauses.requests:
        if (forget := _forget(sentence)) is not None:
            reading.items.append(forget)
    if reading.items:
        return reading  # a request to forget states nothing new
    for clause in clauses.statements:
        found: list[RuleFact] = []
        for reader in _READERS:
            found += [f for f in reader(clause) if f.slot not in {g.slot for g in found}]
        if _MOVED_AWAY.search(clause) and not any(f.slot == "home" for f in found):
            reading.items.append(RuleForget(("home",)))
            continue
        if _NO_JOB.search(clause) and not any(f.slot == "job" for f in found):
            reading.items.append(RuleForget(("job", "workplace")))
            continue
        if found:
            reading.items += found[: MAX_PER_MESSAGE - len(reading.items)]
            if len(reading.items) >= MAX_PER_MESSAGE:
                break
        elif len(clause.split()) >= 3 and not question(clause) and not any(p.search(clause) for p, _, _ in _OPINION):
            reading.leftover.append(clause)  # an opinion of "it" or "you" holds nothing to keep
    return reading

