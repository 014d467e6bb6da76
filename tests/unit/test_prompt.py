"""Prompt assembly: prefix-cache order, speaker attribution, and nothing per-speaker before the turn."""

from __future__ import annotations

from bot.engine.prompt import PromptBuilder, build_messages, persona_block
from bot.memory.base import HistoryLine, TurnContext
from inference.types import ChatMessage
from personas.loader import load_builtin
from personas.registry import PersonaRegistry
from personas.schema import Persona


def _ctx(*lines: HistoryLine, summary: str = "") -> TurnContext:
    return TurnContext(uid=None, history=lines, summary=summary)


HISTORY = (
    HistoryLine("user", "alice", "I love Celeste", "u-a"),
    HistoryLine("bot", "Pip", "Great taste!"),
    HistoryLine("user", "bob", "hello all", "u-b"),
)


def test_order_is_persona_summary_history_then_turn() -> None:
    persona = load_builtin("sidekick")
    msgs = build_messages(persona, _ctx(*HISTORY, summary="They talked about games."), "carol", "hi Pip")
    assert msgs[0].role == "system"
    assert msgs[0].content.startswith(persona_block(persona))
    assert msgs[0].content.endswith("They talked about games.")
    assert [m.role for m in msgs[1:]] == ["user", "assistant", "user", "user", "system"]
    assert msgs[-2].content == "carol: hi Pip"  # the turn is exactly what was said
    assert msgs[-1].content == persona.post_history_instructions.replace("{{char}}", "Pip")


def test_every_history_line_names_its_speaker() -> None:
    msgs = build_messages(load_builtin("sidekick"), _ctx(*HISTORY), "carol", "hi")
    assert msgs[1].content == "alice: I love Celeste"
    assert msgs[2].content == "Great taste!"
    assert msgs[3].content == "bob: hello all"


def test_prefix_is_identical_for_different_speakers() -> None:
    persona = load_builtin("narrator")
    a = build_messages(persona, _ctx(*HISTORY), "alice", "go left", speaker_notes=("alice likes cats",))
    b = build_messages(persona, _ctx(*HISTORY), "bob", "go right", speaker_notes=("bob likes dogs",))
    assert a[:-2] == b[:-2]
    assert "alice likes cats" in a[-1].content and "alice likes cats" not in "".join(m.content for m in b)


def test_per_turn_context_comes_only_in_the_last_message_after_the_turn() -> None:
    msgs = build_messages(load_builtin("critic"), _ctx(*HISTORY), "carol", "recommend?",
                          speaker_notes=("carol likes horror",))
    assert all("carol likes horror" not in m.content for m in msgs[:-2])
    assert msgs[-1].role == "system" and "carol likes horror" in msgs[-1].content
    assert msgs[-2] == ChatMessage("user", "carol: recommend?")


def test_context_can_go_inside_the_user_turn_for_strict_templates() -> None:
    msgs = build_messages(load_builtin("critic"), _ctx(*HISTORY), "carol", "recommend?",
                          speaker_notes=("carol likes horror",), placement="user")
    assert [m.role for m in msgs].count("system") == 1
    last = msgs[-1].content
    assert last.index("carol likes horror") < last.index("carol: recommend?") and last.endswith("carol: recommend?")


def test_macros_are_expanded_in_the_persona_block() -> None:
    persona = Persona(name="Vex", system_prompt="You are {{char}} talking to {{user}}. <BOT> rules.")
    block = persona_block(persona)
    assert "You are Vex talking to User. Vex rules." in block
    assert "{{" not in block


def test_persona_block_has_no_card_metadata() -> None:
    persona = Persona(name="Vex", creator_notes="SECRET NOTES", tags=["tagzz"], creator="someone-x",
                      character_version="v9.9")
    block = persona_block(persona)
    for leaked in ("SECRET NOTES", "tagzz", "someone-x", "v9.9"):
        assert leaked not in block


def test_builder_caches_the_block_per_persona() -> None:
    builder = PromptBuilder()
    registry = PersonaRegistry()
    p1, p2 = registry.get("sidekick"), registry.get("critic")
    assert builder.block(p1) is builder.block(p1)
    assert builder.block(p2) != builder.block(p1)


def test_the_next_turns_prompt_extends_this_one_through_the_speakers_line() -> None:
    """The prefix cache reuses what the next prompt shares with this one: all of it but the per-turn context."""
    persona = load_builtin("sidekick")
    now = build_messages(persona, _ctx(*HISTORY), "carol", "hi Pip", speaker_notes=("carol likes cats",))
    after = (*HISTORY, HistoryLine("user", "carol", "hi Pip", "u-c"), HistoryLine("bot", "Pip", "Hey carol!"))
    nxt = build_messages(persona, _ctx(*after), "dave", "yo", speaker_notes=("dave likes dogs",))
    assert nxt[:len(now) - 1] == now[:-1]
    assert nxt[len(now) - 1] == ChatMessage("assistant", "Hey carol!")
