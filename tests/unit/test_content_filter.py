"""The content filter's word lists: leetspeak slurs are caught, codes and scores that only look like them
are not."""

from __future__ import annotations


async def test_codes_and_scores_are_no_slurs_but_leetspeak_slurs_are() -> None:
    from bot.safety.content_filter import ContentFilter

    words = ContentFilter(classifier=False)
    assert await words.verdict("c117 hello from the console") is None  # read as a slur before the soak found it
    assert await words.verdict("gg t17, 3-1 at 14:02") is None
    assert await words.verdict("you stupid b1tch") == "profanity"
