"""Where the bot can speak unprompted (a story's next scene, when its vote closes): each adapter registers how
to open a reply sink for one of its channels."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.events import ReplySink

log = logging.getLogger(__name__)

Outlet = Callable[[str], Awaitable[ReplySink | None]]  # channel id -> a sink that posts there, or None


class Outlets:
    def __init__(self) -> None:
        self._outlets: dict[str, Outlet] = {}

    def register(self, platform: str, outlet: Outlet) -> None:
        self._outlets[platform] = outlet

    def unregister(self, platform: str) -> None:
        self._outlets.pop(platform, None)

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
