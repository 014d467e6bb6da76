"""Thumbs up and down under recommendations: a pair per pick, each carrying the viewer it was for and a short code
of the item in its custom_id. They are DynamicItems registered on the client (discord/ui/dynamic.py), so a button
pressed after a restart still reaches the command table's `liked` or `nah`, and rates that very item even after
newer picks."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.events import RatingTarget

TEMPLATE = r"fireside:rate:(?P<account>[0-9]{1,20}):(?P<up>[ud]):(?P<code>[0-9a-f]{1,24})"
LABEL_CHARS = 40  # Discord allows 80; a row of two reads better short
NOT_YOURS = "These picks were for someone else: ask me for your own with /fireside recommend."


class RateButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=TEMPLATE):
    def __init__(self, account: str, up: bool, code: str, label: str | None = None, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(
            label=label[:LABEL_CHARS] if label else None, emoji="👍" if up else "👎", row=row,
            style=discord.ButtonStyle.success if up else discord.ButtonStyle.secondary,
            custom_id=f"fireside:rate:{account}:{'u' if up else 'd'}:{code}"))
        self.account = account
        self.up = up
        self.code = code

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> RateButton:
        return cls(match["account"], match["up"] == "u", match["code"], getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if str(interaction.user.id) != self.account:
            # Rating is the asker's alone: someone else's thumbs would reshape a taste that isn't theirs.
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return
        await interaction.client.fireside_command(interaction, "liked" if self.up else "nah",
                                                  {"which": f"pick:{self.code}"})


def rating_view(account: str, picks: tuple[RatingTarget, ...]) -> discord.ui.View:
    """Persistent (no timeout): a row per pick, its title on the thumbs up. Discord allows five rows."""
    view = discord.ui.View(timeout=None)
    for row, pick in enumerate(picks[:5]):
        view.add_item(RateButton(account, True, pick.code, f"{row + 1}. {pick.title}", row))
        view.add_item(RateButton(account, False, pick.code, None, row))
    return view
