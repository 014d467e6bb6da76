"""How a history line is stored in a Redis list: compact JSON with one-letter fields (the Lua scripts that
forget a user read the same fields)."""

from __future__ import annotations

import json

from bot.memory.base import HistoryLine


def encode_line(line: HistoryLine) -> str:
    data: dict[str, str] = {"s": line.speaker, "n": line.name, "t": line.text}
    if line.uid:
        data["u"] = line.uid
    if line.account:
        data["a"] = line.account
    if line.message:
        data["m"] = line.message
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode_line(raw: str) -> HistoryLine:
    data = json.loads(raw)
    return HistoryLine(speaker="bot" if data.get("s") == "bot" else "user", name=str(data.get("n", "?")),
                       text=str(data.get("t", "")), uid=data.get("u"), account=data.get("a"), message=data.get("m"))
