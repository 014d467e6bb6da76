"""The command table as the README's Markdown table: `python -m bot.commands.docs`. A test keeps the README's
copy current, so the docs are generated from the one table too."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.commands.spec import PLATFORMS, CommandSpec, invocation
from bot.commands.table import CommandTable, command_table

BEGIN, END = "<!-- commands:begin -->", "<!-- commands:end -->"


def _how(spec: CommandSpec, platform: str) -> str:
    if not spec.on(platform):
        return "–"
    usage = spec.usage(invocation(platform, spec).removesuffix(spec.name))
    if platform == "discord" and spec.access == "everyone" and any(p.moderator for p in spec.params):
        # Members get the command without the moderators' options; /fireside-admin has them all.
        members = spec.for_members().usage(invocation(platform, spec).removesuffix(spec.name))
        admins = spec.for_moderators().usage(invocation(platform, spec, admin=True).removesuffix(spec.name))
        return f"`{members}`, `{admins}`"
    return f"`{usage}`"


def markdown(table: CommandTable) -> str:
    lines = [BEGIN, "| what | Discord | Twitch | console | who | answer |", "|---|---|---|---|---|---|"]
    for spec in table:
        who = "moderators" if spec.access == "moderator" else "everyone"
        if spec.access == "everyone" and any(p.moderator for p in spec.params):
            who = "everyone; moderators choose"
        answer = "private" if spec.private else "public"
        if spec.confirm:
            answer += ", asks first"
        if spec.cooldown:
            answer += f", {spec.cooldown:g} s cooldown"
        cells = [spec.description, *(_how(spec, p) for p in PLATFORMS), who, answer]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.extend(f"- Not on {platform}: `{spec.name}`, because {why}." for spec in table
                 for platform, why in spec.not_on.items())
    lines.append(END)
    return "\n".join(lines)


def write(readme: Path) -> None:
    """Replace the table in the README between its markers."""
    text = readme.read_text(encoding="utf-8")
    text = text[:text.index(BEGIN)] + markdown(command_table()) + text[text.index(END) + len(END):]
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write(Path(__file__).resolve().parents[2] / "README.md")
    else:
        print(markdown(command_table()))
