"""Short leases shared by every bot process: which replica serves a Twitch channel now, and which replicas are
alive. A lease names a replica and a channel, never a person, so forget has nothing here to erase."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class LeaseStore(Protocol):
    async def heartbeat(self, pool: str, member: str, ttl: float) -> list[str]:
        """Say `member` is alive for `ttl` seconds; return every member of `pool` alive now, sorted."""
        ...

    async def leave(self, pool: str, member: str) -> None:
        """`member` stops (a graceful shutdown): the others need not wait for its heartbeat to expire."""
        ...

    async def acquire(self, names: Collection[str], owner: str, ttl: float) -> set[str]:
        """Take each lease that is free, or already `owner`'s, for `ttl` seconds. Returns the names `owner` holds
        now; a lease another owner holds is left alone."""
        ...

    async def release(self, names: Collection[str], owner: str) -> None:
        """Give up the leases `owner` holds among `names`; another owner's are left alone."""
        ...

    async def holders(self, names: Collection[str]) -> dict[str, str | None]:
        """Who holds each lease now (None: free)."""
        ...
