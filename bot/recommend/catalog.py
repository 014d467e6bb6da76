"""An operator's catalog (games, films, music, streams...) read from CSV, JSON or JSONL and checked whole: every
bad line and field is named, with its line number in the file, and a catalog with any error is refused whole,
so the one in service never changes half-way."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.recommend.age import AgeRatingError, age_in_years
from personas.registry import slug

REQUIRED = ("id", "title", "kind")
KNOWN = (*REQUIRED, "genres", "tags", "description", "year", "url", "age_rating", "popularity")
MAX_ITEMS = 200_000
MAX_ERRORS = 50  # named in full; past that, counted
TEXT_LIMITS = {"id": 120, "title": 300, "kind": 40, "description": 2000, "url": 500}
YEARS = (1800, 2100)


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    kind: str  # lower case: game, film, series, music, stream, book, or the operator's own word
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    year: int | None = None
    url: str = ""
    age: int | None = None  # years; None: suits everyone
    popularity: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # columns Fireside doesn't know, kept as given

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Item:
        data = json.loads(raw)
        data["genres"], data["tags"] = tuple(data.get("genres", ())), tuple(data.get("tags", ()))
        return cls(**data)


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line in the file (for JSON: where the item starts)
    field: str  # "" for the whole line
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field {self.field!r}" if self.field else "")
        return f"{where}: {self.message}"


class CatalogError(ValueError):
    """The catalog was refused; `problems` names each bad line and field."""

    def __init__(self, source: str, problems: list[Problem], total: int | None = None) -> None:
        self.source = source
        self.problems = problems[:MAX_ERRORS]
        count = total if total is not None else len(problems)
        more = f"\n  ... and {count - MAX_ERRORS} more" if count > MAX_ERRORS else ""
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''}, nothing imported:\n"
                         + "\n".join(f"  {p}" for p in self.problems) + more)


@dataclass(frozen=True)
class Catalog:
    name: str
    items: tuple[Item, ...]
    digest: str  # of the items as stored: re-importing the same content changes nothing

    @property
    def kinds(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return dict(sorted(counts.items()))


def read_catalog(path: Path, name: str | None = None) -> Catalog:
    """Read and check a catalog file; raises CatalogError naming every problem."""
    source = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(source, [Problem(0, "", f"can't be read: {exc.strerror or exc}")]) from exc
    return parse_catalog(data, source, slug(name or path.stem.split(".")[0]), _format_of(path))


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(suffix, "")


def parse_catalog(data: bytes, source: str, name: str, fmt: str = "") -> Catalog:
    text = _decode(data, source)
    if not text.strip():
        raise CatalogError(source, [Problem(1, "", "the file is empty: a catalog needs at least one item")])
    fmt = fmt or _sniff(text)
    rows = {"csv": _csv_rows, "tsv": _tsv_rows, "jsonl": _jsonl_rows, "json": _json_rows}.get(fmt)
    if rows is None:
        raise CatalogError(source, [Problem(0, "", "unknown format: name the file .csv, .json or .jsonl")])
    problems: list[Problem] = []
    items: list[Item] = []
    seen: dict[str, int] = {}
    for line, row in rows(text, problems):
        item = _item(row, line, problems)
        if item is None:
            continue
        if item.id in seen:
            problems.append(Problem(line, "id", f"duplicate id {item.id!r} (first on line {seen[item.id]})"))
            continue
        seen[item.id] = line
        items.append(item)
        if len(items) > MAX_ITEMS:
            problems.append(Problem(line, "", f"more than {MAX_ITEMS:,} items"))
            break
    if not items and not problems:
        problems.append(Problem(1, "", "no items in the file"))
    if problems:
        raise CatalogError(source, problems)
    items.sort(key=lambda i: i.id)
    digest = hashlib.sha256("\n".join(i.to_json() for i in items).encode("utf-8")).hexdigest()
    return Catalog(name=name, items=tuple(items), digest=digest)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CatalogError(source, [Problem(line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the "
                                                      "file as UTF-8")]) from None


def _sniff(text: str) -> str:
    start = text.lstrip()
    if start.startswith("["):
        return "json"
    if start.startswith("{"):
        first = start.splitlines()[0].strip()
        try:
            json.loads(first)
            return "jsonl"
        except (json.JSONDecodeError, RecursionError):
            return "json"
    return "csv"


Rows = Iterator[tuple[int, dict[str, Any]]]


def _tsv_rows(text: str, problems: list[Problem]) -> Rows:
    return _csv_rows(text, problems, delimiter="\t")


def _csv_rows(text: str, problems: list[Problem], delimiter: str = ",") -> Rows:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        problems.append(Problem(1, "", f"no header row ({exc})" if str(exc) else "no header row"))
        return
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        problems.append(Problem(1, "", f"the header lacks the required column{'s' if len(missing) > 1 else ''} "
                                       f"{', '.join(missing)} (it has: {', '.join(header)})"))
        return
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem(line, "", f"broken CSV: {exc} (an unclosed quote?)"))
            return
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(Problem(line, "", f"{len(values)} fields where the header has {len(header)}"))
            continue
        row: dict[str, Any] = dict(zip(header, values, strict=True))  # lists in CSV: words separated by |
        yield line, row


def _jsonl_rows(text: str, problems: list[Problem]) -> Rows:
    # Lines end at "\n" only: JSON text may hold U+2028 and other line separators raw.
    for number, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(Problem(number, "", f"invalid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except RecursionError:
            problems.append(Problem(number, "", "invalid JSON (nested too deeply)"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(number, "", "each line must be a JSON object"))
            continue
        yield number, row


def _json_rows(text: str, problems: list[Problem]) -> Rows:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(Problem(exc.lineno, "", f"invalid JSON ({exc.msg} at column {exc.colno})"))
        return
    except RecursionError:
        problems.append(Problem(1, "", "invalid JSON (nested too deeply)"))
        return
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        problems.append(Problem(1, "", 'expected a list of items, or {"items": [...]}'))
        return
    # Where each item starts, for line numbers: the decoder gives positions of top-level values.
    starts = _item_lines(text)
    for index, row in enumerate(data):
        line = starts[index] if index < len(starts) else 1
        if not isinstance(row, dict):
            problems.append(Problem(line, "", f"item {index + 1} is not an object"))
            continue
        yield line, row


def _item_lines(text: str) -> list[int]:
    """The line each item of a JSON list (or of {"items": [...]}) starts on, counted as the list is walked."""
    decoder = json.JSONDecoder()
    opening = _ITEMS.search(text) if text.lstrip().startswith("{") else None
    start = opening.end() - 1 if opening is not None else text.find("[")
    lines: list[int] = []
    position, line, counted = start + 1, 1, 0
    while 0 < position < len(text):
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        line += text.count("\n", counted, position)
        counted = position
        lines.append(line)
        try:
            _, position = decoder.raw_decode(text, position)
        except (json.JSONDecodeError, RecursionError):
            break
    return lines


_ITEMS = re.compile(r'"items"\s*:\s*\[')


def _item(row: dict[str, Any], line: int, problems: list[Problem]) -> Item | None:
    before = len(problems)
    values: dict[str, Any] = {}
    for key in REQUIRED:
        value = row.get(key)
        text = str(value).strip() if value is not None and not isinstance(value, dict | list) else ""
        if not text:
            problems.append(Problem(line, key, "missing (required: id, title, kind)"))
        values[key] = text
    for key, limit in TEXT_LIMITS.items():
        value = row.get(key, values.get(key, ""))
        if value is None:
            value = ""
        if isinstance(value, dict | list):
            problems.append(Problem(line, key, "must be text"))
            continue
        value = " ".join(str(value).split()) if key != "description" else str(value).strip()
        if len(value) > limit:
            problems.append(Problem(line, key, f"longer than {limit} characters"))
        values[key] = value
    for key in ("genres", "tags"):
        values[key] = tuple(_words(row.get(key), line, key, problems))
    values["year"] = _year(row.get("year"), line, problems)
    try:
        values["age"] = age_in_years(row.get("age_rating"))
    except AgeRatingError as exc:
        problems.append(Problem(line, "age_rating", str(exc)))
    values["popularity"] = _popularity(row.get("popularity"), line, problems)
    if len(problems) > before:
        return None
    return Item(id=values["id"], title=values["title"], kind=values["kind"].lower(), genres=values["genres"],
                tags=values["tags"], description=values["description"], year=values["year"], url=values["url"],
                age=values["age"], popularity=values["popularity"],
                extra={k: v for k, v in row.items() if k not in KNOWN and v not in (None, "")})


def _words(value: Any, line: int, key: str, problems: list[Problem]) -> Iterable[str]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = value.split("|")
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        problems.append(Problem(line, key, "must be a list of words (in CSV: separated by |)"))
        return ()
    return [" ".join(str(v).split()).lower() for v in value if str(v).strip()][:50]


def _year(value: Any, line: int, problems: list[Problem]) -> int | None:
    if value is None or value == "":
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        problems.append(Problem(line, "year", f"{value!r} is not a year"))
        return None
    if not YEARS[0] <= year <= YEARS[1]:
        problems.append(Problem(line, "year", f"{year} is not a year between {YEARS[0]} and {YEARS[1]}"))
        return None
    return year


def _popularity(value: Any, line: int, problems: list[Problem]) -> float:
    if value is None or value == "":
        return 0.0
    try:
        number = float(str(value).strip())
    except ValueError:
        problems.append(Problem(line, "popularity", f"{value!r} is not a number"))
        return 0.0
    if number < 0 or number != number or number == float("inf"):
        problems.append(Problem(line, "popularity", "must be a number of 0 or more"))
        return 0.0
    return number
