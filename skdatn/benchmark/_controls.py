"""Controls: the same task with the source made useless, to show that a gain is transfer.

A method that gains from a source must lose that gain when the source carries no
information about the target. Two controls replace part of a task and leave the
rest as it is:

- ``noise_source``: every source row (labelled, unlabelled and the pairs' source
  side) becomes seeded Gaussian noise with the source's per-feature mean and
  standard deviation; the source labels are kept. Whatever a method gains from
  this source is regularisation, not transfer.
- ``shuffle_pairs``: the pairs' target side is permuted, so that row i of the two
  sides are no longer the same item; the source itself is intact. Whatever a
  method gains here does not come through the correspondence of the pairs.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch

from .. import Domain, Pairs


def _dense(X) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)


def _with_inputs(split: Bunch, **changed) -> Bunch:
    """A copy of ``split`` whose fit inputs ``changed`` replace its own."""
    out = Bunch(**split)
    out.fit_params = {**split.fit_params, **changed}
    for key, value in changed.items():
        out[key] = value
    return out


def noise_source(split: Bunch, seed: int) -> Bunch:
    """``split`` with its source rows replaced by noise of the same mean and std.

    Every source row, labelled or not, and the source side of the pairs become
    independent Gaussian draws with the per-feature mean and standard deviation
    of all of the source's rows (dense, even for a sparse source); the source
    labels are kept. Seeded by ``seed``.
    """
    source = split.X_source
    pairs = split.pairs
    blocks = [_dense(source.X), _dense(pairs.source)]
    rows = np.vstack(blocks)
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    rng = np.random.default_rng([seed, 1])
    noise = [rng.normal(mean, std, size=b.shape) for b in blocks]
    return _with_inputs(
        split,
        X_source=Domain(noise[0], source.y),
        pairs=Pairs(noise[1], pairs.target),
    )


def shuffle_pairs(split: Bunch, seed: int) -> Bunch:
    """``split`` with the target side of its pairs permuted (seeded by ``seed``)."""
    pairs = split.pairs
    order = np.random.default_rng([seed, 2]).permutation(pairs.target.shape[0])
    return _with_inputs(split, pairs=Pairs(pairs.source, pairs.target[order]))


#: The controls of the benchmark, by method name.
CONTROLS = {"NoiseSource": noise_source, "ShuffledPairs": shuffle_pairs}
