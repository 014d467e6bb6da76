"""Where the bot can speak unprompted (a story's next scene, when its vote closes): each adapter registers how
to open a reply sink for one of its channels."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.events import ReplySink
from bot.story.polls import PollBooth

log = logging.getLogger(__name__)

Outlet = Callable[[str], Awaitable[ReplySink | None]]  # channel id -> a sink that posts there, or None


class Outlets:
    def __init__(self) -> None:
        self._outlets: dict[str, Outlet] = {}
        self._polls: dict[str, PollBooth] = {}

    def register(self, platform: str, outlet: Outlet, polls: PollBooth | None = None) -> None:
        self._outlets[platform] = outlet
        if polls is not None:
            self._polls[platform] = polls

    def unregister(self, platform: str) -> None:
        self._outlets.pop(platform, None)
        self._polls.pop(platform, None)

    def polls(self, platform: str) -> PollBooth | None:
        """The platform's native polls, where its adapter offers them."""
        return self._polls.get(platform)

    def serves(self, platform: str) -> bool:
        return platform in self._outlets

    async def sink(self, platform: str, channel: str) -> ReplySink | None:
        outlet = self._outlets.get(platform)
        if outlet is None:
            return None
        try:
            return await outlet(channel)
        except Exception:
            log.exception("could not open %s channel %s to speak in", platform, channel)
            return None
