"""Per-user command cooldowns, kept by the command runner for every platform. Moderators are exempt, as with
Nightbot. In-process: each replica keeps its own (atomic limits shared in Redis are the rate limiter's job)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable


class Cooldowns:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = 50_000) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self._until: dict[Hashable, float] = {}

    def wait(self, key: Hashable, seconds: float) -> float:
        """0 when allowed now (and the cooldown starts), else the seconds left."""
        if seconds <= 0:
            return 0.0
        now = self.clock()
        until = self._until.get(key)
        if until is not None and now < until:
            return until - now
        if len(self._until) >= self.max_entries:
            self._until = {k: t for k, t in self._until.items() if t > now}
        self._until[key] = now + seconds
        return 0.0

    def refund(self, key: Hashable) -> None:
        """Nothing was done after all (a confirmation declined): the user may try again at once."""
        self._until.pop(key, None)
