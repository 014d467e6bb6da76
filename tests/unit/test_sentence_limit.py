"""The persona's sentence limit on a streamed reply: where it cuts, however the text is split into pieces."""

from __future__ import annotations

import pytest

from bot.engine.sentence_limit import SentenceLimit

REPLY = "*antenna blinks*\n\nHey Sam! That jump was wild... Want tips? \"Go left.\" Then right."


def run(limit: SentenceLimit, text: str, size: int) -> str:
    out = "".join(limit.feed(text[i:i + size]) for i in range(0, len(text), size))
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_the_reply_ends_with_its_last_allowed_sentence_however_it_streams(size: int) -> None:
    limit = SentenceLimit(3)
    assert run(limit, REPLY, size) == "*antenna blinks*\n\nHey Sam! That jump was wild..."
    assert limit.reached


def test_closing_quotes_stay_and_a_reply_within_the_limit_is_untouched() -> None:
    assert run(SentenceLimit(5), REPLY, 4) == REPLY.removesuffix(" Then right.")
    short = SentenceLimit(5)
    assert run(short, "Hi! How are you", 3) == "Hi! How are you" and not short.reached


def test_no_limit_passes_everything() -> None:
    assert run(SentenceLimit(None), REPLY, 5) == REPLY
