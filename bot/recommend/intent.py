"""Does a chat message ask the persona for a recommendation? A small rule set, measured on a labelled set in
`bench.intent`: rules answer in microseconds, never invent, and say exactly why they matched; a model call per
chat line would cost a GPU round trip for the 99 % of lines that ask nothing of the sort."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Nouns for what can be recommended, mapped to the usual catalog kinds (the recommend command reads these too).
KIND_NOUNS = {
    "game": "game", "games": "game", "videogame": "game", "videogames": "game",
    "film": "film", "films": "film", "movie": "film", "movies": "film", "flick": "film", "flicks": "film",
    "series": "series", "show": "series", "shows": "series", "anime": "series", "tv": "series",
    "music": "music", "song": "music", "songs": "music", "album": "music", "albums": "music", "band": "music",
    "bands": "music", "stream": "stream", "streams": "stream", "streamer": "stream", "streamers": "stream",
    "book": "book", "books": "book", "novel": "book", "novels": "book",
}
# Genre and format words that imply a kind in chat ("any good roguelikes?"), though they are a mood, not a kind,
# in a recommend command's request.
KIND_WORDS = {
    **KIND_NOUNS,
    "roguelike": "game", "roguelikes": "game", "rpg": "game", "rpgs": "game", "jrpg": "game", "jrpgs": "game",
    "mmo": "game", "soulslike": "game", "soulslikes": "game", "platformer": "game", "platformers": "game",
    "metroidvania": "game", "metroidvanias": "game", "documentary": "film", "documentaries": "film",
    "sitcom": "series", "sitcoms": "series", "drama": "series", "dramas": "series", "k-drama": "series",
    "kdrama": "series", "k-dramas": "series", "playlist": "music", "artist": "music", "artists": "music",
    "audiobook": "book", "audiobooks": "book", "manga": "book", "tome": "book", "tomes": "book", "comic": "book",
    "comics": "book",
}
# Without a noun, the verb tells the kind: "what should I play" asks for a game ("watch" could be either).
VERB_KINDS = {"play": "game", "read": "book", "listen": "music"}
_KIND = "|".join(re.escape(k) for k in sorted(KIND_WORDS, key=len, reverse=True))
_VERB = r"(?:play|watch|read|listen(?:\s+to)?|binge|stream|try|get|check\s+out|start|pick)"
_SOME = r"(?:a|an|some|something|smth|sth|smthn|anything|any|good|new|another|me\s+a|me\s+some)"
_ADJ = (r"(?:good|great|fun|chill|cozy|comfy|scary|nice|decent|solid|short|cool|relaxing|new|underrated|best|"
        r"funny|sad|wholesome|dark|light|easy|hard|quick|long)")
_ME = r"(?:you|u|ya)"

# Asking: each pattern is one way people ask.
_ASKS = [
    rf"\b(?:can|could|would|will|do|pls|please|plz)\s+{_ME}\s+(?:\w+\s+)?(?:recommend|suggest|rec)\b",
    rf"\b(?:recommend|suggest|rec)\s+{_SOME}\b",
    r"\b(?:recommend|suggest)\s+(?:me|us)\b",
    r"\b(?:any|got|have|need|want|give\s+me)\s+(?:\w+\s+){0,2}(?:recommendations?|recs|suggestions?)\b",
    r"\b(?:your|ur)\s+(?:\w+\s+)?(?:recommendations?|recs|suggestions?|picks?)\b",
    rf"\bwhat\s+(?:do|would)\s+{_ME}\s+(?:recommend|suggest)\b",
    r"\b(?:recommendations?|recs|suggestions?)\s*(?:for|please|pls|plz|on|\?)",
    rf"\b(?:what|which)(?:\s+[\w-]+){{0,2}}\s+(?:should|shud|shld|shall|could|can|do)\s+(?:i|we)\s+(?:\w+\s+)?"
    rf"{_VERB}\b",
    r"\bwhat\s+to\s+(?:play|watch|read|listen\s+to|binge|stream)\b",
    rf"\bwhat\s+(?:[\w-]+\s+){{0,2}}(?:{_KIND})\s+(?:r|are|is)\s+(?:good|worth|fun|great|decent)\b",
    rf"(?:^|[,:!?]\s*|\bknow\s+|\bgot\s+|\bthere\s+)any\s+(?:[\w-]+\s+){{0,3}}(?:{_KIND})\b",
    rf"\bany\s+(?:[\w-]+\s+){{0,3}}(?:{_KIND})\b[^.!]*\?",
    rf"\b(?:know|got)\s+(?:any|of\s+any|a|some)\s+(?:[\w-]+\s+){{0,3}}(?:{_KIND})\b",
    rf"\b(?:looking\s+for|searching\s+for|in\s+the\s+mood\s+for|need|want|tell\s+me|find\s+me|give\s+me|"
    rf"hit\s+me\s+with|throw\s+me|get\s+me|pick\s+me)\s+{_SOME}\s+(?:[\w-]+\s+){{0,3}}(?:{_KIND}|to\s+{_VERB})\b",
    r"\b(?:something|anything|smth|sth)\s+(?:[\w-]+\s+){0,2}to\s+(?:play|watch|read|listen\s+to|binge)\b",
    rf"\bwhat(?:'s|’s|s|\s+is|\s+are|\s+be)\s+(?:a|an|some|the)\s+(?:[\w-]+\s+)?{_ADJ}\s+(?:[\w-]+\s+){{0,3}}"
    rf"(?:{_KIND})\b",
    r"\bsomething\s+(?:like|similar\s+to)\b[^.!]*\?",
    r"\bhelp\s+me\s+(?:pick|choose|find|decide\s+on)\s+(?:a|an|some|what|which|my|the)\b",
]
# Telling, not asking: the viewer recommends something, or talks about a recommendation already made.
_TELLS = [
    r"\b(?:i|we|i'd|i'll|id|i’d)\s+(?:\w+\s+)?(?:recommend|suggest)(?:ed|s)?\b(?!.*\?\s*$)",
    r"\b(?:recommended|suggested)\s+(?:by|to|me|us|it|this|that)\b",
    r"\b(?:thanks|thank\s+you|thx|ty)\b[^?]*\b(?:recommendation|rec|suggestion|pick)s?\b",
    rf"\b{_ME}\s+(?:recommended|suggested)\b",
    r"\b(?:recommended|minimum)\s+(?:specs|settings|requirements)\b",
    r"\bhighly\s+recommend\b",
    r"\b(?:you|y'?all|everyone|u|ya)\s+(?:should|gotta|must|need\s+to)\s+(?:try|play|watch|read|listen|check)\b",
    r"\bif\s+(?:anyone|any\s+of\s+you|you)\s+(?:needs?|wants?)\b",
]
# Things to recommend that no catalog holds: without a kind word, a message about them asks for something else.
_ELSEWHERE = (r"\b(?:pizza|food|restaurant|place|places|dinner|lunch|breakfast|recipe|name|names|build|builds|gpu|"
              r"cpu|pc|laptop|chair|headset|mouse|keyboard|monitor|setup|hardware|drink|drinks|snack|snacks|hotel|"
              r"car|phone|mod|mods|controller|webcam|mic|microphone|class|loadout|weapon|character)\b")
# The broad path, for the many other ways people ask: something to play, watch, read or hear is named (a kind,
# a music genre, "something like ...", "worth playing"), a request word or a question mark is there, and the
# message is no yes/no question, opinion poll, in-game question or talk of what someone is playing.
_MUSIC = (r"metal|lofi|lo-fi|jazz|rock|hip\s*hop|rap|edm|techno|classical|punk|synthwave|k-?pop|beats|"
          r"soundtracks?|ost|bangers|tunes")
_MEDIA = (rf"(?<![\w-])(?:{_KIND}|{_MUSIC})(?![\w-])|\b(?:something|smth|sth|anything|stuff|one)\s+(?:\w+\s+){{0,3}}"
          r"(?:like|similar\s+to)\b|\bto\s+(?:play|watch|read|listen\s+to|binge)\b|"
          r"\bworth\s+(?:playing|watching|reading|a\s+(?:watch|read|listen|play))\b|"
          r"\bi\s+(?:can|could)\s+(?:beat|play|finish|watch|read|binge)\b")
_REQUEST = (r"\?|\b(?:recs?|recommend\w*|suggest\w*|ideas?|gimme|give\s+me|need|needs|want|wanna|looking\s+for|"
            r"pick|choose|top\s+\d+|go|pls|plz|please|any|worth|hit\s+me|show\s+me|throw\s+(?:me|a|an|some)|help|"
            r"is\s+there|surprise\s+me|"
            r"for\s+(?:studying|coding|sleep|work|the\s+gym|leg\s+day|a\s+date|tonight|a\s+road\s+trip))\b")
_OTHER = [
    r"^(?:[@\w]+[,:]?\s+)?(?:is|was|are|were|do|does|did|has|have|had)\b(?!\s+there)",  # yes/no, opinion
    r"\bwhat\s+(?:[\w-]+\s+){0,2}(?:did|does|was|were|has|had)\b|\bwhat\s+(?:[\w-]+\s+){0,2}is\s+(?:that|this|it)\b",
    r"\b(?:do|did)\s+i\s+(?:love|like|enjoy|hate|prefer)\b|\bremember\b|\btold\s+(?:you|u)\b|\bwhich\s+(?:one\s+)?(?:is|was)\s+better\b|\bbetter\b[^?]*\bor\b",
    rf"\b{_ME}\s+(?:playing|watching|reading|listening|think|thought|like|liked|love|seen|played|watched|heard|"
    r"finished|tried|enjoy|enjoyed|favou?rite)\b|\b(?:your|ur)\s+(?:fav\w*|opinion|thoughts|take)\b",
    r"\bhow\s+(?:do|to|can|did|would)\s+(?:i|you|u|we)?\b|\b(?:tips?|builds?|boss|patch|update|dlc|trailer|"
    r"release\s+date|news|price|lag|fps|walkthrough|guide|cheats?)\b",
    r"\b(?:i'?m|i\s+am|currently|we'?re)\s+(?:playing|watching|reading|listening|streaming)\b",
    r"\b(?:you|y'?all|everyone|u|ya)\s+(?:should|gotta|must|need\s+to)\s+(?:try|play|watch|read|listen|check)\b",
]
MEDIA = re.compile(_MEDIA, re.IGNORECASE)
REQUEST = re.compile(_REQUEST, re.IGNORECASE)
OTHER = [re.compile(p, re.IGNORECASE) for p in _OTHER]
ASKS = [re.compile(p, re.IGNORECASE) for p in _ASKS]
TELLS = [re.compile(p, re.IGNORECASE) for p in _TELLS]
ELSEWHERE = re.compile(_ELSEWHERE, re.IGNORECASE)
KINDS = re.compile(rf"(?<![\w-])({_KIND})(?![\w-])", re.IGNORECASE)
VERBS = re.compile(r"\b(?:to|i|we)\s+(play|read|listen)\b", re.IGNORECASE)
MAX_CHARS = 400  # a long message is conversation, not a request


@dataclass(frozen=True)
class Ask:
    """A recommendation request found in chat: the kind asked for (None: any) and the words to rank by."""

    kind: str | None
    words: str

    @property
    def request(self) -> str:
        """As the recommend command takes it: the kind first, then what they're in the mood for."""
        return f"{self.kind} {self.words}".strip() if self.kind else self.words


def find_ask(text: str) -> Ask | None:
    plain = " ".join(text.split())
    if not plain or len(plain) > MAX_CHARS:
        return None
    if plain[0] in "!/" or any(p.search(plain) for p in TELLS):
        return None
    asked = any(p.search(plain) for p in ASKS) or (
        MEDIA.search(plain) is not None and REQUEST.search(plain) is not None
        and not any(p.search(plain) for p in OTHER))
    if not asked:
        return None
    found = KINDS.search(plain)
    if found is None and ELSEWHERE.search(plain):
        return None
    verb = VERBS.search(plain)
    kind = KIND_WORDS[found.group(1).lower()] if found else VERB_KINDS[verb.group(1).lower()] if verb else None
    return Ask(kind, plain)
