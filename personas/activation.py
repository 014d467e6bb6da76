"""Which lorebook entries enter the prompt: constant ones always (in the stable prefix), keyword-triggered
ones when recent messages mention their keys (per turn), within a token budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inference.token_count import estimate_tokens  # the default when the served tokenizer is unknown
from personas.lorebook import Lorebook, LoreEntry

TokenCounter = Callable[[str], int]
MAX_REGEX_CHARS = 300
RECURSION_ROUNDS = 3
# SillyTavern's selectiveLogic for secondary keys.
AND_ANY, NOT_ALL, NOT_ANY, AND_ALL = 0, 1, 2, 3


@dataclass(frozen=True)
class _Compiled:
    entry: LoreEntry
    content: str  # decorators removed
    primary: re.Pattern[str] | None
    secondary: tuple[re.Pattern[str], ...]
    exclude: re.Pattern[str] | None
    logic: int
    scan_depth: int | None
    constant: bool
    order: float
    priority: float
    recursive: bool  # may be triggered by other entries' content


@dataclass(frozen=True)
class Activation:
    constant_before: tuple[str, ...] = ()
    constant_after: tuple[str, ...] = ()
    triggered: tuple[str, ...] = ()


@dataclass
class LoreScanner:
    books: Sequence[Lorebook]
    default_scan_depth: int = 3
    default_budget: int = 600
    count_tokens: TokenCounter = estimate_tokens
    _entries: list[_Compiled] = field(default_factory=list, init=False)
    _budget: int = field(default=0, init=False)
    _recursive: bool = field(default=False, init=False)
    _constants: Activation = field(default_factory=Activation, init=False)

    def __post_init__(self) -> None:
        budgets = [b.token_budget for b in self.books if b.token_budget]
        self._budget = min(budgets) if budgets else self.default_budget
        self._recursive = any(b.recursive_scanning for b in self.books)
        seen: set[str] = set()
        for book in self.books:
            depth = book.scan_depth if book.scan_depth is not None else self.default_scan_depth
            for entry in book.entries:
                compiled = _compile(entry, depth)
                # A card's own book and the world it links often share entries: each text goes in once.
                if compiled is not None and compiled.content not in seen:
                    seen.add(compiled.content)
                    self._entries.append(compiled)
        constants = self._fit([e for e in self._entries if e.constant], self._budget)
        self._constants = Activation(
            constant_before=tuple(e.content for e in constants if e.entry.position != "after_char"),
            constant_after=tuple(e.content for e in constants if e.entry.position == "after_char"),
        )
        self._left = self._budget - sum(self.count_tokens(e.content) for e in constants)

    @property
    def constants(self) -> Activation:
        return self._constants

    def scan(self, recent: Sequence[str]) -> tuple[str, ...]:
        """Triggered entries for a turn, given messages oldest-first (the new message last)."""
        active: list[_Compiled] = []
        seen: set[int] = set()
        newest = recent[-1:] if recent else []
        fresh: set[int] = set()  # triggered by the newest message: wins ties for the budget
        for i, item in enumerate(self._entries):
            if not item.constant and _matches(item, _window(recent, item.scan_depth)):
                active.append(item)
                seen.add(i)
                if _matches(item, _window(newest, item.scan_depth)):
                    fresh.add(id(item))
        if self._recursive:
            for _ in range(RECURSION_ROUNDS):
                text = "\n".join(e.content for e in active)
                found = [(i, e) for i, e in enumerate(self._entries)
                         if i not in seen and not e.constant and e.recursive and _matches(e, text)]
                if not found:
                    break
                for i, e in found:
                    seen.add(i)
                    active.append(e)
        return tuple(e.content for e in self._fit(active, self._left, fresh))

    def _fit(self, items: list[_Compiled], budget: int, fresh: set[int] | None = None) -> list[_Compiled]:
        """Drop the lowest-priority entries until the rest fit (on a tie, older triggers go first);
        keep insertion order for what stays."""
        fresh = fresh or set()
        kept = sorted(items, key=lambda e: (-e.priority, id(e) not in fresh, e.order))
        total = sum(self.count_tokens(e.content) for e in kept)
        while kept and total > budget:
            dropped = kept.pop()
            total -= self.count_tokens(dropped.content)
        return sorted(kept, key=lambda e: e.order)


def _window(recent: Sequence[str], depth: int | None) -> str:
    if depth is None:
        return "\n".join(recent)
    return "\n".join(recent[-depth:]) if depth > 0 else ""


def _matches(item: _Compiled, text: str) -> bool:
    if item.primary is None or not item.primary.search(text):
        return False
    if item.exclude is not None and item.exclude.search(text):
        return False
    if item.entry.selective and item.secondary:
        hits = [bool(p.search(text)) for p in item.secondary]
        if item.logic == AND_ALL:
            return all(hits)
        if item.logic == NOT_ANY:
            return not any(hits)
        if item.logic == NOT_ALL:
            return not all(hits)
        return any(hits)
    return True


def _compile(entry: LoreEntry, book_depth: int) -> _Compiled | None:
    if not entry.enabled:
        return None
    content, deco = _split_decorators(entry.content)
    if not content.strip() or "dont_activate" in deco:
        return None
    ext = entry.extensions
    case_sensitive = bool(entry.case_sensitive if entry.case_sensitive is not None else ext.get("case_sensitive"))
    whole = ext.get("match_whole_words")
    whole_words = True if whole is None else bool(whole)
    keys = [*entry.keys, *_csv(deco.get("additional_keys"))]
    primary = _pattern(keys, entry.use_regex, case_sensitive, whole_words)
    secondary = tuple(p for k in entry.secondary_keys
                      if (p := _pattern([k], entry.use_regex, case_sensitive, whole_words)) is not None)
    exclude = _pattern(_csv(deco.get("exclude_keys")), False, case_sensitive, whole_words)
    depth = _int(deco.get("scan_depth")) or _int(ext.get("scan_depth"))
    constant = (bool(entry.constant) and not entry.use_regex) or "activate" in deco
    if primary is None and not constant:
        return None
    logic = _int(ext.get("selectiveLogic")) or AND_ANY
    order = entry.insertion_order
    return _Compiled(
        entry=entry, content=content.strip(), primary=primary, secondary=secondary, exclude=exclude, logic=logic,
        scan_depth=depth if depth is not None else book_depth, constant=constant, order=order,
        priority=entry.priority if entry.priority is not None else order,
        recursive=not ext.get("exclude_recursion", False),
    )


_DECORATOR = re.compile(r"^@@(@?)([a-z_]+)(?:\s+(.*))?$")


def _split_decorators(content: str) -> tuple[str, dict[str, str]]:
    """Strip leading @@decorator lines; return the content and the decorators we understand."""
    known = {"activate", "dont_activate", "scan_depth", "additional_keys", "exclude_keys", "position", "depth"}
    found: dict[str, str] = {}
    lines = content.split("\n")
    i = 0
    pending_fallback = False
    while i < len(lines) and lines[i].startswith("@@"):
        m = _DECORATOR.match(lines[i].strip())
        i += 1
        if m is None:
            continue
        is_fallback, name, value = bool(m.group(1)), m.group(2), (m.group(3) or "").strip()
        if is_fallback and not pending_fallback:
            continue  # the decorator before it was understood: skip its fallbacks
        if name in known and name not in found:
            found[name] = value
            pending_fallback = False
        else:
            pending_fallback = True
    return "\n".join(lines[i:]).strip("\n"), found


def _pattern(keys: list[str], use_regex: bool, case_sensitive: bool, whole_words: bool) -> re.Pattern[str] | None:
    flags = 0 if case_sensitive else re.IGNORECASE
    parts = []
    for key in keys:
        key = key.strip()
        if not key:
            continue
        if use_regex:
            pattern, key_flags = _regex_key(key)
            if pattern is None or len(pattern) > MAX_REGEX_CHARS:
                continue
            try:
                re.compile(pattern)
            except re.error:
                continue  # the spec: an invalid regex key is simply not a match
            parts.append(f"(?:{pattern})" if not key_flags else f"(?{key_flags}:{pattern})")
        else:
            escaped = re.escape(key)
            if whole_words:
                escaped = (r"(?<!\w)" if key[0].isalnum() else "") + escaped + (r"(?!\w)" if key[-1].isalnum() else "")
            parts.append(escaped)
    if not parts:
        return None
    try:
        return re.compile("|".join(parts), flags)
    except re.error:
        return None


def _regex_key(key: str) -> tuple[str | None, str]:
    """SillyTavern writes regex keys as /pattern/flags; plain strings are patterns as they are."""
    if len(key) >= 2 and key.startswith("/") and key.rfind("/") > 0:
        end = key.rfind("/")
        flags = "".join(f for f in key[end + 1:] if f in "ims")
        return key[1:end], flags
    return key, ""


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _int(value: object) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
