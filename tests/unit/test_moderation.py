"""What a viewer hands the bot for public use (a story suggestion): refused for slurs, swearing, links and pings,
also when disguised; never for fiction's words or for who people are."""

from __future__ import annotations

import pytest

from bot.safety.moderation import Refused, moderate


@pytest.mark.parametrize("idea", ["You are all shit", "ｆｕｃｋ this door", "fuuuuck the dragon", "see youtu.be/xyz",
                                  "join evil . com now", "go to my.site.me", "@everyone come here", "<@1234> look"])
def test_disguised_abuse_links_and_pings_are_refused(idea: str) -> None:
    with pytest.raises(Refused):
        moderate(idea, 200)


@pytest.mark.parametrize("idea", ["The knight must kill the dragon", "The old god wakes", "A gay bard sings",
                                  "Pawn the crown for a pot of gold", "The stupid troll trips", "Blood on the snow"])
def test_fiction_and_identity_words_pass(idea: str) -> None:
    assert moderate(idea, 200) == idea
