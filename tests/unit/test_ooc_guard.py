"""The out-of-character guard's checks and the sentence gate."""

from __future__ import annotations

import pytest

from bot.engine.ooc_guard import OOCGuard, SentenceGate
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


def test_gate_releases_whole_sentences_and_stops_at_a_violation(guard: OOCGuard) -> None:
    gate = SentenceGate(guard)
    out = gate.feed("Hello there") + gate.feed("! How are you? As an AI, I ") + gate.feed("don't feel.")
    assert out == "Hello there! How are you? " and gate.violation == "assistant_boilerplate" and gate.released
    assert gate.flush() == ""


def test_gate_releases_long_run_ons_in_pieces(guard: OOCGuard) -> None:
    gate = SentenceGate(guard)
    out = gate.feed("word " * 40)
    assert out and len(out) <= 200 and out.endswith(" ")
    assert out + gate.flush() == "word " * 40


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
