"""The paper's task protocol (Table 2) as one function, shared by tests and benchmarks."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from .._holders import Domain, Pairs

_SIZE = [
    Interval(Integral, 0, None, closed="left"),
    Interval(Real, 0, 1, closed="both"),
]


@validate_params(
    {
        "X_source_view": ["array-like", "sparse matrix"],
        "X_target_view": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "n_target_labeled_per_class": [Interval(Integral, 1, None, closed="left")],
        "n_pairs": _SIZE,
        "n_source_labeled": _SIZE,
        "n_source_unlabeled": _SIZE,
        "n_target_unlabeled": _SIZE,
        "n_test": _SIZE,
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_transfer_task(
    X_source_view,
    X_target_view,
    y,
    *,
    n_target_labeled_per_class=3,
    n_pairs=0.2,
    n_source_labeled=0.2,
    n_source_unlabeled=0.15,
    n_target_unlabeled=0.15,
    n_test=0.25,
    random_state=None,
):
    """Split two paired views of the same items into one transfer task.

    Row i of ``X_source_view`` and row i of ``X_target_view`` must be the same
    item with label ``y[i]``. The items are split into disjoint sets, as in the
    paper's protocol (Table 2): labelled target rows (``n_target_labeled_per_class``
    of each class), pairs (both views), labelled source rows, unlabelled source
    rows, unlabelled target rows and target test rows. Sizes are counts (int)
    or fractions of all rows (float).

    Parameters
    ----------
    X_source_view, X_target_view : {array-like, sparse matrix} of shape (n_items, n_features)
        The two views of the items.
    y : array-like of shape (n_items,)
        Labels of the items.
    n_target_labeled_per_class : int, default=3
        Labelled target rows per class.
    n_pairs, n_source_labeled, n_source_unlabeled, n_target_unlabeled, n_test : int or float
        Sizes of the other sets (defaults 0.2, 0.2, 0.15, 0.15, 0.25 of all rows).
    random_state : int, RandomState instance or None, default=None
        Seed of the split.

    Returns
    -------
    task : Bunch
        ``X``, ``y`` (labelled target rows), ``X_source`` (a :class:`~skdatn.Domain`
        with the labelled and unlabelled source rows, ``-1`` for unlabelled),
        ``pairs`` (a :class:`~skdatn.Pairs`), ``X_unlabeled`` (a ``Domain``),
        ``X_test``, ``y_test``, ``fit_params`` (the keyword arguments for ``fit``)
        and ``indices`` (the item indices of every set).

    Examples
    --------
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> task.X.shape, task.X_test.shape
    ((30, 76), (500, 76))
    >>> sorted(task.fit_params)
    ['X_source', 'X_unlabeled', 'pairs']
    """
    y = np.asarray(y)
    n = y.shape[0]
    for name, view in (
        ("X_source_view", X_source_view),
        ("X_target_view", X_target_view),
    ):
        if view.shape[0] != n:
            raise ValueError(
                f"{name} has {view.shape[0]} rows but y has {n}; the views must be paired with y."
            )
    rng = check_random_state(random_state)

    labeled, rest = _labeled_and_rest(y, n_target_labeled_per_class, rng)

    sizes = {
        "test": n_test,
        "pairs": n_pairs,
        "source_labeled": n_source_labeled,
        "source_unlabeled": n_source_unlabeled,
        "target_unlabeled": n_target_unlabeled,
    }
    sizes = {k: _count(v, n) for k, v in sizes.items()}
    if sum(sizes.values()) > rest.size:
        raise ValueError(
            f"The requested sets need {sum(sizes.values())} items besides the "
            f"{labeled.size} labelled target rows, but only {rest.size} are left "
            f"({sizes})."
        )
    indices = {"target_labeled": labeled}
    start = 0
    for key, size in sizes.items():
        indices[key] = rest[start : start + size]
        start += size

    def rows(view, key):
        return view[indices[key]]

    src_idx = np.concatenate([indices["source_labeled"], indices["source_unlabeled"]])
    X_source = Domain(X_source_view[src_idx], _source_labels(y, indices))
    pairs = Pairs(rows(X_source_view, "pairs"), rows(X_target_view, "pairs"))
    X_unlabeled = Domain(rows(X_target_view, "target_unlabeled"))
    return Bunch(
        X=rows(X_target_view, "target_labeled"),
        y=y[labeled],
        X_source=X_source,
        pairs=pairs,
        X_unlabeled=X_unlabeled,
        X_test=rows(X_target_view, "test"),
        y_test=y[indices["test"]],
        fit_params={"X_source": X_source, "pairs": pairs, "X_unlabeled": X_unlabeled},
        indices=indices,
    )


def _labeled_and_rest(
    y: np.ndarray,
    n_per_class: int | None,
    rng,
    name: str = "n_target_labeled_per_class",
    what: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` items of each class drawn at random, sorted (every item
    when None), and the other items in random order; ``name`` is the argument
    named in the error, ``what`` the label array (e.g. "y_source")."""
    if n_per_class is None:
        labeled = np.arange(y.size)
    else:
        labeled = []
        for cls in np.unique(y):
            members = np.flatnonzero(y == cls)
            if members.size < n_per_class:
                of = f" of {what}" if what else ""
                label = cls.item() if isinstance(cls, np.generic) else cls
                raise ValueError(
                    f"Class {label!r}{of} has {members.size} items, fewer than "
                    f"{name}={n_per_class}."
                )
            labeled.append(rng.choice(members, n_per_class, replace=False))
        labeled = np.sort(np.concatenate(labeled))
    return labeled, rng.permutation(np.setdiff1d(np.arange(y.size), labeled))


def _source_labels(y: np.ndarray, indices: dict) -> np.ndarray:
    """The labels of the source rows: the labelled ones', then the unlabelled
    ones' mark (-1 for numeric labels, None for others)."""
    labeled, unlabeled = indices["source_labeled"], indices["source_unlabeled"]
    if y.dtype.kind in "iuf":
        return np.concatenate([y[labeled], np.full(unlabeled.size, -1, dtype=y.dtype)])
    return np.concatenate([y[labeled].astype(object), np.full(unlabeled.size, None)])


def _count(size, n: int) -> int:
    if isinstance(size, Real) and not isinstance(size, Integral):
        return int(round(size * n))
    return int(size)
