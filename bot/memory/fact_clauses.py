"""Which parts of a chat message state something about its speaker: quoted and reported speech, questions,
wishes and sarcasm are taken out, so the fact rules (and, in hybrid extraction, the model) read only the
speaker's own first-person statements."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Curly quotes and apostrophes as phones type them; the rules are written for the straight ones.
_TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"',
                             "\u00bb": '"', "\u2032": "'"})
_DOUBLE_QUOTED = re.compile(r'"([^"\n]{0,300})"')
_SINGLE_QUOTED = re.compile(r"(?<![\w'])'([^'\n]{1,300})'(?![\w'])")
FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|i'll|my|me|mine|myself)\b", re.I)

# Sarcasm the rules know by its marker: a message wearing one states nothing about its speaker.
SARCASM = re.compile(
    r"(?:^|\s)/s\b|\byeah,? right\b|\bsaid no one ever\b|\bas if\b|\bnot!|\bjk\b|\bjust kidding\b|"
    r"\bkidding\b|\b(?:love|loves|adore|enjoy) (?:it )?(?:when|how)\b|\bjust love\b|\boh (?:great|joy|wonderful)\b|"
    r"\bsure i do\b|\bmy favou?rite thing is (?:when|waiting|losing|getting)\b|\blove (?:waiting|losing|lag)\b|"
    r"\bsarcasm\b|🙄|🙃|\bnot really\b|\boh (?:fantastic|perfect|brilliant|lovely|sure|yay|wow)\b|"
    r"\blove (?:dying|getting|being)\b", re.I)
# Someone else's words, or their view of the speaker: "my friend said I love horror", "he thinks I'm 30".
_REPORTED = re.compile(
    r"\b(?P<who>[\w']+)\s+(?:(?:always|keeps?|kept)\s+)?(?:said|says|saying|told|tells|telling|thinks|thought|"
    r"claims?|claimed|asked|asks|wrote|writes|texted|believes?|reckons?|knows|insists?|was like|goes(?! by))\b", re.I)
_SELF = {"i", "i've", "ive", "i'd", "id"}
_ACCORDING = re.compile(r"\baccording to\b|\bsupposedly\b|\bapparently\b|\brumou?r\b", re.I)
# Wishes, conditions and make-believe: "if I lived in Tokyo", "I wish I had a dog", "I'd love to visit Japan".
_IRREALIS = re.compile(
    r"\bif (?:i|my)\b|\bi wish\b|\bwish i\b|\bi(?:'d| would| could| might)\b|\bimagine\b|\bpretend\b|"
    r"\bwould\b|\bwhat if\b|\bsuppose\b|\bmy character\b|\broleplay\b|\bmy (?:oc|avatar)\b",
    re.I)
_QUESTION_START = re.compile(
    r"^(?:(?:so|and|but|hey|ok|okay|also|wait|lol|pip|guys|chat),?\s+)*(?:do|does|did|are|is|am|was|were|can|"
    r"could|would|will|should|shall|have|has|what|who|whom|where|when|why|how|which|whose|isn't|aren't|don't|"
    r"doesn't|didn't|won't|wanna|anyone|any1)\b", re.I)
# Clause breaks inside a sentence: "I love Celeste but I hate Hades" is two statements.
_CLAUSE_BREAK = re.compile(r";|\s+-\s+|,?\s+\b(?:but|though|although|whereas|while)\s+(?=i\b|i'm|im\b|my\b)", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|(?<=[.!?])(?=[A-Z])")


@dataclass(frozen=True)
class Clauses:
    """One message as the rules see it."""
    statements: list[str]  # the speaker's own first-person statements, quotes taken out
    claims: list[str]  # the speaker's other statements ("cod is trash"): opinions of things, never to the model
    requests: list[str]  # every sentence, questions included (a forget request often comes as one)
    sarcastic: bool


def normalise(text: str) -> str:
    return " ".join(text.translate(_TYPOGRAPHY).split())


def _unquote(text: str) -> str:
    """Speech in quotes goes; a quoted title ("I love 'Celeste'") keeps its words."""
    def keep_title(m: re.Match[str]) -> str:
        inner = m.group(1)
        return " " if FIRST_PERSON.search(inner) or len(inner.split()) > 8 else inner
    return _SINGLE_QUOTED.sub(keep_title, _DOUBLE_QUOTED.sub(keep_title, text))


def reported_from(sentence: str) -> int | None:
    """Where somebody else's words begin: just after who said them ("my gf sam| says hi"), or None."""
    for m in _REPORTED.finditer(sentence):
        if m.group("who").lower() not in _SELF:
            return m.end("who")
    return None


def question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence.strip()))


def read_clauses(message: str) -> Clauses:
    text = normalise(message)
    sarcastic = bool(SARCASM.search(text))
    plain = _unquote(text)
    sentences = [s.strip() for s in _SENTENCE.split(plain) if s and s.strip()]
    statements: list[str] = []
    claims: list[str] = []
    for sentence in sentences:
        if question(sentence) or _IRREALIS.search(sentence) or _ACCORDING.search(sentence):
            continue
        cut = reported_from(sentence)
        if cut is not None:
            sentence = sentence[:cut]  # "im 16 and my mom| thinks im 12": only the speaker's own part
        for clause in _CLAUSE_BREAK.split(sentence):
            clause = clause.strip(" ,.!")
            if clause:
                (statements if FIRST_PERSON.search(clause) else claims).append(clause)
    if sarcastic:
        return Clauses([], [], sentences, True)
    return Clauses(statements, claims, sentences, False)
