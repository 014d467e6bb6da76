"""Which uid an account had last time, so a turn can read the speaker's facts in the same round trip as the
rest. Only a hint: the read checks the alias too, and link, unlink and forget clear the entries they touch."""

from __future__ import annotations

from collections import OrderedDict


class UidCache:
    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._uids: OrderedDict[str, str] = OrderedDict()  # "platform:account" -> uid

    def get(self, account: str) -> str | None:
        uid = self._uids.get(account)
        if uid is not None:
            self._uids.move_to_end(account)
        return uid

    def put(self, account: str, uid: str) -> None:
        self._uids[account] = uid
        self._uids.move_to_end(account)
        while len(self._uids) > self.max_entries:
            self._uids.popitem(last=False)

    def drop(self, *accounts: str) -> None:
        for account in accounts:
            self._uids.pop(account, None)

    def drop_uid(self, uid: str) -> None:
        """Every account that pointed at this uid (merged away, or forgotten)."""
        for account in [a for a, u in self._uids.items() if u == uid]:
            del self._uids[account]
