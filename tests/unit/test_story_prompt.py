"""The narrator's history: scenes kept verbatim (so each prompt extends the last), folded into a line each of
the summary past the budget, down to half of it, so the prefix cache breaks once per fold, not every scene."""

from __future__ import annotations

from bot.story.model import Turn
from bot.story.narrator import fold_turns


def test_scenes_stay_verbatim_until_the_budget_then_the_oldest_fold_into_the_summary() -> None:
    turns = tuple(Turn(n, f"ask {n}", f"Scene {n} text. More of it." + "x" * 80) for n in range(1, 4))
    path = ("Go left.", "Climb.", "Wait.")
    kept, summary = fold_turns(turns, "", path, budget=1000)
    assert kept == turns and summary == ""  # within the budget: nothing changes, the prefix holds
    kept, summary = fold_turns(turns, "", path, budget=250)
    assert [t.number for t in kept] == [3]  # down to half the budget, the newest always kept
    assert summary == ("Scene 1: Scene 1 text. The audience chose: Go left.\n"
                       "Scene 2: Scene 2 text. The audience chose: Climb.")
    again, same = fold_turns((*kept, Turn(4, "ask 4", "Short.")), summary, (*path, "Run."), budget=250)
    assert [t.number for t in again] == [3, 4] and same == summary  # after a fold, scenes append again


def test_looping_choices_from_a_small_model_are_not_offered() -> None:
    from bot.story.narrator import _Choice, _distinct

    seen_from_smollm2 = [
        _Choice(label="Mira", text="The keeper is a sailor. The keeper is a sailor. The keeper is a sailor. A"),
        _Choice(label="Open it", text="Open the carved door and go down."),
        _Choice(label="Make camp", text="Make camp and wait for dawn"),  # the one-shot example, echoed
        _Choice(label="Open it!", text="Open the carved door and go down"),  # a repeat
        _Choice(label="Ring", text="Ring the bell three times, as the ship did."),
    ]
    assert [c.label for c in _distinct(seen_from_smollm2)] == ["Open it", "Ring"]
