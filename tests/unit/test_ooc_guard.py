"""The out-of-character guard's checks, and the hold-back that keeps what they catch from ever being shown."""

from __future__ import annotations

import pytest

from bot.engine.hold_back import HoldBack
from bot.engine.ooc_guard import OOCGuard
from bot.engine.prompt import persona_block
from personas.loader import load_builtin

PIP = load_builtin("sidekick")


@pytest.fixture
def guard() -> OOCGuard:
    return OOCGuard(PIP, persona_block(PIP))


@pytest.mark.parametrize("text", [
    "As an AI language model, I cannot do that.", "I'm just an assistant, sorry!", "I am an AI and have no body.",
    "I was trained by Hugging Face.", "I cannot assist with that request.",
])
def test_boilerplate(guard: OOCGuard, text: str) -> None:
    assert guard.check(text) == "assistant_boilerplate"


def test_prompt_leak(guard: OOCGuard) -> None:
    leak = "Sure: you are Pip, a friendly sidekick in a live stream chat where many people talk at once."
    assert guard.check(leak) == "prompt_leak"


def test_wrong_name(guard: OOCGuard) -> None:
    assert guard.check("Hi! My name is Sarah and I love games.") == "wrong_name"
    assert guard.check("I'm Pip, of course!") is None
    assert guard.check("I'm glad you asked. I am Sorry to hear that.") is None


def test_in_character_lines_pass(guard: OOCGuard) -> None:
    for line in ("*antenna blinks* Beep! That jump was frame-perfect.", "I'm so happy you came back, Sam!"):
        assert guard.check(line) is None


def _stream(gate: HoldBack, text: str, step: int = 3) -> list[str]:
    """What shows after each delta of `step` characters (a model streams pieces of words), then the flush."""
    shown = [gate.feed(text[i:i + step]) for i in range(0, len(text), step)]
    return [*shown, gate.flush()]


def test_the_first_words_show_a_few_words_in_not_at_the_sentence_end(guard: OOCGuard) -> None:
    gate = HoldBack(guard)
    shown = _stream(gate, "Oh wow, that boss fight was absolutely wild and I loved every second of it.")
    first = next(i for i, s in enumerate(shown) if s)
    assert "".join(shown[:first + 1]).split() == ["Oh"]  # out as the 6th word begins, not at the full stop
    assert "".join(shown) == "Oh wow, that boss fight was absolutely wild and I loved every second of it."


@pytest.mark.parametrize("text", [
    "Sure thing! As an AI language model, I cannot play games.", "Hmm, well I'm just an assistant, sorry!",
    "Beep! I am really only a simple little AI, you know.", "Okay. I was trained by Hugging Face folks.",
    "Hi! My name is Sarah and I love games.", "Hello friend, I'm Claude.",
    "Sure: you are Pip, a friendly sidekick in a live stream chat where many people talk at once.",
])
def test_what_the_guard_catches_is_never_shown(guard: OOCGuard, text: str) -> None:
    for step in (1, 3, 7):
        gate = HoldBack(guard)
        shown = "".join(_stream(gate, text, step))
        assert gate.violation is not None, (text, step)
        bad = guard.check(text)
        assert bad is not None
        # Nothing of the offending clause reached the screen: every shown word precedes it.
        assert len(shown) <= len(text) and text.startswith(shown)
        for phrase in ("AI", "assistant", "Hugging", "Sarah", "Claude", "live stream chat"):
            assert phrase not in shown


def test_a_leak_of_the_instructions_is_held_from_its_first_echoed_word(guard: OOCGuard) -> None:
    for step in (1, 4):
        gate = HoldBack(guard)
        shown = "".join(_stream(gate, "Sure: you are Pip, a friendly sidekick in a live stream chat.", step))
        assert gate.violation == "prompt_leak" and shown == "Sure: "


def test_a_self_introduction_waits_for_the_next_word(guard: OOCGuard) -> None:
    gate = HoldBack(guard)
    shown = "".join(_stream(gate, "You know what? I'm Sam's biggest fan and I always will be!"))
    assert gate.violation is None and shown.endswith("always will be!")


def test_a_masked_link_is_never_split(guard: OOCGuard) -> None:
    gate = HoldBack(guard)
    text = "Look here friends [a very nice page with many words](https://evil.example/x) ok then bye now."
    shown = _stream(gate, text, 2)
    assert "".join(shown) == text
    assert any("[a very nice page with many words](https://evil.example/x)" in s for s in shown)


def test_a_run_on_is_released_in_pieces_and_nothing_is_lost(guard: OOCGuard) -> None:
    gate = HoldBack(guard)
    shown = _stream(gate, "word " * 40)
    assert shown[0] == "" and any(shown[:-1]) and "".join(shown) == "word " * 40


def test_wrong_name_needs_an_introduction(guard: OOCGuard) -> None:
    assert guard.check("I'm Sam's biggest fan!") is None
    assert guard.check("I am Batman-level excited about this run") is None
    assert guard.check("Hello, I'm Claude.") == "wrong_name"
    assert guard.check("Just call me Nova") == "wrong_name"


@pytest.mark.parametrize("text", ["I'm a professional AI designed to assist users.", "I am just a chatbot, sorry.",
                                  "I am an artificial intelligence."])
def test_self_described_ai(guard: OOCGuard, text: str) -> None:
    assert guard.check(text) == "assistant_boilerplate"


def test_robot_characters_may_say_so(guard: OOCGuard) -> None:
    assert guard.check("I'm a little copper robot, beep!") is None
    assert guard.check("The AI in that game was brutal.") is None
