"""Reply discipline with the real SmolLM2, over one fixed 50-turn chat script: the share of replies within the
persona's sentence limit (the sidekick without the limit, then with it: before and after), the
out-of-character rate (the guard's flags), how often a reply speaks as a viewer or as anyone else, how often it
calls someone else by the persona's own name, and the tokens generated."""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
from importlib.resources import files
from pathlib import Path

from bench.real_servers import SERVED, metrics, real_servers
from bench.report import report
from bench.vllm_latency import flagged
from bot.adapters.console import BufferSink
from bot.events import Author, ChatEvent
from bot.text.sentences import split_sentences
from tests.support.app import fireside_app

VIEWERS = ["Maya", "Theo", "Jun", "Rosa", "Kofi"]
SCRIPT = [
    "hey pip, how's it going?", "did you see that jump??", "what game is this", "lol the boss is so mad",
    "pip what's your favourite snack", "I just got home from work, what did I miss", "is this the last level?",
    "can you hype up the streamer", "tell me a joke pip", "my cat just walked across my keyboard",
    "gg that was clean", "what should we name the new pet in game", "any tips for the ice cave?",
    "pip do you sleep", "first time here, hi everyone!", "this music slaps", "why is the sky purple in this game",
    "pip rate that dodge out of 10", "I'm learning to speedrun this", "we need a new strat for the bridge",
    "pip who is your best friend", "the chat is so wholesome today", "brb getting tea", "back! what happened",
    "I think the streamer is lost", "go left at the fork!", "pip do you like rhythm games",
    "what's the hardest boss so far", "my favourite part is the soundtrack", "pip say something nice about Rosa",
    "are robots allowed to eat cake", "it's raining here, cozy stream vibes", "how many deaths so far?",
    "pip can you sing", "I drew fan art of you pip", "this is my 100th stream!", "is there a secret ending",
    "what's your antenna for", "who's winning the bet?", "pip you're the best sidekick",
    "I have an exam tomorrow, wish me luck", "can we get a pip dance", "what's the plan after this game",
    "pip are you scared of the dark level", "I missed the last stream, was it good?",
    "the final boss music is epic", "pip tell me a fun fact", "I need a name for my new plant",
    "last run of the night?", "goodnight chat, goodnight pip!",
]
LIMIT = 3


def unlimited_sidekick(folder: Path) -> str:
    """The built-in sidekick as it was before the limit: the same file without its `max_sentences` line."""
    text = (files("personas.builtin") / "sidekick.yaml").read_text(encoding="utf-8")
    unlimited = re.sub(r"(?m)^\s*max_sentences:.*\n", "", text)
    if unlimited == text:
        raise SystemExit("the built-in sidekick has no max_sentences line to take out")
    (folder / "sidekick-unlimited.yaml").write_text(unlimited, encoding="utf-8")
    return "sidekick-unlimited"


_SPEAKER_LINE = re.compile(r"(?m)^\s*\**\s*([A-Z][\w'-]{1,20})\s*\**\s*:(?!//)")
_NOT_SPEAKERS = {"Pip", "Note", "Tip", "Ps", "Answer", "Hint", "Warning", "Update", "Edit", "Rating", "Score",
                 "Fact", "Question", "Bonus", "Step", "Verdict", "Also", "Example"}


def invented_speaker(reply: str) -> list[str]:
    """Lines the reply writes in someone else's name ("Mike: ...", "User: ..."), the persona's own excepted."""
    return [n for n in _SPEAKER_LINE.findall(reply) if n.capitalize() not in _NOT_SPEAKERS]


def own_name_for_other(reply: str, name: str) -> bool:
    """The persona calls someone else by its own name: "thanks, Pip!", "Hey Pip, ...", "Pip, you're right"."""
    greeting = r"hey|hi|hello|thanks|thank you|bye|goodnight|good night|night|ok|okay|yes|no|sure|well|oh|wow|" \
               r"good luck|congrats|aww|yay|welcome|sorry"
    return bool(re.search(rf"(?i)\b(?:{greeting})\s*,?\s+{name}\b(?!\s*:)|,\s*{name}\s*[!.?]|^\s*{name}\s*,"
                          rf"|\byou,?\s+{name}\b", reply))


async def run(base: str, redis_url: str, persona: str, folder: Path) -> dict[str, float]:
    replies: list[str] = []
    flags_before, tokens_before = flagged(), metrics(base).get("vllm:generation_tokens_total", 0.0)
    async with fireside_app(base, redis_url=redis_url, model=SERVED, memory={"facts": False},
                            chat={"persona": persona, "persona_dir": folder},
                            llm={"first_token_timeout": 300.0, "total_timeout": 600.0}) as app:
        for i, line in enumerate(SCRIPT):
            viewer = VIEWERS[i % len(VIEWERS)]
            sink = BufferSink()
            await app.dispatch(ChatEvent("console", f"discipline-{persona}", Author(viewer.lower(), viewer), line),
                               sink)
            replies.append("".join(sink.parts))
    as_viewer = re.compile(rf"(?im)^\s*\**\s*(?:{'|'.join(VIEWERS)})\s*:")
    return {
        "within_limit": sum(len(split_sentences(r)) <= LIMIT for r in replies) / len(replies),
        "sentences_mean": statistics.fmean(len(split_sentences(r)) for r in replies),
        "ooc_rate": (flagged() - flags_before) / len(replies),
        "speaks_as_viewer": sum(bool(as_viewer.search(r)) for r in replies) / len(replies),
        "invented_speaker": sum(bool(invented_speaker(r)) for r in replies) / len(replies),
        "own_name_for_other": sum(own_name_for_other(r, "Pip") for r in replies) / len(replies),
        "tokens_per_reply": (metrics(base).get("vllm:generation_tokens_total", 0.0) - tokens_before) / len(replies),
        "empty": sum(not r.strip() for r in replies) / len(replies),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, real_servers() as (base, redis_url):
        folder = Path(tmp)
        before = asyncio.run(run(base, redis_url, unlimited_sidekick(folder), folder))
        after = asyncio.run(run(base, redis_url, "sidekick", folder))
    report("reply_discipline", [
        ("within_limit_before", before["within_limit"], f"of {len(SCRIPT)} replies within {LIMIT} sentences, "
                                                        "the sidekick without its limit"),
        ("within_limit_after", after["within_limit"], "the same, with `max_sentences: 3`"),
        ("sentences_mean_before", before["sentences_mean"], "sentences a reply"),
        ("sentences_mean_after", after["sentences_mean"], "sentences a reply"),
        ("tokens_per_reply_before", before["tokens_per_reply"], "tokens generated (vLLM's /metrics)"),
        ("tokens_per_reply_after", after["tokens_per_reply"], "tokens generated: the stream closes at the limit"),
        ("ooc_rate_after", after["ooc_rate"], "replies the guard caught out of character"),
        ("ooc_rate_before", before["ooc_rate"], "the same, without the limit"),
        ("speaks_as_viewer_after", after["speaks_as_viewer"], "replies with a line in a viewer's name"),
        ("speaks_as_viewer_before", before["speaks_as_viewer"], "the same, without the limit"),
        ("invented_speaker_after", after["invented_speaker"], "replies with a line in anyone else's name"),
        ("invented_speaker_before", before["invented_speaker"], "the same, without the limit"),
        ("own_name_for_other_after", after["own_name_for_other"], "replies that call someone else Pip"),
        ("own_name_for_other_before", before["own_name_for_other"], "the same, without the limit"),
        ("empty_after", after["empty"], "replies with nothing shown"),
    ])


if __name__ == "__main__":
    main()
