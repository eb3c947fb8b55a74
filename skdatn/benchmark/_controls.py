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

``degrade_source`` goes from the real source to ``noise_source``'s: each source row
becomes ``(1 - level) * x + level * noise`` (the ``source_quality`` analysis).
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


def _source_blocks(split: Bunch) -> list[np.ndarray]:
    """The source rows of ``split``, dense: the labelled and unlabelled source
    rows, then the pairs' source side (when the split has pairs)."""
    blocks = [_dense(split.X_source.X)]
    if split.get("pairs") is not None:
        blocks.append(_dense(split.pairs.source))
    return blocks


def _source_noise(blocks: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Seeded Gaussian noise shaped as ``blocks``, with the per-feature mean and
    standard deviation of all their rows (the draw of :func:`noise_source`)."""
    rows = np.vstack(blocks)
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    rng = np.random.default_rng([seed, 1])
    return [rng.normal(mean, std, size=b.shape) for b in blocks]


def _with_source(split: Bunch, blocks: list[np.ndarray]) -> Bunch:
    """A copy of ``split`` whose source rows are ``blocks`` (as
    :func:`_source_blocks` orders them); labels and target sides kept."""
    changed = {"X_source": Domain(blocks[0], split.X_source.y)}
    if len(blocks) > 1:
        changed["pairs"] = Pairs(blocks[1], split.pairs.target)
    return _with_inputs(split, **changed)


def noise_source(split: Bunch, seed: int) -> Bunch:
    """``split`` with its source rows replaced by noise of the same mean and std.

    Every source row, labelled or not, and the source side of the pairs become
    independent Gaussian draws with the per-feature mean and standard deviation
    of all of the source's rows (dense, even for a sparse source); the source
    labels are kept. Seeded by ``seed``.
    """
    return _with_source(split, _source_noise(_source_blocks(split), seed))


def degrade_source(split: Bunch, seed: int, level: float) -> Bunch:
    """``split`` with its source rows mixed with :func:`noise_source`'s noise.

    Every source row ``x``, labelled or not, and the source side of the pairs
    become ``(1 - level) * x + level * noise``, where ``noise`` is the draw of
    ``noise_source(split, seed)``: ``level=1`` gives its rows exactly, ``level=0``
    the real ones. The rows are dense (even for a sparse source) and the source
    labels and target sides are kept.

    Parameters
    ----------
    split : Bunch
        A split of :func:`~skdatn.benchmark.build_task`.
    seed : int
        Seed of the noise.
    level : float
        Share of noise in the source rows, in [0, 1].

    Returns
    -------
    split : Bunch
        ``split`` itself when ``level`` is 0, else a copy with the mixed source.
    """
    level = float(level)
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"level must be in [0, 1], got {level!r}.")
    if level == 0.0:
        return split
    blocks = _source_blocks(split)
    noise = _source_noise(blocks, seed)
    mixed = [(1.0 - level) * b + level * n for b, n in zip(blocks, noise, strict=True)]
    return _with_source(split, mixed)


def shuffle_pairs(split: Bunch, seed: int) -> Bunch:
    """``split`` with the target side of its pairs permuted (seeded by ``seed``)."""
    pairs = split.pairs
    order = np.random.default_rng([seed, 2]).permutation(pairs.target.shape[0])
    return _with_inputs(split, pairs=Pairs(pairs.source, pairs.target[order]))


#: The controls of the benchmark, by method name.
CONTROLS = {"NoiseSource": noise_source, "ShuffledPairs": shuffle_pairs}
