"""Story votes as buttons under a scene: one per choice, each carrying the scene and the choice in its
custom_id. They are DynamicItems registered on the client (ui/dynamic.py), so a button pressed after a restart
still reaches the command table's `vote`, like /fireside vote."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.adapters.discord.commands import run_command
from bot.events import PRIVATE_ANSWERS

TEMPLATE = r"fireside:vote:(?P<scene>[0-9]{1,4}):(?P<choice>[0-9])"
LABEL_CHARS = 80  # Discord's limit for a button label


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=TEMPLATE):
    def __init__(self, scene: int, choice: int, label: str, votes: int | None = None, closed: bool = False) -> None:
        tally = f" · {votes}" if votes is not None else ""
        super().__init__(discord.ui.Button(label=f"{choice}. {label}"[:LABEL_CHARS - len(tally)] + tally,
                                           style=discord.ButtonStyle.primary, disabled=closed,
                                           custom_id=f"fireside:vote:{scene}:{choice}"))
        self.scene = scene
        self.choice = choice

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> VoteButton:
        label = (getattr(item, "label", None) or "").rsplit(" · ", 1)[0]  # without the live tally
        return cls(int(match["scene"]), int(match["choice"]), label.partition(". ")[2] or label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        spec = client.table.get("vote")
        if spec is None:
            return
        await run_command(client.fireside_dispatch, interaction, spec, {"choice": self.choice, "scene": self.scene},
                          frozenset({PRIVATE_ANSWERS}))


def vote_view(labels: tuple[str, ...], scene: int, counts: Sequence[int] | None = None,
              closed: bool = False) -> discord.ui.View:
    """Persistent (no timeout): the buttons work until the vote closes, whatever happens to this process. With
    `counts`, each button shows its votes so far (the live tally); `closed` greys them out."""
    view = discord.ui.View(timeout=None)
    for number, label in enumerate(labels, 1):
        votes = counts[number - 1] if counts is not None and number <= len(counts) else None
        view.add_item(VoteButton(scene, number, label, votes, closed))
    return view


@dataclass
class Ballot:
    """The message carrying a scene's buttons, kept so the live tally can be edited into it."""

    scene: int
    labels: tuple[str, ...]
    message: discord.Message
    channel_id: int  # where the story is (a webhook message may not know its thread)
