"""The collaborative signal: item-to-item cosine over who liked what, checked against a plain dense computation."""

from __future__ import annotations

import numpy as np

from bot.recommend.crowd import Crowd


def dense_cosine_scores(n_items: int, likes: list[list[int]], seeds: list[int]) -> np.ndarray:
    matrix = np.zeros((len(likes), n_items))
    for row, items in enumerate(likes):
        matrix[row, items] = 1.0
    norms = np.sqrt(matrix.sum(axis=0))
    norms[norms == 0] = 1.0
    sim = (matrix.T @ matrix) / np.outer(norms, norms)
    out = sim[sorted(set(seeds))].sum(axis=0)
    return out / out.max() if out.max() > 0 else out


def test_scores_are_the_sum_of_cosine_similarities_to_the_seeds() -> None:
    rng = np.random.default_rng(3)
    likes = [sorted(set(rng.integers(0, 60, size=rng.integers(1, 12)).tolist())) for _ in range(80)]
    crowd = Crowd(60, likes)
    for seeds in ([1], [2, 7, 7], [5, 9, 33, 59]):
        assert np.allclose(crowd.scores(seeds), dense_cosine_scores(60, likes, seeds), atol=1e-5)


def test_what_fans_of_the_same_things_liked_comes_first() -> None:
    # Celeste (0) fans also liked Hollow Knight (1); fans of Stardew (2) liked Spiritfarer (3).
    crowd = Crowd(5, [[0, 1], [0, 1], [0, 1, 4], [2, 3], [2, 3]])
    scores = crowd.scores([0])
    assert int(np.argmax(np.where(np.arange(5) == 0, -1, scores))) == 1
    assert scores[3] == 0.0 and scores[2] == 0.0
    assert crowd.neighbour(1, [0, 2]) == (0, 3)
    assert crowd.neighbour(3, [0]) is None


def test_nobody_and_unknown_items_give_nothing() -> None:
    assert not Crowd(3, []).scores([0]).any()
    crowd = Crowd.from_ids({"a": 0, "b": 1}, 2, [["a", "b", "gone"], ["zzz"]])
    assert crowd.n_users == 1 and crowd.scores([0])[1] == 1.0
    assert not crowd.scores([]).any()
