"""Catalog files as operators write them: CSV, JSON and JSONL read to the same items, unknown columns kept, age
labels mapped to years; and every malformed file refused whole, naming each bad line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.recommend.age import AgeRatingError, age_in_years
from bot.recommend.catalog import CatalogError, parse_catalog, read_catalog

CSV = """id,title,kind,genres,year,age_rating,popularity,studio
celeste,Celeste,game,platformer|indie,2018,E10+,0.9,Maddy Makes Games
hades,Hades,Game,roguelike|action,2020,T,0.95,Supergiant
"spirited-away","Spirited Away",film,"animation|fantasy",2001,PG,0.97,Ghibli
"""


def test_csv_json_and_jsonl_read_to_the_same_items(tmp_path: Path) -> None:
    from_csv = parse_catalog(CSV.encode(), "starter.csv", "starter", "csv")
    rows = [{"id": i.id, "title": i.title, "kind": i.kind, "genres": list(i.genres), "year": i.year,
             "age_rating": {"celeste": "E10+", "hades": "T", "spirited-away": "PG"}[i.id],
             "popularity": i.popularity, "studio": i.extra["studio"]} for i in from_csv.items]
    from_json = parse_catalog(json.dumps({"items": rows}, indent=2).encode(), "s.json", "starter", "json")
    from_jsonl = parse_catalog("\n".join(json.dumps(r) for r in rows).encode(), "s.jsonl", "starter", "jsonl")
    assert from_csv.items == from_json.items == from_jsonl.items
    assert from_csv.digest == from_json.digest  # the same content, however it came: a re-import changes nothing
    hades = next(i for i in from_csv.items if i.id == "hades")
    assert hades.kind == "game" and hades.genres == ("roguelike", "action") and hades.age == 13
    assert hades.extra == {"studio": "Supergiant"}  # an unknown column, kept
    assert from_csv.kinds == {"film": 1, "game": 2}
    path = tmp_path / "starter.csv"
    path.write_text(CSV, encoding="utf-8-sig")  # a BOM, as Excel writes it
    assert read_catalog(path).items == from_csv.items


@pytest.mark.parametrize(("data", "fmt", "expected"), [
    ("id,title,kind,year\na,A,game,2020\nb,,game,2021\n", "csv", ["line 3, field 'title': missing"]),
    ("id,title,kind,year\na,A,game,twenty\nb,B,game,1066\n", "csv",
     ["line 2, field 'year': 'twenty' is not a year", "line 3, field 'year': 1066 is not a year between"]),
    ("id,title,kind\na,A,game\nb,B,film\na,C,game\n", "csv",
     ["line 4, field 'id': duplicate id 'a' (first on line 2)"]),
    ('id,title,kind\na,"A broken, quote,game\nb,B,game\n', "csv", ["line 2: broken CSV"]),
    ("id,title\na,A\n", "csv", ["line 1: the header lacks the required column kind"]),
    ('{"id": "a", "title": "A", "kind": "game"}\n{"id": "b", "title": "B", "kind": }\n', "jsonl",
     ["line 2: invalid JSON"]),
    ('[\n  {"id": "a", "title": "A", "kind": "game"},\n  {"id": "b", "kind": "game", "age_rating": "XYZ"}\n]',
     "json", ["line 3, field 'title': missing", "line 3, field 'age_rating': 'XYZ' is not a known age rating"]),
    ("", "csv", ["line 1: the file is empty"]),
    ("id,title,kind,popularity\na,A,game,-3\n", "csv", ["line 2, field 'popularity': must be a number of 0 or more"]),
])
def test_a_malformed_catalog_is_refused_whole_naming_each_line_and_field(data: str, fmt: str,
                                                                         expected: list[str]) -> None:
    with pytest.raises(CatalogError) as err:
        parse_catalog(data.encode(), "bad." + fmt, "bad", fmt)
    text = str(err.value)
    assert "nothing imported" in text
    for part in expected:
        assert part in text, (part, text)


def test_a_wrong_encoding_names_the_line() -> None:
    data = "id,title,kind\na,Café,game\n".encode("latin-1")
    with pytest.raises(CatalogError, match=r"line 2: not UTF-8 text \(byte 0xe9\)"):
        parse_catalog(data, "latin.csv", "latin", "csv")


@pytest.mark.parametrize(("label", "years"), [("E10+", 10), ("pegi 16", 16), ("PG-13", 13), ("R", 17), ("12A", 12),
                                              ("TV-MA", 17), ("16+", 16), (18, 18), ("", None), (None, None)])
def test_age_ratings_become_years(label: object, years: int | None) -> None:
    assert age_in_years(label) == years


def test_an_unknown_age_rating_says_what_is_accepted() -> None:
    with pytest.raises(AgeRatingError, match="PEGI 12"):
        age_in_years("Kids")


@pytest.mark.parametrize(("data", "fmt", "expected"), [
    ('{"id": "a", "title": "A", "kind": "game", "age_rating": NaN}\n', "jsonl", "line 1, field 'age_rating'"),
    ("[" * 100_000 + "]" * 100_000, "json", "nested too deeply"),
    ('{"note": "a [ first", "items": [\n {"id": "a", "title": "A", "kind": "game"},\n {"id": "a", "title": "B", '
     '"kind": "game"}\n]}', "json", "line 3, field 'id': duplicate id 'a' (first on line 2)"),
])
def test_hostile_or_tricky_json_gets_a_named_problem_not_a_traceback(data: str, fmt: str, expected: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(expected)):
        parse_catalog(data.encode(), "x." + fmt, "x", fmt)


def test_tsv_and_line_separators_inside_json_lines() -> None:
    tsv = parse_catalog(b"id\ttitle\tkind\na\tA, with a comma\tgame\n", "x.tsv", "x", "tsv")
    assert tsv.items[0].title == "A, with a comma"
    jsonl = parse_catalog(json.dumps({"id": "a", "title": "Line\u2028Break", "kind": "game"},
                                     ensure_ascii=False).encode(), "x.jsonl", "x", "jsonl")
    assert jsonl.items[0].title == "Line Break"


def test_a_large_json_catalog_names_the_line_of_a_problem_at_its_end() -> None:
    # 20,000 items (line counting was quadratic once: minutes for this), the last a duplicate.
    rows = [{"id": str(i), "title": f"T{i}", "kind": "game"} for i in range(20_000)] + [{"id": "7", "title": "X",
                                                                                       "kind": "game"}]
    data = "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]"
    with pytest.raises(CatalogError, match=r"line 20002, field 'id': duplicate id '7' \(first on line 9\)"):
        parse_catalog(data.encode(), "big.json", "big", "json")
