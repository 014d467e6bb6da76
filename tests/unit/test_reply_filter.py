"""The reply filter: strips the persona's own name prefix and stops at another speaker's line."""

from __future__ import annotations

from bot.engine.reply_filter import ReplyFilter


def _run(chunks: list[str], speakers: set[str] | None = None) -> tuple[str, bool]:
    f = ReplyFilter("Pip", speakers or {"alice", "Bob"})
    out = "".join(f.feed(c) for c in chunks) + f.flush()
    return out, f.stopped


def test_plain_reply_passes_unchanged() -> None:
    assert _run(["Hello ", "there, ", "alice!\nHow are you?"]) == ("Hello there, alice!\nHow are you?", False)


def test_leading_persona_name_is_stripped() -> None:
    assert _run(["Pi", "p: ", "hi!"]) == ("hi!", False)


def test_stops_at_a_known_speaker_line() -> None:
    assert _run(["Sure thing!\n", "bob", ": and then I"]) == ("Sure thing!\n", True)


def test_stops_at_an_invented_handle_line() -> None:
    assert _run(["Nice.\nnickelback_2018: no thanks"]) == ("Nice.\n", True)


def test_ordinary_colon_lines_survive() -> None:
    text = "Two options:\nLeft: the cave\nRight: the river"
    assert _run([text]) == (text, False)


def test_a_time_or_url_is_not_a_speaker() -> None:
    text = "See you at 10:30, ok?\nhttps://example.org"
    assert _run(list(text)) == (text, False)


def test_a_line_that_cannot_be_a_speakers_name_shows_at_once() -> None:
    f = ReplyFilter("Pip", {"Sam", "Mary Jane"})
    assert f.feed("Oh ") == "Oh "  # no speaker is called "Oh ...", and a handle has no space
    g = ReplyFilter("Pip", {"Sam", "Mary Jane"})
    assert g.feed("Hi!\nMary ") == "Hi!\n"  # may still be Mary Jane's line...
    assert g.feed("Jane: hi") == "" and g.stopped  # ...and is
