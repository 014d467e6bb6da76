"""What moderators do on the platform reaches the bot's memory: a deleted message leaves the channel's history
(and everything waiting to be written or folded into the summary); a viewer banned, timed out or cleared loses
every line in that channel the same way."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.memory.base import HistoryLine, MemoryStore, MemoryUnavailable, TurnRecord, account_key
from bot.memory.ingest import Ingestor
from bot.memory.pending_turns import PendingTurns
from bot.memory.summary import Summariser
from bot.metrics import MODERATED_LINES

log = logging.getLogger(__name__)


class ModeratorActions:
    def __init__(self, memory: MemoryStore, ingestor: Ingestor, summariser: Summariser,
                 pending: PendingTurns) -> None:
        self.memory = memory
        self.ingestor = ingestor
        self.summariser = summariser
        self.pending = pending

    async def message_deleted(self, platform: str, channel: str, message_id: str) -> int:
        def line(ln: HistoryLine) -> bool:
            return ln.message == message_id

        def turn(r: TurnRecord) -> bool:
            return r.platform == platform and r.channel == channel and r.message_id == message_id

        return await self._drop("deleted", platform, channel, line, turn, message=message_id)

    async def user_removed(self, platform: str, channel: str, account_id: str) -> int:
        """Banned, timed out, or their messages cleared by a moderator."""
        account = account_key(platform, account_id)

        def line(ln: HistoryLine) -> bool:
            return ln.account == account

        def turn(r: TurnRecord) -> bool:
            return r.platform == platform and r.channel == channel and r.account_id == account_id

        return await self._drop("removed", platform, channel, line, turn, account=account)

    async def _drop(self, action: str, platform: str, channel: str, line: Callable[[HistoryLine], bool],
                    turn: Callable[[TurnRecord], bool], *, message: str | None = None,
                    account: str | None = None) -> int:
        dropped = self.ingestor.drop(platform, channel, account=account, message=message)
        self.summariser.drop(platform, channel, line)
        self.pending.purge(turn)
        try:
            dropped += await self.memory.drop_lines(platform, channel, account=account, message=message)
        except MemoryUnavailable as exc:
            log.warning("a moderator's %s in %s:%s could not reach the history: %s", action, platform, channel, exc)
        MODERATED_LINES.labels(action).inc(dropped)
        return dropped
