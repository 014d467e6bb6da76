"""The README's command table is generated from the command table: regenerate it with
`python -m bot.commands.docs --write` when a command changes."""

from __future__ import annotations

from pathlib import Path

from bot.commands.docs import BEGIN, END, markdown
from bot.commands.table import command_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_the_commands_as_declared() -> None:
    text = README.read_text(encoding="utf-8")
    current = text[text.index(BEGIN):text.index(END) + len(END)]
    assert current == markdown(command_table()), "README is stale: python -m bot.commands.docs --write"
