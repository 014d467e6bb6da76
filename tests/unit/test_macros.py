"""Card macros: {{char}}, {{user}}, <BOT>, <USER>, and {{original}} in system prompts."""

from __future__ import annotations

from bot.engine.prompt import build_messages, default_system_prompt, persona_block
from bot.memory.base import TurnContext
from personas.macros import expand
from personas.schema import Persona


def test_expand_all_forms() -> None:
    text = "{{char}} greets {{user}}; {{ Char }} and {{USER}}; <BOT> meets <USER>; {{random:a,b}} stays"
    assert expand(text, char="Ivy", user="Sam") == "Ivy greets Sam; Ivy and Sam; Ivy meets Sam; {{random:a,b}} stays"


def test_original_in_system_prompt() -> None:
    p = Persona(name="Ivy", system_prompt="{{original}} Also, never rhyme.")
    assert persona_block(p).startswith(default_system_prompt("Ivy") + " Also, never rhyme.")


def test_original_in_post_history_instructions_and_user_macro() -> None:
    p = Persona(name="Ivy", post_history_instructions="{{original}}Be kind to {{user}}.")
    msgs = build_messages(p, TurnContext(uid=None, history=(), summary=""), "Sam", "hi")
    assert msgs[-1].content == "Be kind to Sam." and msgs[-2].content == "Sam: hi"
