"""Forget wins over a summary fold in flight: the fold that read a forgotten user's lines is not written, and
the channel's lines are folded again without theirs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.memory.base import HistoryLine
from bot.memory.inmemory import World, in_memory_stores
from bot.memory.summary import Summariser
from inference.types import ChatMessage


class SlowModel:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.release = asyncio.Event()

    async def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], name: str,
                            max_tokens: int = 300) -> str:
        self.seen.append(messages[-1].content)
        await self.release.wait()
        return json.dumps({"summary": "Summary of: " + messages[-1].content.split("Older lines:\n", 1)[1]})


async def test_a_fold_in_flight_during_forget_is_redone_without_their_lines() -> None:
    stores = in_memory_stores(40, World())
    model = SlowModel()
    summariser = Summariser(stores.memory, model)
    lines = [HistoryLine("user", "Ann", "my address is 12 Elm St", "u-ann", "twitch:1"),
             HistoryLine("bot", "Pip", "noted, Ann"),
             HistoryLine("user", "Bob", "nice stream", "u-bob", "twitch:2")]
    fold = asyncio.ensure_future(summariser.fold("twitch", "100", lines))
    await asyncio.sleep(0.01)
    summariser.forget_account("twitch:1")  # forget arrives while the model writes the summary
    model.release.set()
    await fold
    assert await stores.memory.summary("twitch", "100") == ""  # the tainted summary was not written
    await summariser.drain()  # folded again, without Ann's line and the reply to it
    summary = await stores.memory.summary("twitch", "100")
    assert "Elm" not in summary and "Bob: nice stream" in summary and "noted" not in summary
