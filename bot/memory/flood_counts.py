"""Flood counts shared by every bot process: how many turns each limiter (a user, a channel, a server) let
through in one minute, all processes together. Names are pseudonymous digests, never ids."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

WINDOW_TTL = 150  # seconds a minute's count is kept: the minute itself, and some slack for clocks


class FloodCounts(Protocol):
    async def exchange(self, spent: Mapping[str, int], window: int, drop: Collection[str] = ()) -> dict[str, int]:
        """Add what this process let through in `window` (a minute number) to the shared counts and return each
        name's total, all processes together. Names in `drop` (a forgotten person's) are erased first."""
        ...
