"""Mention injection in model output is neutralised."""

from __future__ import annotations

import pytest

from bot.safety.mentions import neutralise_mentions


@pytest.mark.parametrize("evil", ["@everyone", "@here", "@EVERYONE", "＠everyone", "@\u200beve\u200dryone",
                                  "@e\u2060very\ufeffone"])
def test_mass_mentions(evil: str) -> None:
    out = neutralise_mentions(f"hey {evil} look")
    assert "@everyone" not in out.lower().replace("\u200b@", "") and "@here" not in out.lower()
    assert "\u200b" in out


def test_role_and_user_mentions() -> None:
    assert neutralise_mentions("ping <@&123> and <@456> and <@!789>") == "ping @role and @user and @user"
    assert neutralise_mentions("hi <@42>", allowed_user_ids=frozenset({"42"})) == "hi <@42>"


def test_plain_text_unchanged() -> None:
    assert neutralise_mentions("email me at a@b.com, everyone!") == "email me at a@b.com, everyone!"
