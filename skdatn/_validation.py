"""Validation of ``fit``'s inputs, shared by DATNClassifier and the baselines."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._holders import (
    Domain,
    TransferInputs,
    _conversion_problem,
    check_not_holder,
    check_raw_rows,
    read_transfer_inputs,
    reword_array_error,
)

#: Sparse formats accepted for the target rows ``X`` (densified before use).
SPARSE_FORMATS = ("csr", "csc", "coo")

#: Metadata-routing requests of every transfer estimator's ``fit``: the transfer
#: inputs are requested by default, so GridSearchCV and friends route them to
#: ``fit`` when metadata routing is enabled (and pass them anyway when it is not).
TRANSFER_FIT_REQUEST = {
    "X_source": True,
    "y_source": True,
    "pairs": True,
    "X_unlabeled": True,
}


@dataclass(frozen=True)
class ValidatedFit:
    """What :func:`validate_transfer_fit` returns."""

    X: object  #: the validated labelled target rows (array, sparse matrix, or raw)
    y: np.ndarray  #: their labels
    inputs: TransferInputs  #: the source, pairs and unlabelled rows, read
    classes: np.ndarray  #: the labelled source rows' classes if any, else y's
    y_codes: np.ndarray  #: class codes of y
    ys_codes: np.ndarray | None  #: class codes of the labelled source rows
    #: What validation set on the estimator: ``n_features_in_`` (None when X
    #: has no columns, e.g. documents) and ``feature_names_in_`` (None without).
    n_features_in: int | None = None
    feature_names_in: np.ndarray | None = None

    def rows(self, indices) -> ValidatedFit:
        """The same fit on the rows ``indices`` of ``X`` (a fold of a search):
        the transfer inputs are kept as read, the labels encoded again."""
        y = self.y[indices]
        classes, y_codes, ys_codes = encode_labels(y, self.inputs)
        return replace(
            self,
            X=_safe_indexing(self.X, indices),
            y=y,
            classes=classes,
            y_codes=y_codes,
            ys_codes=ys_codes,
        )

    def without_source(self) -> ValidatedFit:
        """The same labelled and unlabelled target rows with no source and no
        pairs: the fit of a target-only model (its classes those of ``y``)."""
        inputs = replace(
            self.inputs,
            X_source=None,
            y_source=None,
            source_labeled=None,
            pairs_source=None,
            pairs_target=None,
            source_feature_names=None,
        )
        classes, y_codes, ys_codes = encode_labels(self.y, inputs)
        return replace(
            self, inputs=inputs, classes=classes, y_codes=y_codes, ys_codes=ys_codes
        )

    def set_on(self, estimator) -> None:
        """Set ``n_features_in_`` and ``feature_names_in_`` on ``estimator`` as
        validating these rows would (deleting them where they do not apply)."""
        for name, value in (
            ("n_features_in_", self.n_features_in),
            ("feature_names_in_", self.feature_names_in),
        ):
            if value is None:
                estimator.__dict__.pop(name, None)
            else:
                setattr(estimator, name, value)


def validate_transfer_fit(
    estimator,
    X,
    y,
    X_source=None,
    y_source=None,
    pairs=None,
    X_unlabeled=None,
    *,
    accept_sparse=SPARSE_FORMATS,
    source_labels_needed: bool = False,
):
    """Validate the labelled target rows and the transfer inputs of ``fit``.

    ``source_labels_needed``: refuse source rows given as a bare matrix without
    ``y_source`` (forgotten labels; a source meant to be unlabelled is given as
    ``Domain(X_source)``).

    A domain with a preprocessor (the estimator's ``target_preprocessor`` or
    ``source_preprocessor`` set) takes its rows as given, anything that the
    preprocessor takes (documents for a vectoriser, a DataFrame for a
    ColumnTransformer): only their number is checked here, and the
    preprocessor's output is validated when the fit applies it.

    Sets ``n_features_in_`` on ``estimator`` (through ``validate_data``) and
    returns a :class:`ValidatedFit`.
    """
    # None is left to scikit-learn's own errors (its estimator checks expect them).
    check_not_holder(X, "X", reject_none=False)
    check_not_holder(
        y, "y", "an array-like of labels of shape (n_samples,)", reject_none=False
    )
    raw_target = _has_preprocessor(estimator, "target_preprocessor")
    try:
        if raw_target:
            X, y = _validate_raw(estimator, X, y)
        else:
            X, y = validate_data(
                estimator,
                X,
                y,
                accept_sparse=accept_sparse,
                dtype=(np.float64, np.float32),
            )
    except (ValueError, TypeError) as exc:
        reworded = _naming_X(exc, X)
        if reworded is None:
            raise
        raise reworded from exc
    try:
        check_classification_targets(y)
    except TypeError as exc:  # labels of types that cannot be compared
        raise ValueError(f"Invalid y: labels must be comparable: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"Invalid y: {exc}") from exc
    n_features = getattr(estimator, "n_features_in_", None)
    names = getattr(estimator, "feature_names_in_", None)
    inputs = read_transfer_inputs(
        len(y),
        n_features,
        X_source=X_source,
        y_source=y_source,
        pairs=pairs,
        X_unlabeled=X_unlabeled,
        feature_names=names,
        raw_source=_has_preprocessor(estimator, "source_preprocessor"),
        raw_target=raw_target,
    )
    if source_labels_needed:
        check_source_labels_given(X_source, y_source)
    classes, y_codes, ys_codes = encode_labels(y, inputs)
    return ValidatedFit(X, y, inputs, classes, y_codes, ys_codes, n_features, names)


def _has_preprocessor(estimator, name: str) -> bool:
    return getattr(estimator, name, None) is not None


def _validate_raw(estimator, X, y):
    """The labelled target rows as given, for the target preprocessor: their
    number matches ``y``'s; ``n_features_in_`` and ``feature_names_in_`` are set
    where X has columns (an array, a DataFrame), removed where it has none."""
    for name in ("n_features_in_", "feature_names_in_"):
        estimator.__dict__.pop(name, None)
    X = check_raw_rows(X, "X")
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    _check_n_features(estimator, X, reset=True)
    _check_feature_names(estimator, X, reset=True)
    return X, y


def check_source_labels_given(X_source, y_source) -> None:
    """Refuse source rows given as a bare matrix without ``y_source``."""
    if X_source is None or y_source is not None or isinstance(X_source, Domain):
        return
    raise ValueError(
        "X_source was given without y_source. DATN learns its classifier from "
        "the labelled source rows: without them the transferred model is close to "
        "chance. Pass the source labels, as fit(..., X_source=Xs, y_source=ys) or "
        "X_source=Domain(Xs, ys), -1 marking unlabelled rows; for a source whose "
        "rows are all unlabelled, pass X_source=Domain(Xs)."
    )


def validate_target_rows(estimator, X, *, dtype=np.float64):
    """Check that ``estimator`` is fitted and validate target rows for inference
    (``dtype``, as many features as at fit). ``dtype=(np.float64, np.float32)``
    keeps float32 rows as they are (no float64 copy of the whole matrix)."""
    check_is_fitted(estimator)
    check_not_holder(X, "X", reject_none=False)
    if getattr(estimator, "target_preprocessor_", None) is not None:
        # Rows for the fitted preprocessor, as given (its output is checked).
        X = check_raw_rows(X, "X")
        _check_n_features(estimator, X, reset=False)
        _check_feature_names(estimator, X, reset=False)
        return X
    try:
        return validate_data(
            estimator, X, reset=False, accept_sparse=SPARSE_FORMATS, dtype=dtype
        )
    except (ValueError, TypeError) as exc:
        reworded = _naming_X(exc, X)
        if reworded is None:
            raise
        raise reworded from exc


def _naming_X(exc: Exception, X) -> Exception | None:
    """scikit-learn's error about the target rows ``X`` (or ``y``), reworded to
    name the argument where its text does not (``None``: it does already)."""
    if _conversion_problem(exc):  # y is never converted to numbers: it is X
        return reword_array_error(exc, "X", X)
    text = str(exc)
    if "inconsistent numbers of samples" in text:
        return type(exc)(f"X and y must have one label per row: {text}")
    if re.search(r"\b(X|y)\b", text):
        return None  # "Input X contains NaN", "X has 2 features, ...", ...
    return type(exc)(f"Invalid X: {text}")


def encode_labels(y: np.ndarray, inputs: TransferInputs):
    """classes_, the codes of y and the codes of the labelled source rows."""
    y_source = None
    if inputs.y_source is not None and inputs.source_labeled.any():
        y_source = inputs.y_source[inputs.source_labeled]
        try:
            check_classification_targets(y_source)
        except ValueError as exc:
            raise ValueError(f"Invalid y_source: {exc}") from exc
        except TypeError as exc:  # labels of types that cannot be compared
            raise ValueError(
                f"Invalid y_source: labels must be comparable (one type, e.g. all "
                f"ints or all strings, None or -1 for unlabelled rows): {exc}"
            ) from exc
        try:
            classes = np.unique(y_source)
        except TypeError as exc:
            raise ValueError(
                f"y_source mixes label types that cannot be sorted: {exc}"
            ) from exc
        index = {c: i for i, c in enumerate(classes.tolist())}
        missing = [c for c in np.unique(y).tolist() if c not in index]
        if missing:
            raise ValueError(
                f"Every class of y must appear among the labelled source rows; "
                f"{missing!r} do not (y_source has classes {classes.tolist()!r}; "
                f"-1 marks unlabelled source rows)."
            )
    else:
        classes = np.unique(y)
        index = {c: i for i, c in enumerate(classes.tolist())}
    if len(classes) < 2:
        where = (
            "the labelled source rows (y_source) have"
            if y_source is not None
            else "y has"
        )
        raise ValueError(
            f"This classifier needs at least 2 classes; {where} 1 class "
            f"({classes[0]!r})."
        )
    y_codes = np.fromiter((index[c] for c in y.tolist()), dtype=np.int64, count=len(y))
    ys_codes = (
        np.empty(0, dtype=np.int64)
        if y_source is None
        else np.fromiter(
            (index[c] for c in y_source.tolist()), dtype=np.int64, count=len(y_source)
        )
    )
    return classes, y_codes, ys_codes
