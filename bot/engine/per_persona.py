"""Things derived once per loaded persona (its prompt block, its out-of-character guard), kept until the
persona is reloaded: a reload makes a new LoadedPersona, so the identity check drops stale entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from personas.registry import LoadedPersona

T = TypeVar("T")


class PerPersona(Generic[T]):
    def __init__(self, make: Callable[[LoadedPersona], T], max_entries: int = 64) -> None:
        self._make = make
        self._max = max_entries
        self._items: dict[int, tuple[LoadedPersona, T]] = {}

    def __call__(self, loaded: LoadedPersona) -> T:
        cached = self._items.get(id(loaded))
        if cached is None or cached[0] is not loaded:
            if len(self._items) >= self._max:
                self._items.clear()
            cached = (loaded, self._make(loaded))
            self._items[id(loaded)] = cached
        return cached[1]
