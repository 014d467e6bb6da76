"""Lorebooks: the Character Card V2/V3 `character_book` shape, and SillyTavern's own world-info format.

Unknown fields are kept (extra="allow") so that a book exported again loses nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Position = Literal["before_char", "after_char"]
MAX_ENTRIES = 5000
MAX_LOREBOOK_BYTES = 20_000_000


class LorebookError(ValueError):
    """A lorebook is unreadable or invalid; the message names the file and field."""


def _as_list(value: Any) -> Any:
    """Keys sometimes arrive as one comma-separated string; None means no keys."""
    if value is None:
        return []
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    return value


class LoreEntry(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    keys: list[str] = Field(default_factory=list)
    content: str = ""
    extensions: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    insertion_order: float = 100
    case_sensitive: bool | None = None
    use_regex: bool = False
    constant: bool | None = None
    name: str | None = None
    priority: float | None = None
    id: int | str | None = None
    comment: str | None = None
    selective: bool | None = None
    secondary_keys: list[str] = Field(default_factory=list)
    position: Position | None = None

    @field_validator("keys", "secondary_keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("position", mode="before")
    @classmethod
    def _position(cls, value: Any) -> Any:
        # SillyTavern writes 0/1 for before/after and other numbers for depth-based slots.
        if value in (0, "0"):
            return "before_char"
        if value in (1, "1"):
            return "after_char"
        return value if value in ("before_char", "after_char") else None


class Lorebook(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str | None = None
    description: str | None = None
    scan_depth: int | None = Field(None, ge=0, le=1000)
    token_budget: int | None = Field(None, ge=0)
    recursive_scanning: bool | None = None
    extensions: dict[str, Any] = Field(default_factory=dict)
    entries: list[LoreEntry] = Field(default_factory=list, max_length=MAX_ENTRIES)


def from_sillytavern(data: dict[str, Any], name: str | None = None) -> Lorebook:
    """Convert SillyTavern's world-info file ({"entries": {"0": {uid, key, keysecondary, order, ...}}})."""
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, dict):
        raise LorebookError("'entries' must be an object keyed by uid in a SillyTavern world book")
    entries = []
    for uid, raw in sorted(raw_entries.items(), key=lambda kv: _sort_key(kv[0])):
        if not isinstance(raw, dict):
            raise LorebookError(f"entries.{uid}: must be an object")
        known = {"uid", "key", "keysecondary", "comment", "content", "constant", "selective", "order",
                 "position", "disable", "caseSensitive", "scanDepth", "matchWholeWords", "selectiveLogic",
                 "depth", "probability", "useProbability", "excludeRecursion", "useRegex"}
        extensions = {k: v for k, v in raw.items() if k not in known}
        for st_name, ext_name in (("scanDepth", "scan_depth"), ("matchWholeWords", "match_whole_words"),
                                  ("selectiveLogic", "selectiveLogic"), ("depth", "depth"),
                                  ("probability", "probability"), ("useProbability", "useProbability"),
                                  ("excludeRecursion", "exclude_recursion"), ("position", "position")):
            if raw.get(st_name) is not None:
                extensions[ext_name] = raw[st_name]
        entries.append({
            "id": raw.get("uid", uid), "keys": raw.get("key"), "secondary_keys": raw.get("keysecondary"),
            "comment": raw.get("comment"), "content": raw.get("content"), "constant": raw.get("constant"),
            "selective": raw.get("selective"), "insertion_order": raw.get("order", 100),
            "position": raw.get("position"), "enabled": not raw.get("disable", False),
            "case_sensitive": raw.get("caseSensitive"), "use_regex": bool(raw.get("useRegex", False)),
            "extensions": extensions,
        })
    return Lorebook.model_validate({"name": data.get("name", name), "entries": entries})


def parse_lorebook(data: Any, source: str, name: str | None = None) -> Lorebook:
    """A V3 `lorebook_v3` file, a bare character_book object, or a SillyTavern world-info file."""
    if not isinstance(data, dict):
        raise LorebookError(f"{source}: a lorebook must be a JSON object")
    try:
        if data.get("spec") == "lorebook_v3" and isinstance(data.get("data"), dict):
            return Lorebook.model_validate(data["data"])
        if isinstance(data.get("entries"), dict):
            return from_sillytavern(data, name)
        if isinstance(data.get("entries"), list):
            return Lorebook.model_validate(data)
    except LorebookError as exc:
        raise LorebookError(f"{source}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise LorebookError(f"{source}: field '{field}': {first['msg']}") from exc
    raise LorebookError(f"{source}: not a lorebook (no 'entries' list or object)")


def load_lorebook_file(path: Path) -> Lorebook:
    try:
        if path.stat().st_size > MAX_LOREBOOK_BYTES:
            raise LorebookError(f"{path}: larger than {MAX_LOREBOOK_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LorebookError(f"{path}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise LorebookError(f"{path}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise LorebookError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    return parse_lorebook(data, str(path), name=path.stem.split(".")[0])


def export_lorebook(book: Lorebook) -> dict[str, Any]:
    return {"spec": "lorebook_v3", "data": book.model_dump(mode="json", exclude_none=True)}


def _sort_key(uid: str) -> tuple[int, str]:
    return (int(uid), "") if uid.isdigit() else (1 << 30, uid)
