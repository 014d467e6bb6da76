"""Prompt assembly in prefix-cache order: persona, channel summary, shared history, then this turn alone.

vLLM reuses whole 128-token blocks of an identical prefix, so everything that differs per speaker or
per turn comes last, and nothing before it carries timestamps, counters or ids.
"""

from __future__ import annotations

from bot.memory.base import HistoryLine, TurnContext
from inference.types import ChatMessage
from personas.macros import expand
from personas.schema import Persona

# {{user}} in the shared prefix can't be the speaker's name (it differs per speaker and would break the
# cache), so stable parts speak of the chat's people in general.
GENERIC_USER = "User"


def persona_block(persona: Persona) -> str:
    """Part 1: the persona's system text. Identical for every request to this persona."""
    name = persona.name

    def x(text: str) -> str:
        return expand(text, char=name, user=GENERIC_USER).strip()

    parts = [x(persona.system_prompt) or f"You are {name}. Stay in character as {name} at all times."]
    if persona.description:
        parts.append(f"About {name}: {x(persona.description)}")
    if persona.personality:
        parts.append(f"{name}'s personality: {x(persona.personality)}")
    if persona.scenario:
        parts.append(f"Scenario: {x(persona.scenario)}")
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
    return "\n\n".join(parts)


def attributed(name: str, text: str) -> str:
    """`name: text` on one line, so that a user's own newline can't start a line that fakes a speaker."""
    return f"{name}: {' '.join(text.splitlines())}"


def history_message(line: HistoryLine) -> ChatMessage:
    if line.speaker == "bot":
        return ChatMessage("assistant", line.text)
    return ChatMessage("user", attributed(line.name, line.text))


class PromptBuilder:
    """Builds each turn's messages; caches the persona block, which is the same for every request."""

    def __init__(self) -> None:
        self._blocks: dict[int, tuple[Persona, str]] = {}

    def block(self, persona: Persona) -> str:
        cached = self._blocks.get(id(persona))
        if cached is None or cached[0] is not persona:
            if len(self._blocks) > 64:
                self._blocks.clear()
            cached = (persona, persona_block(persona))
            self._blocks[id(persona)] = cached
        return cached[1]

    def build(self, persona: Persona, ctx: TurnContext, speaker: str, text: str,
              speaker_notes: tuple[str, ...] = ()) -> list[ChatMessage]:
        return build_messages(persona, ctx, speaker, text, speaker_notes, system=self.block(persona))


def build_messages(persona: Persona, ctx: TurnContext, speaker: str, text: str,
                   speaker_notes: tuple[str, ...] = (), system: str | None = None) -> list[ChatMessage]:
    system = system if system is not None else persona_block(persona)
    if ctx.summary:
        # Part 2: changes only when history is folded into the summary.
        system += f"\n\nEarlier in this chat (summary):\n{ctx.summary}"
    messages = [ChatMessage("system", system)]
    # Part 3: shared, append-only history; every line names its speaker.
    messages.extend(history_message(line) for line in ctx.history)
    # Parts 4 and 5: what belongs to this turn alone, last.
    context = [f"- {note}" for note in speaker_notes]
    if persona.post_history_instructions:
        context.append("- " + expand(persona.post_history_instructions, char=persona.name, user=speaker))
    turn = attributed(speaker, text)
    if context:
        turn = "[context for this reply, not said by anyone]\n" + "\n".join(context) + "\n[end of context]\n" + turn
    messages.append(ChatMessage("user", turn))
    return messages
