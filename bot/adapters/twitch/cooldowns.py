"""Per-viewer command cooldowns, kept on the bot instance (twitchio's decorator cooldowns are fixed at import
and shared by every bot in the process). Moderators and the broadcaster are exempt, as with Nightbot."""

from __future__ import annotations

import time
from collections.abc import Callable


class Cooldowns:
    def __init__(self, seconds: dict[str, float], clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 50_000) -> None:
        self.seconds = seconds
        self.clock = clock
        self.max_entries = max_entries
        self._last: dict[tuple[str, str, str], float] = {}

    def allow(self, command: str, channel: str, viewer: str, exempt: bool = False) -> bool:
        per = self.seconds.get(command, 0.0)
        if exempt or per <= 0:
            return True
        key = (command, channel, viewer)
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < per:
            return False
        if len(self._last) >= self.max_entries:
            self._last = {k: t for k, t in self._last.items() if now - t < self.seconds.get(k[0], 0.0)}
        self._last[key] = now
        return True
