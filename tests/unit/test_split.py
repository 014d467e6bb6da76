"""Splitting replies to a platform limit: paragraphs, sentences, words, and never inside a code block."""

from __future__ import annotations

import random

from bot.text.split import split_message


def test_short_text_is_one_chunk() -> None:
    assert split_message("hello there", 2000) == ["hello there"]


def test_prefers_paragraphs_then_sentences_then_words() -> None:
    para = "First paragraph sentence one. Sentence two.\n\nSecond paragraph here."
    assert split_message(para, 50) == ["First paragraph sentence one. Sentence two.", "Second paragraph here."]
    sent = "One sentence is here. Another sentence follows it and is long."
    assert split_message(sent, 40) == ["One sentence is here.", "Another sentence follows it and is long."]
    words = "word " * 30
    out = split_message(words, 42)
    assert all(len(c) <= 42 for c in out) and " ".join(out) == words.strip()


def test_never_cuts_inside_a_code_block() -> None:
    text = "Here is code:\n```python\n" + "\n".join(f"x{i} = {i}" for i in range(10)) + "\n```\nAfter."
    out = split_message(text, 60)
    for chunk in out:
        assert chunk.count("```") % 2 == 0, chunk
        assert len(chunk) <= 60


def test_long_code_block_is_closed_and_reopened() -> None:
    code = "```js\n" + "\n".join(f"let v{i} = {i};" for i in range(200)) + "\n```"
    out = split_message(code, 300)
    assert len(out) > 1
    for chunk in out:
        assert len(chunk) <= 300 and chunk.startswith("```js\n") and chunk.endswith("```")


def test_giant_word_is_hard_cut() -> None:
    out = split_message("a" * 5000, 2000)
    assert [len(c) for c in out] == [2000, 2000, 1000]


def test_random_texts_respect_the_limit_and_lose_no_words() -> None:
    rng = random.Random(7)
    vocab = ["alpha", "beta.", "gamma!", "delta\n\n", "epsilon?", "zeta", "```py\nprint(1)\n```", "eta\n"]
    for _ in range(200):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 400)))
        limit = rng.choice([50, 100, 500, 2000])
        out = split_message(text, limit)
        assert all(len(c) <= limit for c in out)
        assert "".join(out).replace(" ", "").replace("\n", "") == text.strip().replace(" ", "").replace("\n", "")
