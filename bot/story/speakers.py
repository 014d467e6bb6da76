"""Who speaks in a scene: the narrator asks for a character's words on a line of their own ("Mira: Who goes
there?"); these lines name the story's characters, and on Discord each gets a voice of its own."""

from __future__ import annotations

import re

# A line that opens with a speaker: "Mira:", "**Old Tom:**", "Captain Vell: ...". Up to three capitalised words.
SPEAKER = re.compile(r"^\s*\**\s*(?P<name>[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,2})\s*\**\s*:\s*\**\s*")
NOT_NAMES = frozenset({"scene", "note", "choice", "choices", "option", "options", "chapter", "summary", "the end",
                       "narrator", "audience", "vote", "title", "setting", "premise", "story", "part", "act"})
MAX_CHARACTERS = 20  # kept in a story's state


def is_character(name: str, narrator: str) -> bool:
    return name != narrator and name.lower() not in NOT_NAMES


def speakers_in(text: str, narrator: str) -> list[str]:
    """The characters who speak a line of `text`, in order of first appearance."""
    found: list[str] = []
    for line in text.splitlines():
        match = SPEAKER.match(line)
        if match is not None and is_character(match["name"], narrator) and match["name"] not in found:
            found.append(match["name"])
    return found
