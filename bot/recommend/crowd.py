"""The collaborative signal: items liked by viewers whose likes overlap this viewer's, as item-to-item cosine
similarity over who liked what. Computed per request from two sparse lists (who liked each item, what each
viewer liked) in a few numpy passes over the likes touched, so no item-by-item matrix is ever held."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float32]
Positions = npt.NDArray[np.int64]


FANS_SAMPLED = 500  # fans of one seed counted at most: a blockbuster's every fan adds cost, not information


def _gather(indptr: Positions, indices: Positions, rows: Positions,
            cap: int | None = None) -> tuple[Positions, Positions]:
    """The entries of `rows` in a compressed sparse layout (the first `cap` of each), and how many each gave."""
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts if cap is None else np.minimum(ends - starts, cap)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), lengths
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return indices[offsets + np.arange(total)], lengths


class Crowd:
    """Who liked what among a catalog index's items (by position). Empty when nobody has liked anything yet."""

    def __init__(self, n_items: int, likes: Iterable[Sequence[int]]) -> None:
        rows = [np.unique(np.asarray(row, dtype=np.int64)) for row in likes]
        rows = [r[(r >= 0) & (r < n_items)] for r in rows]
        rows = [r for r in rows if len(r)]
        self.n_items = n_items
        self.n_users = len(rows)
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        self.user_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.user_items = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)
        owners = np.repeat(np.arange(self.n_users, dtype=np.int64), lengths)
        order = np.argsort(self.user_items, kind="stable")
        self.item_users = owners[order]
        counts = np.bincount(self.user_items, minlength=n_items).astype(np.int64)
        self.item_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.fans = counts  # how many viewers liked each item
        self._norm = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)

    @classmethod
    def from_ids(cls, by_id: Mapping[str, int], n_items: int, liked: Iterable[Sequence[str]]) -> Crowd:
        """From each viewer's liked item ids; ids the index doesn't have (a catalog since replaced) are dropped."""
        return cls(n_items, ([by_id[i] for i in ids if i in by_id] for ids in liked))

    def scores(self, seeds: Sequence[int]) -> Scores:
        """score(i) = sum over seeds j of cos(i, j), where cos counts viewers who liked both, scaled to 0..1."""
        out = np.zeros(self.n_items, dtype=np.float32)
        seed = np.unique(np.asarray(seeds, dtype=np.int64))
        seed = seed[(seed >= 0) & (seed < self.n_items)]
        if self.n_users == 0 or len(seed) == 0:
            return out
        # Each viewer who liked a seed (a sample of its first fans, for a seed loved by thousands), weighted by
        # 1/sqrt(that seed's fans)...
        users, per_seed = _gather(self.item_ptr, self.item_users, seed, FANS_SAMPLED)
        if len(users) == 0:
            return out
        weight = np.bincount(users, weights=np.repeat(self._norm[seed], per_seed), minlength=self.n_users)
        active = np.flatnonzero(weight).astype(np.int64)
        # ...spreads that weight to everything else they liked, divided by sqrt(that item's fans).
        items, per_user = _gather(self.user_ptr, self.user_items, active)
        summed = np.bincount(items, weights=np.repeat(weight[active], per_user), minlength=self.n_items)
        out = (summed * self._norm).astype(np.float32)
        top = float(out.max())
        scaled: Scores = out / np.float32(top) if top > 0 else out
        return scaled

    def neighbour(self, item: int, seeds: Sequence[int]) -> tuple[int, int] | None:
        """The seed most often liked together with `item`, and by how many viewers; None when none is."""
        fans_of_item = set(self.item_users[self.item_ptr[item]:self.item_ptr[item + 1]].tolist())
        best: tuple[int, int] | None = None
        for s in seeds:
            if not 0 <= s < self.n_items or s == item:
                continue
            together = len(fans_of_item.intersection(self.item_users[self.item_ptr[s]:self.item_ptr[s + 1]].tolist()))
            if together and (best is None or together > best[1]):
                best = (int(s), together)
        return best
