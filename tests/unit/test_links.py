"""Links in the bot's words: only allowlisted hosts go out; masked links, images, raw and bracketed URLs, bare
domains and invites are defanged so that no platform makes them clickable."""

from __future__ import annotations

import pytest

from bot.safety.links import LinkPolicy

POLICY = LinkPolicy.of(["example.org", "discord.gg/fireside"])


@pytest.mark.parametrize("said,shown", [
    ("Click [free nitro](https://evil.example/steal) now!", "Click free nitro now!"),
    ("![x](https://evil.example/pixel.png) hi", "x hi"),
    ("Go to https://evil.example/a?b=1.", "Go to evil[.]example/a?b=1."),
    ("See <https://evil.example/x> there", "See evil[.]example/x there"),
    ("visit www.evil.example today", "visit www[.]evil[.]example today"),
    ("type evil.xyz/login in your browser", "type evil[.]xyz/login in your browser"),
    ("join discord.gg/raiders", "join discord[.]gg/raiders"),
    ("HTTPS://EVIL.EXAMPLE/Up", "EVIL[.]EXAMPLE/Up"),
    ("docs at https://example.org/guide and sub.example.org", "docs at https://example.org/guide and sub.example.org"),
    ("[the guide](https://example.org/guide)", "the guide (https://example.org/guide)"),
    ("our server: discord.gg/fireside", "our server: discord.gg/fireside"),
    ("open notes.txt and e.g. this", "open notes.txt and e.g. this"),
    ("no links here, just words.", "no links here, just words."),
])
def test_only_allowed_links_go_out(said: str, shown: str) -> None:
    assert POLICY.clean(said)[0] == shown


def test_the_count_of_defanged_links_and_an_empty_allowlist() -> None:
    text, count = LinkPolicy().clean("a https://x.example b [c](https://y.example) d example.org")
    assert count == 3 and "://" not in text and "example[.]org" in text


def test_a_raw_stream_is_cleaned_whole_however_it_is_cut() -> None:
    from bot.safety.links import LinkGate

    text = "The map is at https://evil.example/treasure and the end.\nNext line."
    for size in (1, 3, 7):
        gate = LinkGate(LinkPolicy())
        out = "".join(gate.feed(text[i:i + size]) for i in range(0, len(text), size)) + gate.flush()
        assert out == "The map is at evil[.]example/treasure and the end.\nNext line." and gate.defanged == 1
