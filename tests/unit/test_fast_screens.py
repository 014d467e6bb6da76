"""The fast word lists say what better-profanity says, on our adversarial corpus and on thousands of leetspeak
spellings of its own listed words (they differ only where better-profanity skips a last one-letter word); the
abuse classifier scored directly gives its package's numbers."""

from __future__ import annotations

import json
import random
from pathlib import Path

from better_profanity import Profanity

from bot.safety.content_filter import CHAT_WORDS
from bot.safety.moderation import FICTION_WORDS
from bot.safety.word_lists import FastWordList

CORPUS = Path(__file__).parents[1] / "data" / "adversarial.jsonl"
LEET = {"a": "@4*", "i": "1l*", "o": "0@*", "e": "3*", "s": "$5", "t": "7", "u": "v*"}


def _texts(listed: list[str]) -> list[str]:
    texts = [json.loads(line).get("text", "") for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(2026)
    for _ in range(2000):
        word = "".join(rng.choice(LEET.get(c, c) + c) if rng.random() < 0.4 else c for c in rng.choice(listed))
        texts.append(rng.choice(["I said ", "well, ", "", "that was "]) + word
                     + rng.choice([" ", ", ", "-", " ... "]) + rng.choice(["really", "ok", "job", "lol"]))
    return [*texts, "hello there friend", "Scunthorpe", "assassin", "class", "hand job", "hand_job", "sh1t", "c117"]


def test_the_stock_list_agrees_with_better_profanity() -> None:
    stock = Profanity()
    stock.load_censor_words(whitelist_words=[*FICTION_WORDS, *CHAT_WORDS])
    fast = FastWordList(stock)
    texts = _texts([str(w) for w in stock.CENSOR_WORDSET])
    assert [t for t in texts if fast.contains(t) != stock.contains_profanity(t)] == []
    assert sum(fast.contains(t) for t in texts) > 1500  # the generated spellings are found, not only passed


def test_an_operators_words_and_phrases_with_leetspeak() -> None:
    custom = Profanity()
    custom.load_censor_words(custom_words=["pineapple", "spoiler alert"])
    fast = FastWordList(custom)
    assert fast.contains("I love p1n3@pple pizza") and fast.contains("SPOILER ALERT: he dies")
    assert not fast.contains("apple pie") and not fast.contains("spoiler")


def test_better_profanitys_last_letter_quirk_is_not_copied() -> None:
    stock = Profanity()
    fast = FastWordList(stock)
    assert not stock.contains_profanity("as s") and fast.contains("as s")  # a last one-letter word, joined


def test_the_abuse_classifier_scored_directly_gives_the_packages_numbers() -> None:
    import numpy as np
    from profanity_check import predict_prob

    from bot.safety import abuse_classifier

    texts = [json.loads(line).get("text", "") or "." for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    scorer = abuse_classifier.load()
    assert scorer is not None and scorer is not predict_prob  # the direct path, not the fallback
    assert np.allclose(scorer(texts), predict_prob(texts), atol=1e-9)
