"""Where the bot can speak unprompted (a story's next scene, when its vote closes): each adapter registers how
to open a reply sink for one of its channels."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.events import ReplySink
from bot.story.polls import PollBooth

log = logging.getLogger(__name__)

Outlet = Callable[[str], Awaitable[ReplySink | None]]  # channel id -> a sink that posts there, or None
# (channel id, title) -> a new place inside that channel for a story (a Discord thread): its id and how to
# point at it in chat; None where the platform has no such thing or may not make one.
Places = Callable[[str, str], Awaitable[tuple[str, str] | None]]
# (channel id, scene, votes per choice, closed) -> the tally shown on the scene's buttons (Discord).
Tally = Callable[[str, int, list[int], bool], Awaitable[None]]


class Outlets:
    def __init__(self) -> None:
        self._outlets: dict[str, Outlet] = {}
        self._polls: dict[str, PollBooth] = {}
        self._places: dict[str, Places] = {}
        self._tallies: dict[str, Tally] = {}
        self._owns: dict[str, Callable[[str], bool]] = {}

    def register(self, platform: str, outlet: Outlet, polls: PollBooth | None = None,
                 places: Places | None = None, tally: Tally | None = None,
                 owns: Callable[[str], bool] | None = None) -> None:
        """`owns`: whether this replica serves a channel now (Twitch channels are shared out between
        replicas); without it, every channel of the platform."""
        self._outlets[platform] = outlet
        if owns is not None:
            self._owns[platform] = owns
        if polls is not None:
            self._polls[platform] = polls
        if places is not None:
            self._places[platform] = places
        if tally is not None:
            self._tallies[platform] = tally

    def unregister(self, platform: str) -> None:
        for table in (self._outlets, self._polls, self._places, self._tallies, self._owns):
            table.pop(platform, None)

    def shows_tally(self, platform: str) -> bool:
        return platform in self._tallies

    async def show_tally(self, platform: str, channel: str, scene: int, counts: list[int],
                         closed: bool = False) -> None:
        tally = self._tallies.get(platform)
        if tally is None:
            return
        try:
            await tally(channel, scene, counts, closed)
        except Exception:
            log.warning("could not show the tally in %s channel %s", platform, channel, exc_info=True)

    async def place(self, platform: str, channel: str, title: str) -> tuple[str, str] | None:
        """A place of its own for a story started in `channel` (a thread), or None: the channel itself."""
        places = self._places.get(platform)
        if places is None:
            return None
        try:
            return await places(channel, title)
        except Exception:
            log.exception("could not open a place for a story in %s channel %s", platform, channel)
            return None

    async def say(self, platform: str, channel: str, text: str, speaker: str = "Fireside") -> None:
        """One message, unprompted (a vote's outcome); nothing where the platform isn't served."""
        sink = await self.sink(platform, channel)
        if sink is None:
            return
        await sink.start(speaker)
        await sink.write(text)
        await sink.finish()

    def polls(self, platform: str) -> PollBooth | None:
        """The platform's native polls, where its adapter offers them."""
        return self._polls.get(platform)

    def serves(self, platform: str, channel: str) -> bool:
        """Whether this replica speaks in `channel`: a story's vote there is closed and its scene written here.
        A platform registered without `owns` (Discord) answers yes on every replica."""
        owns = self._owns.get(platform)
        return platform in self._outlets and (owns is None or owns(channel))

    async def sink(self, platform: str, channel: str) -> ReplySink | None:
        outlet = self._outlets.get(platform)
        if outlet is None:
            return None
        try:
            return await outlet(channel)
        except Exception:
            log.exception("could not open %s channel %s to speak in", platform, channel)
            return None
