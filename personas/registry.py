"""The persona registry: built-ins, persona folders (YAML, card JSON/PNG/CHARX) and lorebooks, reloaded
when their files change. A file that turns bad keeps its last good version in service."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from inference.token_count import estimate_tokens
from personas.activation import LoreScanner, TokenCounter
from personas.cards import CardError, load_card
from personas.loader import PersonaError, builtin_names, load_builtin, load_persona_file
from personas.lorebook import Lorebook, LorebookError, load_lorebook_file
from personas.schema import Persona

log = logging.getLogger(__name__)
PERSONA_SUFFIXES = (".yaml", ".yml", ".json", ".png", ".charx")


@dataclass(frozen=True, eq=False)
class LoadedPersona:
    """A persona ready for prompts: the card, its lore scanner, and where it came from."""

    key: str
    persona: Persona
    lore: LoreScanner
    source: str
    lore_files: tuple[tuple[Path, float], ...] = ()  # linked lorebooks and their mtimes when loaded

    def lore_changed(self) -> bool:
        return any(_mtime(path) != mtime for path, mtime in self.lore_files)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.strip().lower()).strip("-") or "persona"


def load_any(path: Path) -> Persona:
    """A persona from any supported file: YAML persona or a Character Card (JSON, PNG, CHARX)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_persona_file(path)
    try:
        return load_card(path)
    except CardError as exc:
        raise PersonaError(str(exc)) from exc


@dataclass
class PersonaRegistry:
    dirs: list[Path] = field(default_factory=list)
    lorebook_dir: Path | None = None
    count_tokens: TokenCounter = estimate_tokens
    check_interval: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, tuple[float, LoadedPersona]] = field(default_factory=dict, init=False)
    _problems: dict[str, str] = field(default_factory=dict, init=False)
    _books: dict[str, tuple[float, Lorebook]] = field(default_factory=dict, init=False)
    _last_check: dict[str, float] = field(default_factory=dict, init=False)

    def names(self) -> list[str]:
        found = set(builtin_names())
        for folder in self.dirs:
            if folder.is_dir():
                found.update(slug(p.stem) for p in folder.iterdir() if p.suffix.lower() in PERSONA_SUFFIXES)
        return sorted(found)

    @property
    def problems(self) -> dict[str, str]:
        """Files that failed to load, by persona key: shown by lint and admin commands."""
        return dict(self._problems)

    def get(self, name: str) -> LoadedPersona:
        return self._get(name, force=False)

    def _get(self, name: str, force: bool) -> LoadedPersona:
        key = slug(name)
        now = self.clock()
        cached = self._cache.get(key)
        # Looked up on every turn: the file system is only touched every check_interval seconds.
        if not force and cached is not None and now - self._last_check.get(key, 0.0) < self.check_interval:
            return cached[1]
        self._last_check[key] = now
        path = self._find(key)
        if path is None:
            if key in builtin_names():
                return self._cached(key, 0.0, lambda: load_builtin(key), f"built-in:{key}", force)
            raise PersonaError(f"no persona named {name!r}; available: {', '.join(self.names())}")
        try:
            mtime = path.stat().st_mtime
        except OSError as exc:
            raise PersonaError(f"{path}: cannot read it ({exc.strerror})") from exc
        stale_lore = cached is not None and cached[1].lore_changed()
        return self._cached(key, mtime, lambda: load_any(path), str(path), force or stale_lore)

    def reload(self) -> dict[str, str]:
        """Load every persona and lorebook again; a file that fails keeps its last good version in service.
        Returns the problems found."""
        self._books.clear()
        self._problems.clear()
        for name in self.names():
            try:
                self._get(name, force=True)
            except PersonaError as exc:
                self._problems[slug(name)] = str(exc)
        return self.problems

    def _cached(self, key: str, mtime: float, load: Callable[[], Persona], source: str,
                force: bool = False) -> LoadedPersona:
        cached = self._cache.get(key)
        if not force and cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            persona = load()
        except PersonaError as exc:
            self._problems[key] = str(exc)
            if cached is not None:
                log.error("persona %s failed to reload, keeping the last good version: %s", key, exc)
                return cached[1]
            raise
        self._problems.pop(key, None)
        scanner, lore_files = self._scanner(persona)
        loaded = LoadedPersona(key, persona, scanner, source, lore_files)
        self._cache[key] = (mtime, loaded)
        if cached is not None:
            log.info("persona %s reloaded from %s", key, source)
        return loaded

    def _scanner(self, persona: Persona) -> tuple[LoreScanner, tuple[tuple[Path, float], ...]]:
        books = [persona.character_book] if persona.character_book else []
        files: list[tuple[Path, float]] = []
        linked = list(persona.fireside.lorebooks)
        world = (persona.extensions.model_extra or {}).get("world")  # SillyTavern links a world book by name
        if isinstance(world, str) and world:
            linked.append(world)
        for name in linked:
            book = self._lorebook(name)
            if book is not None:
                books.append(book)
            if self.lorebook_dir is not None:
                path = self.lorebook_dir / f"{slug(name)}.json"
                files.append((path, _mtime(path)))
        return LoreScanner(books, count_tokens=self.count_tokens), tuple(files)

    def lorebook_names(self) -> list[str]:
        """Imported lorebooks (worlds a story can be set in)."""
        if self.lorebook_dir is None or not self.lorebook_dir.is_dir():
            return []
        return sorted(p.stem for p in self.lorebook_dir.glob("*.json"))

    def world(self, name: str) -> LoreScanner | None:
        """An imported lorebook as a world of its own (a story's), or None when there is no such lorebook."""
        key = slug(name)
        if key not in self.lorebook_names():
            return None
        book = self._lorebook(key)
        return LoreScanner([book], count_tokens=self.count_tokens) if book is not None else None

    def _lorebook(self, name: str) -> Lorebook | None:
        if self.lorebook_dir is None:
            return None
        path = self.lorebook_dir / f"{slug(name)}.json"
        if not path.is_file():
            log.warning("lorebook %r is linked but %s does not exist", name, path)
            return None
        mtime = path.stat().st_mtime
        cached = self._books.get(path.name)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            book = load_lorebook_file(path)
        except LorebookError as exc:
            log.error("lorebook %s failed to load: %s", path, exc)
            return cached[1] if cached else None
        self._books[path.name] = (mtime, book)
        return book

    def _find(self, key: str) -> Path | None:
        for folder in self.dirs:
            if not folder.is_dir():
                continue
            for suffix in PERSONA_SUFFIXES:
                for candidate in (folder / f"{key}{suffix}",):
                    if candidate.is_file():
                        return candidate
            for candidate in folder.iterdir():
                if candidate.suffix.lower() in PERSONA_SUFFIXES and slug(candidate.stem) == key:
                    return candidate
        return None
