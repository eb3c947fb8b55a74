"""Holders for the transfer inputs of ``fit`` and their validation.

scikit-learn's model selection slices every fit parameter that has as many rows
as ``X`` (it takes it for per-sample metadata). The source domain, the pairs and
the unlabelled target rows are not per-sample metadata of ``X``: slicing them
would silently drop most of the transfer data. :class:`Domain` and
:class:`Pairs` are deliberately opaque (no ``__len__``, ``shape`` or
``__array__``) so that scikit-learn passes them through untouched.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _num_features, _num_samples, check_array

from ._preprocessing import to_dense
from ._warn import warn
from .exceptions import SlicingRiskWarning

__all__ = ["Domain", "Pairs"]


class Domain:
    """Rows of one domain, optionally labelled, kept whole by model selection.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The rows of the domain.
    y : array-like of shape (n_samples,), default=None
        Labels; ``-1`` (``None`` in an object array, ``"-1"`` among string
        labels) marks an unlabelled row. ``None`` means that every row is
        unlabelled.

    Notes
    -----
    The holder stores references to the arrays it is given; nothing is copied
    or validated until ``fit`` reads it, and ``fit`` never modifies it.

    Examples
    --------
    >>> import numpy as np
    >>> from skdatn import Domain
    >>> source = Domain(np.zeros((5, 3)), y=[0, 1, -1, 1, 0])
    >>> source
    Domain(X=<5 rows>, y=<5 labels>)
    """

    __slots__ = ("X", "y")

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def __repr__(self) -> str:
        y = "None" if self.y is None else f"<{_count(self.y)} labels>"
        return f"Domain(X=<{_count(self.X)} rows>, y={y})"


class Pairs:
    """Paired rows seen in both domains: row i of ``source`` is row i of ``target``.

    Parameters
    ----------
    source : array-like of shape (n_pairs, n_source_features)
        The pairs as seen in the source domain.
    target : array-like of shape (n_pairs, n_target_features)
        The same items as seen in the target domain, in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> from skdatn import Pairs
    >>> Pairs(np.zeros((4, 3)), np.ones((4, 2)))
    Pairs(source=<4 rows>, target=<4 rows>)
    """

    __slots__ = ("source", "target")

    def __init__(self, source, target):
        self.source = source
        self.target = target

    def __repr__(self) -> str:
        return f"Pairs(source=<{_count(self.source)} rows>, target=<{_count(self.target)} rows>)"


def _count(a) -> str:
    shape = getattr(a, "shape", None)
    if shape is not None and len(shape) > 0:
        return str(shape[0])
    try:
        return str(len(a))
    except TypeError:
        return "?"


@dataclass
class TransferInputs:
    """The validated transfer inputs of one ``fit`` call.

    The arrays may be the caller's own (validation copies only what it must
    convert): they are read, never modified.
    """

    X_source: np.ndarray | None  # (n_source, d_S), float
    y_source: np.ndarray | None  # (n_source,), object/label array, or None
    source_labeled: np.ndarray | None  # (n_source,) bool mask of labelled rows
    pairs_source: np.ndarray | None  # (n_pairs, d_S)
    pairs_target: np.ndarray | None  # (n_pairs, d_T)
    X_unlabeled: np.ndarray | None  # (n_unlabeled, d_T)
    source_feature_names: np.ndarray | None = None  # column names of the source rows

    @property
    def has_source(self) -> bool:
        """Whether any source-domain rows were given (source rows or pairs)."""
        return self.X_source is not None or self.pairs_source is not None

    def target_rows(self, X) -> np.ndarray:
        """Every target row of the fit, dense: ``X``, ``X_unlabeled``, the pairs' target side."""
        blocks = [X, self.X_unlabeled, self.pairs_target]
        return np.vstack([to_dense(b) for b in blocks if b is not None])

    def source_rows(self) -> np.ndarray:
        """Every source row of the fit, dense: ``X_source``, then the pairs' source side."""
        blocks = [self.X_source, self.pairs_source]
        return np.vstack([to_dense(b) for b in blocks if b is not None])

    @property
    def n_source_features(self) -> int | None:
        """Columns of the source rows (None without, or for documents)."""
        for a in (self.X_source, self.pairs_source):
            if a is not None:
                return n_columns(a)
        return None


#: Fewest pairs accepted. G is a ridge map fitted on the pairs' top-layer codes,
#: so its rank is at most the number of pairs. With one pair, every mapped target
#: row ``f_T(x) G`` is a non-negative multiple (ReLU codes) of the one source code,
#: so the source classifier predicts the same class for every row: at least two
#: pairs are needed for a map that can tell classes apart.
MIN_PAIRS = 2

_ROWS = "an array-like of numbers of shape (n_samples, n_features)"


def _conversion_problem(exc: Exception) -> bool:
    """Whether ``exc`` says that values could not be read as numbers."""
    text = str(exc)
    return any(
        s in text
        for s in (
            "could not convert",
            "float() argument",
            "real number",
            "Unable to convert",
            "dtype='numeric' is not compatible",
            "inhomogeneous",
        )
    )


def reword_array_error(exc: Exception, name: str, value) -> Exception:
    """The error of reading ``value`` as the 2-D array ``name``, naming it.

    Non-numeric content gets the type that was expected and what was got; other
    errors (NaN, inf, dimensions, sizes) keep scikit-learn's text after the name.
    """
    if "inhomogeneous" in str(exc):
        return ValueError(
            f"Invalid {name}: expected {_ROWS}, got rows of different lengths ({exc})."
        )
    if _conversion_problem(exc):
        dtype = getattr(value, "dtype", None)
        got = f"dtype {dtype}" if dtype is not None else type(value).__name__
        return type(exc)(
            f"Invalid {name}: expected {_ROWS}, got non-numeric {got} ({exc})."
        )
    return type(exc)(f"Invalid {name}: {exc}")


def check_not_holder(
    value, name: str, what: str = _ROWS, *, reject_none: bool = True
) -> None:
    """Refuse a holder (and None) where an array is expected, naming the argument."""
    if value is None and reject_none:
        raise TypeError(f"{name} must be {what}, got None.")
    if isinstance(value, (Domain, Pairs)):
        raise TypeError(
            f"{name} must be {what}, got a skdatn.{type(value).__name__}; the "
            "holders wrap whole transfer inputs (X_source, pairs, X_unlabeled), "
            "never X, y or the arrays inside another holder."
        )


def _check_rows(X, name: str, *, ensure_min_samples: int = 1) -> np.ndarray:
    """Validate a 2-D numeric array given as a transfer input.

    Float arrays and CSR matrices are returned as they are, not copied (a
    million rows would cost a gigabyte): callers read them and never write.
    """
    check_not_holder(X, name)
    try:
        return check_array(
            X,
            accept_sparse="csr",  # rows get indexed: other formats become CSR
            dtype=(np.float64, np.float32),
            copy=False,
            ensure_min_samples=ensure_min_samples,
            input_name=name,
            estimator=None,
        )
    except (ValueError, TypeError) as exc:
        raise reword_array_error(exc, name, X) from exc


def check_raw_rows(X, name: str, *, ensure_min_samples: int = 1):
    """Rows of a domain with a preprocessor, as given (a list of documents, a
    DataFrame, an array): only that they are rows is checked; sparse matrices
    become CSR (a new object), so that rows can be taken from them."""
    check_not_holder(X, name, "rows that its domain's preprocessor takes")
    try:
        n_rows = _num_samples(X)
    except TypeError as exc:
        raise TypeError(
            f"Invalid {name}: expected rows (an array-like, a list, a DataFrame, a "
            f"sparse matrix) for its domain's preprocessor, got {type(X).__name__} "
            f"({exc})."
        ) from exc
    if n_rows < ensure_min_samples:
        raise ValueError(
            f"Invalid {name}: found {n_rows} rows while a minimum of "
            f"{ensure_min_samples} is required."
        )
    return X.tocsr() if sp.issparse(X) and X.format != "csr" else X


def n_columns(X) -> int | None:
    """The number of columns of ``X``, None when it has none (documents)."""
    try:
        return _num_features(X)
    except TypeError:
        return None


def unlabeled_mask(y: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``y`` marked unlabelled: ``-1``, ``None``, or
    the string ``"-1"`` among string labels."""
    if y.dtype.kind in "iuf":
        return y == -1
    if y.dtype.kind in "US":
        return y == y.dtype.type("-1")
    if y.dtype.kind == "O":
        return np.array([_marks_unlabeled(v) for v in y], dtype=bool)
    return np.zeros(y.shape[0], dtype=bool)


def _marks_unlabeled(v) -> bool:
    if v is None or (isinstance(v, str) and v == "-1"):
        return True
    return isinstance(v, numbers.Number) and not isinstance(v, bool) and v == -1


def _read_source(X_source, y_source, raw: bool = False):
    if isinstance(X_source, Pairs):
        raise TypeError(
            "X_source must be an array-like or a skdatn.Domain, got a skdatn.Pairs; "
            "pass pairs with the `pairs` argument."
        )
    if isinstance(X_source, Domain):
        if y_source is not None:
            raise ValueError(
                "y_source must be None when X_source is a skdatn.Domain; "
                "give the source labels as Domain(X, y) instead."
            )
        check_not_holder(X_source.X, "X_source (the X of its skdatn.Domain)")
        X_source, y_source = X_source.X, X_source.y
    if X_source is None:
        if y_source is not None:
            raise ValueError("y_source was given without X_source.")
        return None, None, None
    X_source = (check_raw_rows if raw else _check_rows)(X_source, "X_source")
    n_source = _num_samples(X_source)
    if y_source is None:
        return X_source, None, np.zeros(n_source, dtype=bool)
    if isinstance(y_source, (Domain, Pairs)):
        raise TypeError(
            f"y_source must be an array-like of labels, got a "
            f"skdatn.{type(y_source).__name__}."
        )
    given = type(y_source).__name__
    try:
        y_source = np.array(y_source, copy=True)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(
            f"y_source must be a 1-D array-like of labels, got {given}: {exc}"
        ) from exc
    if y_source.ndim != 1:
        raise ValueError(
            f"y_source must be 1-D (one label per source row, -1 for unlabelled), "
            f"got {given} of shape {y_source.shape}."
        )
    if y_source.dtype.kind == "f" and np.isnan(y_source).any():
        raise ValueError(
            "y_source contains NaN; mark unlabelled source rows with -1 (or None "
            "in an object array)."
        )
    if y_source.shape[0] != n_source:
        raise ValueError(
            f"y_source has {y_source.shape[0]} labels but X_source has "
            f"{n_source} rows; they must match (-1 marks unlabelled rows)."
        )
    labeled = ~unlabeled_mask(y_source)
    return X_source, y_source, labeled


def _read_pairs(pairs, raw_source: bool = False, raw_target: bool = False):
    if pairs is None:
        return None, None
    if isinstance(pairs, Pairs):
        source, target = pairs.source, pairs.target
    elif isinstance(pairs, Domain):
        raise TypeError(
            "pairs must be a skdatn.Pairs or a tuple (X_pairs_source, X_pairs_target), "
            "got a skdatn.Domain."
        )
    elif isinstance(pairs, (tuple, list)) and len(pairs) == 2:
        source, target = pairs
    else:
        raise TypeError(
            "pairs must be a skdatn.Pairs or a tuple (X_pairs_source, X_pairs_target), "
            f"got {type(pairs).__name__}."
        )
    read_source = check_raw_rows if raw_source else _check_rows
    read_target = check_raw_rows if raw_target else _check_rows
    source = read_source(source, "pairs (source side)", ensure_min_samples=0)
    target = read_target(target, "pairs (target side)", ensure_min_samples=0)
    n_source, n_target = _num_samples(source), _num_samples(target)
    if n_source != n_target:
        raise ValueError(
            f"The two sides of pairs must have the same number of rows (row i of one "
            f"is row i of the other); got {n_source} source rows and "
            f"{n_target} target rows."
        )
    if n_source < MIN_PAIRS:
        raise ValueError(
            f"pairs has {n_source} row(s); at least {MIN_PAIRS} are needed "
            f"(the map G learnt from one pair sends every target row to the same "
            f"class). Give more pairs, or pairs=None."
        )
    return source, target


def _read_unlabeled(X_unlabeled, raw: bool = False):
    if X_unlabeled is None:
        return None
    if isinstance(X_unlabeled, Pairs):
        raise TypeError(
            "X_unlabeled must be an array-like or a skdatn.Domain, got a skdatn.Pairs."
        )
    if isinstance(X_unlabeled, Domain):
        if X_unlabeled.y is not None:
            raise ValueError(
                "X_unlabeled holds unlabelled target rows: give it as Domain(X) "
                "without y (labelled target rows go in X, y)."
            )
        check_not_holder(X_unlabeled.X, "X_unlabeled (the X of its skdatn.Domain)")
        X_unlabeled = X_unlabeled.X
    return (check_raw_rows if raw else _check_rows)(X_unlabeled, "X_unlabeled")


def _warn_slicing_risk(n_rows: int, raw: dict) -> None:
    for name, value in raw.items():
        if value is None or isinstance(value, (Domain, Pairs)):
            continue
        sides = (
            value if name == "pairs" and isinstance(value, (tuple, list)) else [value]
        )
        if any(_count(side) == str(n_rows) for side in sides):
            holder = "skdatn.Pairs" if name == "pairs" else "skdatn.Domain"
            warn(
                f"{name} has exactly as many rows as X ({n_rows}). scikit-learn's "
                f"model selection (cross_val_score, GridSearchCV, ...) slices such "
                f"fit parameters together with X, which silently drops transfer "
                f"data. Wrap it in {holder} to keep it whole.",
                SlicingRiskWarning,
            )


def column_names(X) -> np.ndarray | None:
    """The column names of a DataFrame-like ``X`` when they are all strings
    (scikit-learn's rule for ``feature_names_in_``), else None."""
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(X, (Domain, Pairs)):
        return None
    names = np.asarray(list(columns), dtype=object)
    if names.ndim != 1 or not all(isinstance(n, str) for n in names):
        return None
    return names


def check_names(name: str, names, reference: str, expected) -> None:
    """Rows of one domain must name their columns as the rows seen first did
    (when both name them): a reordered DataFrame would be read in the wrong order."""
    if names is None or expected is None or np.array_equal(names, expected):
        return
    if len(names) == len(expected) and set(names) == set(expected):
        problem = (
            f"the same names in another order (reorder its columns as in {reference})"
        )
    else:
        unseen = [n for n in names if n not in set(expected)][:5]
        problem = (
            f"names not in {reference} ({unseen!r}...)" if unseen else "fewer names"
        )
    raise ValueError(
        f"The feature names of {name} should match those of {reference}: {name} has "
        f"{problem}."
    )


def _raw_names(X_source, pairs, X_unlabeled):
    """Column names of the source rows, the two sides of the pairs and the
    unlabelled rows, as given (inside their holders)."""
    if isinstance(pairs, Pairs):
        sides = (pairs.source, pairs.target)
    elif isinstance(pairs, (tuple, list)) and len(pairs) == 2:
        sides = tuple(pairs)
    else:
        sides = (None, None)
    unwrap = [
        X.X if isinstance(X, Domain) else X for X in (X_source, *sides, X_unlabeled)
    ]
    return [column_names(X) for X in unwrap]


def read_transfer_inputs(
    n_rows: int,
    n_features: int | None,
    *,
    X_source=None,
    y_source=None,
    pairs=None,
    X_unlabeled=None,
    feature_names=None,
    raw_source: bool = False,
    raw_target: bool = False,
) -> TransferInputs:
    """Read and validate the transfer inputs of ``fit``.

    ``n_rows``, ``n_features`` and ``feature_names`` (its column names, or
    None) describe the labelled target rows ``X``. The rows of a domain
    with a preprocessor (``raw_source``, ``raw_target``) are taken as given
    (:func:`check_raw_rows`): their preprocessor's output is checked later.
    """
    _warn_slicing_risk(
        n_rows,
        {
            "X_source": X_source,
            "y_source": y_source,
            "pairs": pairs,
            "X_unlabeled": X_unlabeled,
        },
    )
    Xs, ys, labeled = _read_source(X_source, y_source, raw_source)
    ps, pt = _read_pairs(pairs, raw_source, raw_target)
    Xu = _read_unlabeled(X_unlabeled, raw_target)
    names_s, names_ps, names_pt, names_u = _raw_names(X_source, pairs, X_unlabeled)
    check_names("pairs (source side)", names_ps, "X_source", names_s)
    check_names("pairs (target side)", names_pt, "X", feature_names)
    check_names("X_unlabeled", names_u, "X", feature_names)

    # Rows for a preprocessor may have no columns (documents); where both
    # sides have columns, they must agree.
    n_s, n_ps = n_columns(Xs), n_columns(ps)
    if Xs is not None and ps is not None and None not in (n_s, n_ps) and n_s != n_ps:
        raise ValueError(
            f"pairs (source side) has {n_ps} features but X_source has "
            f"{n_s}; both are source-domain rows."
        )
    for name, rows in (("pairs (target side)", pt), ("X_unlabeled", Xu)):
        n = n_columns(rows)
        if rows is not None and None not in (n, n_features) and n != n_features:
            raise ValueError(
                f"{name} has {n} features but X has {n_features}; "
                f"both are target-domain rows."
            )
    source_names = names_s if names_s is not None else names_ps
    return TransferInputs(Xs, ys, labeled, ps, pt, Xu, source_names)
