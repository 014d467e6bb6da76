"""Lorebook activation: keys, secondary keys, case, whole words, constants, scan depth, budget, regex,
decorators, recursion, and SillyTavern's world-info format."""

from __future__ import annotations

from typing import Any

from personas.activation import LoreScanner
from personas.lorebook import Lorebook, from_sillytavern, parse_lorebook


def book(*entries: dict[str, Any], **kw: Any) -> Lorebook:
    return Lorebook.model_validate({"entries": list(entries), **kw})


def entry(keys: list[str], content: str, **kw: Any) -> dict[str, Any]:
    return {"keys": keys, "content": content, "extensions": {}, "enabled": True, "insertion_order": 100, **kw}


def scan(b: Lorebook, *messages: str, **kw: Any) -> tuple[str, ...]:
    return LoreScanner([b], **kw).scan(list(messages))


def test_keyword_triggers_case_insensitively() -> None:
    b = book(entry(["dragon"], "Dragons sleep under the mountain."))
    assert scan(b, "Is there a DRAGON here?") == ("Dragons sleep under the mountain.",)
    assert scan(b, "no lizards today") == ()


def test_case_sensitive_entry() -> None:
    b = book(entry(["Rose"], "Rose is the queen.", case_sensitive=True))
    assert scan(b, "a rose by any name") == ()
    assert scan(b, "I met Rose") == ("Rose is the queen.",)


def test_whole_words_by_default_and_opt_out() -> None:
    b = book(entry(["power"], "P."), entry(["sun"], "S.", extensions={"match_whole_words": False}))
    assert scan(b, "I feel powerful on sunday") == ("S.",)


def test_multiword_and_symbol_keys() -> None:
    b = book(entry(["safe haven"], "Haven."), entry(["c++"], "Cpp."))
    assert scan(b, "we need a Safe Haven, and c++") == ("Haven.", "Cpp.")


def test_selective_secondary_keys() -> None:
    and_any = entry(["king"], "A.", selective=True, secondary_keys=["crown", "throne"])
    not_any = entry(["king"], "B.", selective=True, secondary_keys=["dead"], extensions={"selectiveLogic": 2})
    and_all = entry(["king"], "C.", selective=True, secondary_keys=["crown", "gold"],
                    extensions={"selectiveLogic": 3})
    b = book(and_any, not_any, and_all)
    assert scan(b, "the king sat") == ("B.",)
    assert scan(b, "the king's crown") == ("A.", "B.")
    assert scan(b, "the dead king's crown of gold") == ("A.", "C.")


def test_constant_entries_go_to_the_prefix_by_position() -> None:
    b = book(entry([], "Always before.", constant=True), entry([], "Always after.", constant=True,
                                                                position="after_char"),
             entry(["x"], "Triggered."))
    scanner = LoreScanner([b])
    assert scanner.constants.constant_before == ("Always before.",)
    assert scanner.constants.constant_after == ("Always after.",)
    assert scanner.scan(["x"]) == ("Triggered.",)  # constants are not repeated per turn


def test_disabled_entry_never_fires() -> None:
    assert scan(book(entry(["a"], "A.", enabled=False)), "a") == ()


def test_scan_depth_limits_how_far_back() -> None:
    b = book(entry(["dragon"], "D."), scan_depth=2)
    assert scan(b, "a dragon!", "hmm", "ok") == ()
    assert scan(b, "a dragon!", "hmm") == ("D.",)


def test_insertion_order_and_budget_drop_lowest_priority() -> None:
    b = book(entry(["a"], "Low " * 20, insertion_order=1, priority=1),
             entry(["a"], "High " * 20, insertion_order=2, priority=10),
             entry(["a"], "Mid " * 20, insertion_order=3, priority=5), token_budget=50)
    got = scan(b, "a")
    assert [g.split()[0] for g in got] == ["High", "Mid"]


def test_regex_keys_and_invalid_regex() -> None:
    b = book(entry(["/colou?r/i"], "Color.", use_regex=True), entry(["(unclosed"], "Never.", use_regex=True))
    assert scan(b, "what COLOR is it") == ("Color.",)


def test_decorators() -> None:
    b = book(entry(["zzz"], "@@activate\nAlways on."), entry(["a"], "@@dont_activate\nOff."),
             entry(["king"], "@@exclude_keys dead\nLong live."), entry(["q"], "@@additional_keys moon\nMoon."),
             entry(["x"], "@@unknown_thing 3\n@@@activate\nFallback on."))
    scanner = LoreScanner([b])
    assert scanner.constants.constant_before == ("Always on.", "Fallback on.")
    assert scanner.scan(["the king lives"]) == ("Long live.",)
    assert scanner.scan(["the king is dead"]) == ()
    assert scanner.scan(["the moon"]) == ("Moon.",)
    assert scanner.scan(["a"]) == ()


def test_recursive_scanning() -> None:
    b = book(entry(["castle"], "The castle has a dragon."), entry(["dragon"], "Dragons breathe fire."),
             recursive_scanning=True)
    assert scan(b, "the castle") == ("The castle has a dragon.", "Dragons breathe fire.")
    b2 = book(*b.model_dump()["entries"], recursive_scanning=False)
    assert scan(b2, "the castle") == ("The castle has a dragon.",)


def test_same_content_from_two_books_enters_once() -> None:
    a = book(entry(["forest"], "The forest is old."))
    assert LoreScanner([a, a]).scan(["forest"]) == ("The forest is old.",)


def test_sillytavern_world_info_conversion() -> None:
    st = {"entries": {"1": {"uid": 1, "key": ["moon"], "keysecondary": ["night"], "comment": "c",
                            "content": "Moon lore.", "constant": False, "selective": True, "order": 5,
                            "position": 1, "disable": False, "selectiveLogic": 0, "scanDepth": 4,
                            "matchWholeWords": None, "depth": 4, "group": "g1"},
                      "0": {"uid": 0, "key": "sun, star", "content": "Sun lore.", "disable": True}}}
    lb = from_sillytavern(st, name="Sky")
    assert lb.name == "Sky" and [e.id for e in lb.entries] == [0, 1]
    moon = lb.entries[1]
    assert moon.keys == ["moon"] and moon.secondary_keys == ["night"] and moon.position == "after_char"
    assert moon.insertion_order == 5 and moon.extensions["scan_depth"] == 4 and moon.extensions["group"] == "g1"
    assert lb.entries[0].keys == ["sun", "star"] and lb.entries[0].enabled is False
    assert scan(lb, "the moon at night") == ("Moon lore.",)


def test_parse_lorebook_v3_wrapper() -> None:
    lb = parse_lorebook({"spec": "lorebook_v3", "data": {"entries": [entry(["a"], "A.")]}}, "f.json")
    assert scan(lb, "a") == ("A.",)


def test_budget_tie_goes_to_what_the_newest_message_triggered() -> None:
    b = book(entry(["forest"], "Forest " * 30), entry(["beast"], "Beast " * 30), token_budget=60)
    assert [g.split()[0] for g in scan(b, "the forest", "and a beast")] == ["Beast"]
    assert [g.split()[0] for g in scan(b, "a beast", "in the forest")] == ["Forest"]
