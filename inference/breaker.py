"""A small circuit breaker: after repeated failures, fail fast for a while instead of piling up requests."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, failures_to_open: int = 5, cooldown: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = failures_to_open
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._down = 0  # of the failures in a row, how many were the server unreachable or erroring

    def retry_after(self) -> float | None:
        """Seconds until a request may try again, or None when the circuit is closed (or half-open)."""
        if self._opened_at is None:
            return None
        left = self._opened_at + self._cooldown - self._clock()
        return left if left > 0 else None

    @property
    def down(self) -> bool:
        """Mostly "down" failures opened it (users hear "I can't reach my thoughts"), not overload or slowness
        ("I'm swamped"): the two call for different patience, from users and from the operator."""
        return self._down * 2 > self._failures

    def record_success(self) -> None:
        self._failures = 0
        self._down = 0
        self._opened_at = None

    def record_failure(self, down: bool = False) -> None:
        self._failures += 1
        self._down += down
        if self._failures >= self._threshold:
            self._opened_at = self._clock()
