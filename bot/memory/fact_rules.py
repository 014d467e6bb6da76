"""Deterministic fact rules for the common first-person shapes of English chat: I love, like, hate or can't
stand X; my cat is called X; I live in or I'm from X; I'm N years old; I work as X; plans; their corrections and
requests to forget. They read only what `fact_clauses` leaves (no quotes, reported speech, questions, wishes or
sarcasm), cost no model call, and write each fact in one canonical form that `fact_slots` reads back."""

from __future__ import annotations

import re

from bot.memory.fact_clauses import question, read_clauses
from bot.memory.fact_opinions import OPINION, clean_thing, favourites, judged, opinions
from bot.memory.fact_rule_types import RuleFact, RuleForget, RuleReading
from bot.memory.fact_slots import relation_key, slot_of, thing_key
from bot.memory.fact_words import (
    ADJ,
    END,
    JOBS,
    LEAD,
    NOT_A_PLACE,
    OBJECT,
    PEOPLE,
    REL,
    SHORT_UPPER,
)

_NAME = r"(?P<name>[A-Za-z][\w'-]{0,20}(?:\s+(?-i:[A-Z])[\w'-]{0,20})?)(?![\w'])"
_NAMED = [re.compile(p, re.I) for p in (
    rf"\bmy\s+(?P<rel>{ADJ}{REL})(?:'s|s)?\s+name\s+is\s+{_NAME}",
    rf"\bmy\s+(?P<rel>{ADJ}{REL})\s+(?:is\s+called|is\s+named|goes\s+by|'s\s+called)\s+{_NAME}",
    # "my dog Bruno just stole my sandwich": a capitalised name right after the relation.
    rf"\bmy\s+(?P<rel>{ADJ}{REL})\s+(?P<name>(?-i:[A-Z])[\w'-]{{1,20}})(?![\w'])",
    rf"(?:\b(?:i|we)\s+|^)(?:have|'ve got|ve got|have got|got|just got|adopted|own)\s+(?:an?|one|this)?\s*"
    rf"(?P<rel>{ADJ}{REL})\s+(?:called|named)\s+{_NAME}",
)]
# "my gf sam says hi", "my son tommy just turned 5": a lowercase name right after a relation, unless the word
# after the relation is chat's ordinary next word.
_NAMED_LOWER = re.compile(rf"\bmy\s+(?P<rel>{ADJ}{REL})\s+(?P<name>[a-z][a-z'-]{{1,20}})(?![\w'])")
_NOT_A_LOWER_NAME = {
    "is", "was", "isn't", "wasn't", "says", "said", "thinks", "thought", "keeps", "kept", "loves", "hates", "likes",
    "just", "still", "also", "always", "never", "and", "but", "so", "got", "gets", "has", "had", "have", "wants",
    "plays", "played", "goes", "went", "did", "does", "will", "would", "can", "could", "who", "that", "lol", "too",
    "really", "literally", "hes", "shes", "made", "makes", "told", "tells", "watches", "watched", "works", "lives",
    "used", "started", "bought", "turned", "died", "ate", "sleeps", "are", "were", "knows", "needs", "needed",
    "asked", "asks", "loved", "hated", "liked", "of", "in", "at", "on", "for", "from", "to", "with", "the", "a",
    "an", "lmao", "ngl", "tbh", "rn", "stole", "steals", "sat", "sits", "walked", "walks",
    "ran", "runs", "came", "comes", "left", "leaves", "being", "getting", "playing", "watching", "sleeping", "jumped",
    "or", "if", "when", "because", "cause", "cuz", "now", "today", "again", "only", "even", "s",
    "called", "named", "name", "names", "friend", "friends", "brother", "sister", "bro", "sis"}
_PLURAL_NAMED = re.compile(rf"\bmy\s+(?P<rel>{ADJ}{REL})s\s+are\s+(?:called|named)\s+(?P<a>[A-Za-z][\w'-]{{0,20}})"
                           rf"\s*(?:,|and|&)\s*(?P<b>[A-Za-z][\w'-]{{0,20}})", re.I)
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
    if plural := _PLURAL_NAMED.search(clause):
        rel = " ".join(plural.group("rel").lower().split())
        a, b = (n[0].upper() + n[1:] for n in (plural.group("a"), plural.group("b")))
        return [RuleFact("name:" + relation_key(rel), f"User's {rel}s are called {a} and {b}", "fact")]
    for m in _NAMED_LOWER.finditer(clause):
        name, rel = m.group("name"), " ".join(m.group("rel").lower().split())
        if name not in _NOT_A_LOWER_NAME and not name.endswith(("ing", "'s")):
            kind = "relationship" if rel.split()[-1] in PEOPLE else "fact"
            return [RuleFact("name:" + relation_key(rel), f"User's {rel} is called {name.capitalize()}", kind)]
    if own := _OWN_NAME.search(clause):
        name = own.group("name")
        if name.lower() not in _NOT_A_NAME:
            out.append(RuleFact("name:self", f"User's name is {name[0].upper() + name[1:]}", "fact"))
    if pro := re.search(r"\bmy pronouns are\s+(?P<p>[a-z]+/[a-z]+(?:/[a-z]+)?)", clause, re.I):
        out.append(RuleFact("pronouns", f"User's pronouns are {pro.group('p').lower()}", "fact"))
    return out


_PLACE = r"(?P<place>[A-Za-z][\w'.-]*(?:\s+(?!(?:now|with|and|but|for|since|because|lol|near|atm|these|last|" \
         r"this|next|in|ago|years|so|too|rn|haha|which|where|tho|though|btw|from|to|on|at|after|before|when|" \
         r"with|for|a|an|the|my|is|was|it|its|it's|originally|ofc|its|lmao|lol)\b)[A-Za-z][\w'.-]*){0,3})" \
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


_HOME = re.compile(rf"{LEAD}i(?:\s+(?:currently\s+|now\s+|still\s+|actually\s+|just\s+|recently\s+|finally\s+)*"
                   r"(?:live|reside|moved|relocated)|(?:'m|m|\s+am)\s+(?:currently\s+|now\s+|still\s+)*"
                   rf"(?:living|based))\s+(?:in|to|over to)\s+{_PLACE}", re.I)
# Chat drops the "I" at a clause's start: "live in austin tx", "from glasgow originally".
_HOME_BARE = re.compile(rf"^(?:(?:currently|now|still)\s+)?(?:live|living|based)\s+in\s+{_PLACE}", re.I)
_ORIGIN_BARE = re.compile(rf"^(?:originally\s+)?from\s+{_PLACE}", re.I)
_MOVED = re.compile(rf"(?:^|,\s*|\band\s+)(?:just\s+|recently\s+|finally\s+)?moved\s+(?:to|over to)\s+{_PLACE}", re.I)
_ORIGIN = re.compile(rf"{LEAD}i(?:'m|\s+am|m)?\s+(?:originally\s+|actually\s+)?(?:from|come from|was born in)\s+"
                     rf"{_PLACE}", re.I)
_MOVED_AWAY = re.compile(r"\bi\s+(?:don't|do not|dont|no longer)\s+live\s+(?:in|there)\b", re.I)


def _places(clause: str) -> list[RuleFact]:
    out = []
    home = _HOME.search(clause) or _MOVED.search(clause) or _HOME_BARE.search(clause)
    if home and (place := _place(home.group("place"))):
        out.append(RuleFact("home", f"User lives in {place}", "fact"))
    origin = _ORIGIN.search(clause) or _ORIGIN_BARE.search(clause)
    if origin and (place := _place(origin.group("place"))):
        out.append(RuleFact("origin", f"User is from {place}", "fact"))
    return out


_AGE = [re.compile(p, re.I) for p in (
    rf"{LEAD}i(?:'m|\s+am|m)\s+(?:now\s+|only\s+|just\s+|actually\s+|already\s+)?(?P<n>\d{{1,3}})\s*"
    r"(?:years?\s+old|yrs?(?:\s+old)?|y/?o)(?![\w/])",
    rf"{LEAD}i(?:'m|\s+am|m)\s+(?:now\s+|only\s+|just\s+|actually\s+|already\s+)?(?P<n>[1-9]\d)"
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
    rf"{LEAD}i\s+(?:currently\s+|now\s+|actually\s+|still\s+)?work\s+as\s+(?:an?\s+)?{OBJECT}",
    rf"\bmy job is\s+(?:being\s+)?(?:an?\s+)?{OBJECT}",
    rf"{LEAD}i(?:'m|\s+am|m)\s+(?:now\s+|currently\s+|actually\s+)?an?\s+(?P<obj>(?:[\w-]+\s+){{0,2}}?(?:{JOBS}))"
    r"(?:\s+by trade)?" + END,
)]
_WORKPLACE = re.compile(rf"{LEAD}i\s+(?:currently\s+|now\s+|actually\s+|still\s+)?work\s+(?:at|for|in)\s+{OBJECT}",
                        re.I)
_STUDY = re.compile(rf"(?:{LEAD}i(?:'m|\s+am|m)?\s+|^)(?:study|studying|majoring in|major in)\s+{OBJECT}|"
                    rf"\b(?:switched|changed)\s+my\s+(?:major|degree|course)\s+to\s+{OBJECT.replace('obj', 'obj2')}",
                    re.I)
_NO_JOB = re.compile(r"\bi\s+(?:just\s+)?(?:quit|left|lost)\s+my\s+job\b|\bi\s+no longer work\b|"
                     r"\bi(?:'m| am|m)\s+(?:no longer an?|not an?\s+\w+\s+anymore)", re.I)


def _article(noun: str) -> str:
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


def _work(clause: str) -> list[RuleFact]:
    out = []
    for pattern in _JOB:
        if (m := pattern.search(clause)) and (cleaned := clean_thing(m.group("obj"))):
            job = cleaned[0]
            out.append(RuleFact("job", f"User works as {_article(job)}", "fact"))
            break
    if (m := _WORKPLACE.search(clause)) and (cleaned := clean_thing(m.group("obj"))):
        out.append(RuleFact("workplace", f"User works at {cleaned[0]}", "fact"))
    if (m := _STUDY.search(clause)) and (cleaned := clean_thing(m.group("obj") or m.group("obj2"))):
        out.append(RuleFact("study", f"User studies {cleaned[0]}", "fact"))
    return out


_WHEN = r"(?P<when>tomorrow|tonight|next \w+|this (?:weekend|week|month|summer|winter|spring|autumn|fall|year|" \
        r"friday|saturday|sunday|monday|tuesday|wednesday|thursday)|on (?:mon|tues|wednes|thurs|fri|satur|sun)day|" \
        r"in (?:a|an|two|three|four|\d+) (?:days?|weeks?|months?)|soon|later this \w+)"
_PLANS = [re.compile(p, re.I) for p in (
    rf"{LEAD}i(?:'m|\s+am|m)\s+(?:going|flying|heading|travell?ing|driving|moving)\s+to\s+"
    rf"(?P<what>[^,.;!?]{{2,40}}?)\s+{_WHEN}\b",
    rf"{LEAD}i(?:'m|\s+am|m)\s+(?:planning|hoping)\s+to\s+(?P<what>[^,.;!?]{{2,50}}?)" + END.replace(
        r"|last|this|next|", "|"),
    rf"(?:{LEAD}i(?:'m|\s+am|m)\s+|^)planning\s+an?\s+(?P<what>(?:trip|visit|vacation|holiday|move)\s+to\s+"
    r"[\w' -]{2,30}?)(?=\s+(?:in|on|next|this|for|soon|with)\b|\s*[,.;!?]|\s*$)",
    rf"{LEAD}i\s+(?:have|'ve got|ve got|got)\s+(?:an?|my)\s+(?P<what>(?:[\w-]+\s+)?(?:exam|test|interview|"
    r"appointment|wedding|concert|trip|flight|date|match|recital|surgery|tournament|presentation|"
    rf"driving test|final|finals|shift|gig|competition))\s+{_WHEN}\b",
)]


def _plans(clause: str) -> list[RuleFact]:
    for i, pattern in enumerate(_PLANS):
        if m := pattern.search(clause):
            what = m.group("what").strip()
            when = f" {m.group('when')}" if "when" in pattern.groupindex and m.group("when") else ""
            text = (f"User is going to {what}{when}", f"User plans to {what}", f"User is planning {_article(what)}",
                    f"User has {_article(what)}{when}")[i]
            return [RuleFact(slot_of(text) or "plan:" + thing_key(what), text, "fact")]
    return []


_REQUEST = re.compile(r"^(?:(?:pls|please|plz|hey|pip|ok|okay|and|also|actually|can you|could you|would you|"
                      r"will you|you can|u can|bot|oh|wait|nvm|sorry)[,\s]+)*(?:please\s+|pls\s+)?"
                      r"(?P<verb>forget|erase|delete|remove|unlearn|stop remembering|don'?t remember|do not remember)\b"
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
                  "", re.split(r"[,.;!?]", m.group("rest"))[0].strip(), flags=re.I)
    rest = re.sub(r"(?:[\s,]+(?:pls|please|plz|thanks|thx|lol|ok|okay|pip|now))+$", "", rest, flags=re.I)
    for phrase, slots in _FORGET_SLOTS:
        if re.match(rf"(?:about\s+)?(?:{phrase})\b", rest, re.I):
            return RuleForget(slots)
    if n := re.match(rf"my\s+(?P<rel>{ADJ}{REL})(?:'s name|s name| name)?\b", rest, re.I):
        return RuleForget(("name:" + relation_key(" ".join(n.group("rel").lower().split())),))
    if o := re.match(r"i\s+(?:\w+\s+)?(?:like|love|hate|enjoy|liked|loved|hated|said i (?:like|love|hate))\s+"
                     r"(?P<thing>.+)$", rest, re.I):
        cleaned = clean_thing(o.group("thing"))
        if cleaned:
            return RuleForget(("opinion:" + thing_key(cleaned[0]), "favourite:" + thing_key(cleaned[0])), cleaned[0])
    # "Forget about Celeste" names a thing to drop; "remove the boss" or "delete this" is game talk, not a request.
    said_about = (m.group("verb").lower() in ("forget", "unlearn", "dont remember", "don't remember")
                  or re.match(r"(?:about|that|what)\b", m.group("rest"), re.I))
    cleaned = clean_thing(re.sub(r"^my\s+", "", rest, flags=re.I)) if rest and said_about else None
    if cleaned and not re.match(r"(?:everything|it all|all of it|me)\b", rest, re.I):
        return RuleForget(("opinion:" + thing_key(cleaned[0]),), cleaned[0])
    return None  # "forget everything": that is `forgetme`, with its confirmation, not a guess


MAX_PER_MESSAGE = 5  # "I love a, b, c, ... and z" is a list, not 26 facts: the first few stand for it
_READERS = (favourites, _names, _places, _age, _work, _plans, opinions, judged)


def read(message: str) -> RuleReading:
    """What the rules take from one message, in order, and what they leave to the model."""
    clauses = read_clauses(message)
    reading = RuleReading(sarcastic=clauses.sarcastic)
    for sentence in clauses.requests:
        if (forget := _forget(sentence)) is not None:
            reading.items.append(forget)
    if reading.items:
        return reading  # a request to forget states nothing new
    for clause in [*clauses.statements, *clauses.claims]:
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
        elif (clause in clauses.statements and len(clause.split()) >= 3 and not question(clause)
              and not any(p.search(clause) for p, _, _ in OPINION)):
            reading.leftover.append(clause)  # an opinion of "it" or "you" holds nothing to keep
    return reading

