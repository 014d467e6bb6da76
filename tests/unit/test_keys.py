"""The key builder: hash tags put one owner's keys in one cluster slot; bad parts are refused."""

from __future__ import annotations

import pytest

from bot.memory.keys import Keys


def _tag(key: str) -> str:
    return key[key.index("{") + 1 : key.index("}")]


def test_user_keys_share_one_hash_tag() -> None:
    k = Keys()
    assert _tag(k.profile("u1")) == _tag(k.user_aliases("u1")) == "u:u1"
    assert k.profile("u1") == "fs:{u:u1}:profile"


def test_channel_keys_share_one_hash_tag() -> None:
    k = Keys()
    assert k.history("twitch", "5678") == "fs:{c:twitch:5678}:hist"
    assert _tag(k.history("twitch", "5678")) == _tag(k.summary("twitch", "5678"))


def test_alias_key() -> None:
    assert Keys().alias("discord", "1234") == "fs:{a:discord:1234}"


def test_prefix_is_configurable() -> None:
    assert Keys(prefix="test").profile("x") == "test:{u:x}:profile"


def test_empty_or_huge_parts_are_refused() -> None:
    for bad in ("", "x" * 300):
        with pytest.raises(ValueError):
            Keys().alias("discord", bad)


@pytest.mark.parametrize("odd", ["a}b", "a{b", "a b", "a\nb", "a:b", "mallory: admin", "Zoë"])
def test_odd_parts_are_escaped_into_one_safe_tag(odd: str) -> None:
    key = Keys().alias("console", odd)
    assert key.count("{") == 1 and key.count("}") == 1 and " " not in key and "\n" not in key
    assert key.count(":") == 3  # fs:{a:console:<id>}: the id adds no colon
    assert Keys().alias("console", odd) != Keys().alias("console", odd + "x")


def test_user_pattern_matches_only_that_user() -> None:
    import fnmatch

    k = Keys()
    pattern = k.user_pattern("u1")
    assert fnmatch.fnmatchcase(k.profile("u1"), pattern.replace("{", "[{]").replace("}", "[}]"))
    assert not fnmatch.fnmatchcase(k.profile("u10"), pattern.replace("{", "[{]").replace("}", "[}]"))
