"""The unpaired transfer task (CDLS / CDSPP protocol): two domains, no pairs."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _num_samples

from .._holders import Domain
from ._task import _SIZE, _count, _labeled_and_rest, _source_labels

_PER_CLASS = Interval(Integral, 1, None, closed="left")


@validate_params(
    {
        "X_source": ["array-like", "sparse matrix"],
        "y_source": ["array-like"],
        "X_target": ["array-like", "sparse matrix"],
        "y_target": ["array-like"],
        "n_source_labeled_per_class": [_PER_CLASS, None],
        "n_target_labeled_per_class": [_PER_CLASS],
        "n_source_unlabeled": _SIZE,
        "n_target_unlabeled": [*_SIZE, None],
        "n_test": [*_SIZE, None],
        "transductive": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_unpaired_task(
    X_source,
    y_source,
    X_target,
    y_target,
    *,
    n_source_labeled_per_class=20,
    n_target_labeled_per_class=3,
    n_source_unlabeled=0,
    n_target_unlabeled=None,
    n_test=None,
    transductive=True,
    random_state=None,
):
    """Split a source and a target domain with no common item into a transfer task.

    The protocol of semi-supervised heterogeneous domain adaptation without
    pairs, as in CDLS (Hubert Tsai et al., CVPR 2016) and CDSPP (Wang and
    Breckon, Pattern Recognition 2022) on Office-Caltech10:

    - source: ``n_source_labeled_per_class`` labelled rows of each class of
      ``y_source``, drawn at random; the other source rows are not used,
      unless ``n_source_unlabeled`` keeps some of them as unlabelled source
      rows;
    - target: ``n_target_labeled_per_class`` labelled rows of each class of
      ``y_target``, drawn at random; the remaining target rows are the test
      rows. With ``transductive=True`` (the papers' setting) the test rows are
      also the unlabelled target rows given to ``fit``; with
      ``transductive=False`` the remaining rows are split into disjoint test and
      unlabelled sets.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_source_features)
        The rows of the source domain.
    y_source : array-like of shape (n_source,)
        Their labels (every source row labelled).
    X_target : {array-like, sparse matrix} of shape (n_target, n_target_features)
        The rows of the target domain: its feature space may differ from the
        source's, and no row is the same item as a source row.
    y_target : array-like of shape (n_target,)
        Their labels.
    n_source_labeled_per_class : int or None, default=20
        Labelled source rows per class; ``None`` labels every source row.
    n_target_labeled_per_class : int, default=3
        Labelled target rows per class.
    n_source_unlabeled : int or float, default=0
        Source rows beyond the labelled ones, kept in ``X_source`` as
        unlabelled rows (label ``-1``, ``None`` for non-numeric labels): a
        count, or a fraction of the source rows that are not labelled (``1.0``
        keeps them all). The default, 0, leaves them out, as in CDLS and CDSPP.
    n_target_unlabeled : int, float or None, default=None
        With ``transductive=False``: the unlabelled target rows, a count or a
        fraction of the target rows that are not labelled; ``None`` means those
        that the test rows leave (half of them when ``n_test`` is ``None``
        too). Must be ``None`` when ``transductive=True``.
    n_test : int, float or None, default=None
        Test rows, a count or a fraction of the target rows that are not
        labelled; ``None`` means all of them (``transductive=True``) or those
        that the unlabelled rows leave (``transductive=False``).
    transductive : bool, default=True
        Whether the unlabelled target rows are the test rows (as in CDLS and
        CDSPP) rather than a disjoint set.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    task : Bunch
        ``X``, ``y`` (the labelled target rows), ``X_source`` (a
        :class:`~skdatn.Domain`: the labelled source rows, then the unlabelled
        ones marked ``-1`` or ``None``), ``X_unlabeled`` (a ``Domain`` of the
        unlabelled target rows), ``X_test``, ``y_test``, ``fit_params`` (the
        keyword arguments for ``fit``: ``X_source`` and ``X_unlabeled``, no
        pairs) and ``indices`` (the sorted row indices of every set:
        ``source_labeled`` and ``source_unlabeled`` into the source arrays,
        ``target_labeled``, ``target_unlabeled`` and ``test`` into the target
        arrays; ``target_unlabeled`` equals ``test`` when ``transductive``).

    Raises
    ------
    ValueError
        When a class has fewer rows than its per-class count, the sets need
        more rows than there are, the rows and labels of a domain differ in
        number, or ``n_target_unlabeled`` is given with ``transductive=True``.

    See Also
    --------
    make_transfer_task : The paired task, from two views of the same items.

    Examples
    --------
    >>> from skdatn.datasets import load_mfeat, make_unpaired_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_unpaired_task(views["fac"], y, views["fou"], y, random_state=0)
    >>> task.X_source.X.shape, task.X.shape, task.X_test.shape
    ((200, 216), (30, 76), (1970, 76))
    >>> sorted(task.fit_params)
    ['X_source', 'X_unlabeled']
    >>> bool((task.indices["target_unlabeled"] == task.indices["test"]).all())
    True
    """
    y_source = _labels(X_source, y_source, "X_source", "y_source")
    y_target = _labels(X_target, y_target, "X_target", "y_target")
    if transductive and n_target_unlabeled is not None:
        raise ValueError(
            f"n_target_unlabeled={n_target_unlabeled!r} was given with "
            f"transductive=True, where the unlabelled target rows are the test "
            f"rows (n_test); leave it None, or set transductive=False."
        )
    rng = check_random_state(random_state)

    source_labeled, source_rest = _labeled_and_rest(
        y_source,
        n_source_labeled_per_class,
        rng,
        "n_source_labeled_per_class",
        "y_source",
    )
    n_su = _count(n_source_unlabeled, source_rest.size)
    if n_su > source_rest.size:
        raise ValueError(
            f"n_source_unlabeled={n_source_unlabeled!r} asks for {n_su} unlabelled "
            f"source rows, but only {source_rest.size} source rows are not labelled."
        )

    target_labeled, target_rest = _labeled_and_rest(
        y_target,
        n_target_labeled_per_class,
        rng,
        "n_target_labeled_per_class",
        "y_target",
    )
    n_rest = target_rest.size
    n_t, n_u = _target_sizes(n_test, n_target_unlabeled, transductive, n_rest)
    if n_t + n_u > n_rest:
        raise ValueError(
            f"The requested target sets need {n_t + n_u} rows (n_test: {n_t}, "
            f"n_target_unlabeled: {n_u}) besides the {target_labeled.size} labelled "
            f"target rows, but only {n_rest} are left."
        )
    test = np.sort(target_rest[:n_t])
    indices = {
        "source_labeled": source_labeled,
        "source_unlabeled": np.sort(source_rest[:n_su]),
        "target_labeled": target_labeled,
        "target_unlabeled": test.copy()
        if transductive
        else np.sort(target_rest[n_t : n_t + n_u]),
        "test": test,
    }

    src = np.concatenate([indices["source_labeled"], indices["source_unlabeled"]])
    X_source_domain = Domain(
        _safe_indexing(X_source, src), _source_labels(y_source, indices)
    )
    X_unlabeled = Domain(_safe_indexing(X_target, indices["target_unlabeled"]))
    return Bunch(
        X=_safe_indexing(X_target, target_labeled),
        y=y_target[target_labeled],
        X_source=X_source_domain,
        X_unlabeled=X_unlabeled,
        X_test=_safe_indexing(X_target, test),
        y_test=y_target[test],
        fit_params={"X_source": X_source_domain, "X_unlabeled": X_unlabeled},
        indices=indices,
    )


def _labels(X, y, X_name: str, y_name: str) -> np.ndarray:
    """``y`` as a 1-D array with a label per row of ``X``."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{y_name} must be 1-D, got an array of shape {y.shape}.")
    n = _num_samples(X)
    if n != y.size:
        raise ValueError(f"{X_name} has {n} rows but {y_name} has {y.size} labels.")
    return y


def _target_sizes(n_test, n_target_unlabeled, transductive: bool, n_rest: int):
    """The numbers of test and of (disjoint) unlabelled target rows, among the
    ``n_rest`` target rows that are not labelled (0 unlabelled: transductive)."""
    if transductive:
        return (n_rest if n_test is None else _count(n_test, n_rest)), 0
    if n_test is None and n_target_unlabeled is None:
        n_u = n_rest // 2
        return n_rest - n_u, n_u
    if n_test is None:
        n_u = _count(n_target_unlabeled, n_rest)
        return max(n_rest - n_u, 0), n_u
    n_t = _count(n_test, n_rest)
    if n_target_unlabeled is None:
        return n_t, max(n_rest - n_t, 0)
    return n_t, _count(n_target_unlabeled, n_rest)
