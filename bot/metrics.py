"""Prometheus metrics for the bot process (exposed over HTTP by the operations work)."""

from __future__ import annotations

from prometheus_client import Counter

OOC_REPLIES = Counter(
    "fireside_out_of_character_total",
    "Replies caught out of character, by reason and what was done (regenerated, repaired)",
    ["reason", "action"],
)

COMMANDS = Counter(
    "fireside_commands_total",
    "Commands run, by command, platform and outcome (ok; not_done: refused, unconfirmed or cancelled; failed)",
    ["command", "platform", "outcome"],
)
