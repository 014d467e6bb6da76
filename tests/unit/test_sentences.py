"""The one sentence rule that splitting, Twitch fitting and the out-of-character guard share."""

from __future__ import annotations

from bot.adapters.twitch.fit import fit_for_twitch
from bot.engine.hold_back import HoldBack
from bot.engine.ooc_guard import OOCGuard
from bot.text.sentences import sentence_ends, split_sentences
from bot.text.split import split_message
from personas.schema import Persona


def test_where_sentences_end() -> None:
    text = 'He said "hi." Then *she smiles.* Pi is 3.14, right?! Yes\nno'
    assert split_sentences(text) == ['He said "hi."', "Then *she smiles.*", "Pi is 3.14, right?!", "Yes", "no"]
    assert sentence_ends("Wait... what") == [8]  # an ellipsis ends once a space follows
    assert sentence_ends("3.") == []  # streamed: not an ending until whitespace follows


def test_the_three_users_agree() -> None:
    text = ('He said "hi." ' * 30).strip()
    assert all(part.endswith('"hi."') for part in split_message(text, 100))
    assert all(part.endswith('"hi."') for part in fit_for_twitch(text, limit=100))
    gate = HoldBack(OOCGuard(Persona(name="Pip"), ""))
    assert gate.feed('He said "hi." Th') == 'He said "hi." '  # a whole sentence shows at once
