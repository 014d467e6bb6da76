"""Prompt assembly in prefix-cache order: persona (with constant lore), channel summary, shared history, the
new line, then what belongs to this turn alone (triggered lore, the speaker's memory, instructions).

vLLM reuses whole blocks (32 tokens in our CPU profile) of an identical prefix, so everything that differs per
speaker or per turn comes last, and nothing before it carries timestamps, counters or ids.
"""

from __future__ import annotations

from typing import Literal

from bot.engine.per_persona import PerPersona
from bot.memory.base import HistoryLine, TurnContext
from inference.types import ChatMessage
from personas.activation import Activation
from personas.macros import expand
from personas.registry import LoadedPersona
from personas.schema import Persona

ContextPlacement = Literal["system", "user"]

# {{user}} in the shared prefix can't be the speaker's name (it differs per speaker and would break the
# cache), so stable parts speak of the chat's people in general.
GENERIC_USER = "User"


def default_system_prompt(name: str) -> str:
    """What {{original}} stands for in a card's system_prompt: Fireside's own system prompt."""
    return f"You are {name}. Stay in character as {name} at all times."


NO_LORE = Activation()


def persona_block(persona: Persona, lore: Activation = NO_LORE) -> str:
    """Part 1: the persona's system text with its constant lore. Identical for every request to it."""
    name = persona.name

    def x(text: str) -> str:
        return expand(text, char=name, user=GENERIC_USER).strip()

    original = default_system_prompt(name)
    system = persona.system_prompt.replace("{{original}}", original) if persona.system_prompt else original
    parts = [x(system)]
    parts.extend(x(entry) for entry in lore.constant_before)
    if persona.description:
        parts.append(f"About {name}: {x(persona.description)}")
    if persona.personality:
        parts.append(f"{name}'s personality: {x(persona.personality)}")
    if persona.scenario:
        parts.append(f"Scenario: {x(persona.scenario)}")
    parts.extend(x(entry) for entry in lore.constant_after)
    notes = persona.fireside.style_notes
    if notes:
        parts.append("Style: " + "; ".join(x(n) for n in notes) + ".")
    if persona.mes_example:
        example = x(persona.mes_example.replace("<START>", "").strip())
        parts.append(f"Example of how {name} talks:\n{example}")
    parts.append(
        "Several people talk in this chat. Each of their messages starts with the speaker's name and a "
        f"colon. Reply only as {name}, without a name prefix."
    )
    return "\n\n".join(p for p in parts if p)


def attributed(name: str, text: str) -> str:
    """`name: text` on one line, so that a user's own newline can't start a line that fakes a speaker."""
    return f"{name}: {' '.join(text.splitlines())}"


def history_message(line: HistoryLine) -> ChatMessage:
    if line.speaker == "bot":
        return ChatMessage("assistant", line.text)
    return ChatMessage("user", attributed(line.name, line.text))


class PromptBuilder:
    """Builds each turn's messages; caches the persona block, which is the same for every request."""

    def __init__(self, placement: ContextPlacement = "system") -> None:
        self.placement: ContextPlacement = placement
        self.block = PerPersona(lambda loaded: persona_block(loaded.persona, loaded.lore.constants))

    def build(self, loaded: LoadedPersona, ctx: TurnContext, speaker: str, text: str,
              speaker_notes: tuple[str, ...] = (), with_lore: bool = True) -> list[ChatMessage]:
        recent = [line.text for line in ctx.history] + [text]
        lore = loaded.lore.scan(recent) if with_lore else ()
        return build_messages(loaded.persona, ctx, speaker, text, speaker_notes, lore=lore,
                              system=self.block(loaded), placement=self.placement)


def build_messages(persona: Persona, ctx: TurnContext, speaker: str, text: str,
                   speaker_notes: tuple[str, ...] = (), lore: tuple[str, ...] = (),
                   system: str | None = None, placement: ContextPlacement = "system") -> list[ChatMessage]:
    system = system if system is not None else persona_block(persona)
    if ctx.summary:
        # Part 2: changes only when history is folded into the summary.
        system += f"\n\nEarlier in this chat (summary):\n{ctx.summary}"
    messages = [ChatMessage("system", system)]
    # Part 3: shared, append-only history; every line names its speaker.
    messages.extend(history_message(line) for line in ctx.history)
    # Parts 4 and 5: what belongs to this turn alone, last.
    context = [expand(entry, char=persona.name, user=speaker).strip() for entry in lore]
    context.extend(speaker_notes)
    if persona.post_history_instructions:
        instructions = persona.post_history_instructions.replace("{{original}}", "")
        context.append(expand(instructions, char=persona.name, user=speaker).strip())
    context = [c for c in context if c]
    turn = attributed(speaker, text)
    if context and placement == "system":
        # A late system message after the speaker's line, which stays exactly what they said. After it, not
        # before: the next turn's prompt holds this line too, so the cached prefix runs on through it.
        return [*messages, ChatMessage("user", turn), ChatMessage("system", "\n\n".join(context))]
    if context:
        # For chat templates that allow only one, leading, system message.
        turn = "[context for this reply, not said by anyone]\n" + "\n".join(f"- {c}" for c in context) + \
            "\n[end of context]\n" + turn
    messages.append(ChatMessage("user", turn))
    return messages
