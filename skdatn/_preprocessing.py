"""Per-domain input scaling, fitted and applied without stacking or densifying the rows.

Each domain has its own feature space, so each gets its own scaler, fitted on
every row of that domain that ``fit`` uses (labelled, unlabelled and pair rows).
A ``Pipeline`` in front of the estimator could not do this: it would scale
``X`` but not ``X_source``, the pairs or the unlabelled rows.

Every scaling is written ``x -> x * r(x) / s + o``: a per-row factor ``r``
(``"l2"`` only), a per-feature divisor ``s`` and a per-feature offset ``o``
(``"standard"`` only, ``o = -mean / std``). The first two keep a sparse row
sparse; the offset makes it dense, so training adds it to each densified batch
(:mod:`skdatn._torch.data`) and a sparse matrix is never densified whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.sparsefuncs import min_max_axis
from sklearn.utils.validation import check_is_fitted

SCALINGS = ("auto", "standard", "l2", "maxabs", "none")

#: "auto" scales a domain by its maximum absolute values when at most this
#: fraction of its entries are non-zero and none is negative (bags of words,
#: tf-idf, counts), and standardises it otherwise.
SPARSE_DENSITY = 0.1

#: Rows per chunk when a scaler scans or transforms a large matrix.
CHUNK_ROWS = 8192


def to_dense(X) -> np.ndarray:
    """Dense array of ``X`` (a sparse matrix is densified)."""
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def iter_chunks(X, rows=None, chunk_rows: int | None = None) -> Iterator:
    """Consecutive chunks of the rows ``rows`` (all when ``None``) of ``X``, in order.

    Each chunk is a copy of at most ``chunk_rows`` rows (default
    :data:`CHUNK_ROWS`; a view for a dense matrix without ``rows``); ``X``
    itself is never copied whole.
    """
    chunk_rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    n = X.shape[0] if rows is None else len(rows)
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        yield X[start:stop] if rows is None else X[rows[start:stop]]


def resolve_scaling(kind: str | None, X) -> str | None:
    """The scaling ``input_scaling=kind`` gives the rows ``X`` of one domain: a
    matrix, or blocks ``(matrix, rows)`` (read in chunks).

    ``"auto"`` becomes ``"maxabs"`` for sparse matrices and for non-negative
    data with at most ``SPARSE_DENSITY`` non-zero entries: centring such
    data would destroy its sparsity, and dividing by a rare word's small
    standard deviation blows it up (user guide, "Deviations from the paper",
    point 8). Everything else becomes ``"standard"``.
    """
    if kind != "auto":
        return kind
    blocks = X if isinstance(X, list) else [(X, None)]
    if any(sp.issparse(M) for M, _ in blocks):
        return "maxabs"
    size = nonzero = 0
    for chunk in _all_chunks(blocks):
        chunk = np.asarray(chunk)
        if chunk.size and chunk.min() < 0:
            return "standard"
        size += chunk.size
        nonzero += np.count_nonzero(chunk)
    return "maxabs" if size and nonzero <= SPARSE_DENSITY * size else "standard"


class InputScaler(TransformerMixin, BaseEstimator):
    """Scaling of one domain's rows, fitted on several blocks of rows at once.

    Parameters
    ----------
    kind : {"auto", "standard", "l2", "maxabs", "none"} or None, default="standard"
        ``"standard"``: zero mean and unit variance per feature (the centring
        of a sparse matrix is applied to densified rows only); ``"l2"``: rows
        of unit L2 norm times ``sqrt(n_features)`` (mean squared entry 1);
        ``"maxabs"``: divide each feature by its largest absolute value;
        ``"none"`` or ``None``: unchanged; ``"auto"``: see
        :func:`resolve_scaling`.

    Attributes
    ----------
    kind_ : str
        The scaling fitted (``"auto"`` resolved, ``None`` as ``"none"``).
    scale_ : ndarray of shape (n_features,)
        Per-feature divisor ``s`` (ones unless ``"standard"`` or ``"maxabs"``).
    offset_ : ndarray of shape (n_features,) or None
        Per-feature offset ``o = -mean / std`` added after dividing
        (``"standard"`` only).
    n_features_in_ : int
        Number of features.
    """

    def __init__(self, kind="standard"):
        self.kind = kind

    def fit(self, X, y=None):
        """Fit on the rows of ``X`` (dense or sparse).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the domain.
        y : None
            Ignored.

        Returns
        -------
        self : InputScaler
        """
        return self.fit_blocks([(X, None)])

    def fit_blocks(self, blocks: Sequence[tuple]) -> InputScaler:
        """Fit on blocks ``(matrix, rows)``: the rows ``rows`` (all when ``None``)
        of each matrix, scanned in chunks (no block is stacked or copied whole)."""
        if self.kind not in (*SCALINGS, None):
            raise ValueError(
                f"input_scaling must be one of {SCALINGS} or None, got {self.kind!r}."
            )
        d = blocks[0][0].shape[1]
        self.kind_ = resolve_scaling(self.kind, list(blocks)) or "none"
        self.n_features_in_ = d
        self.scale_ = np.ones(d)
        self.offset_ = None
        if self.kind_ == "standard":
            n, mean, var = _mean_var(blocks, d)
            # A feature is constant when its variance is within the rounding
            # error of the two-pass computation (scikit-learn's rule).
            eps = np.finfo(np.float64).eps
            constant = var <= n * eps * var + (n * mean * eps) ** 2
            self.scale_ = np.where(constant, 1.0, np.sqrt(var))
            self.offset_ = -mean / self.scale_
        elif self.kind_ == "maxabs":
            peak = np.zeros(d)
            for chunk in _all_chunks(blocks):
                if sp.issparse(chunk):
                    low, high = min_max_axis(chunk, axis=0)
                    chunk_peak = np.maximum(np.abs(low), np.abs(high))
                else:
                    chunk_peak = np.abs(chunk).max(axis=0)
                peak = np.maximum(peak, chunk_peak)
            self.scale_ = _nonzero(peak)
        return self

    def scale_rows(self, X):
        """``x * r(x) / s`` in float64: the scaling without its offset.

        A sparse matrix stays sparse (CSR); a dense one becomes a new array.
        """
        if sp.issparse(X):
            X = sp.csr_matrix(X, dtype=np.float64, copy=True)
            X.sum_duplicates()
            data = X.data
            if self.kind_ == "l2":
                data *= np.repeat(self._row_factors(X), np.diff(X.indptr))
            data /= self.scale_[X.indices]
            return X
        X = np.array(X, dtype=np.float64)  # a copy: X is never modified
        if self.kind_ == "l2":
            X *= self._row_factors(X)[:, None]
        X /= self.scale_
        return X

    def transform(self, X) -> np.ndarray:
        """Scaled rows as a dense float64 array.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the domain.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but this scaler was fitted on "
                f"{self.n_features_in_}."
            )
        out = to_dense(self.scale_rows(X))
        if self.offset_ is not None:
            out += self.offset_
        return out

    def _row_factors(self, X) -> np.ndarray:
        # Squares summed left to right in both cases (the same bits either way).
        if sp.issparse(X):
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            sq = np.bincount(rows, weights=X.data**2, minlength=X.shape[0])
        elif X.shape[1] == 0:
            sq = np.zeros(X.shape[0])
        else:
            sq = np.cumsum(X**2, axis=1)[:, -1]
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        return np.sqrt(X.shape[1]) / norms


def _all_chunks(blocks) -> Iterator:
    for X, rows in blocks:
        yield from iter_chunks(X, rows)


def _mean_var(blocks, d: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Number of rows, per-feature mean and (population) variance, in two passes.

    Dense and sparse rows are summed in the same order (row by row, zeros
    apart), so the same rows give the same statistics to the last bit either way.
    """
    n, total = 0, np.zeros(d)
    for chunk in _all_chunks(blocks):
        n += chunk.shape[0]
        if sp.issparse(chunk):
            chunk = _canonical(chunk)
            total += np.bincount(chunk.indices, weights=chunk.data, minlength=d)
        else:
            total += chunk.sum(axis=0, dtype=np.float64)
    mean = total / max(n, 1)
    # Sum of (x - mean)^2 over the non-zeros, then mean^2 once per zero.
    sq, nonzero = np.zeros(d), np.zeros(d, dtype=np.int64)
    for chunk in _all_chunks(blocks):
        if sp.issparse(chunk):
            chunk = _canonical(chunk)
            cols = chunk.indices
            sq += np.bincount(cols, weights=(chunk.data - mean[cols]) ** 2, minlength=d)
            nonzero += np.bincount(cols, minlength=d)
        else:
            chunk = np.asarray(chunk, dtype=np.float64)
            dev = (chunk - mean) ** 2
            zero = chunk == 0
            dev[zero] = 0.0
            sq += dev.sum(axis=0)
            nonzero += chunk.shape[0] - zero.sum(axis=0)
    sq += (n - nonzero) * mean**2
    return n, mean, sq / max(n, 1)


def _canonical(X) -> sp.csr_matrix:
    """``X`` as CSR without duplicate entries (a copy when it has any)."""
    X = sp.csr_matrix(X)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def _nonzero(scale: np.ndarray) -> np.ndarray:
    """Divisors with constant (zero-spread) features mapped to 1, as scikit-learn does."""
    scale = scale.copy()
    scale[scale < 10 * np.finfo(np.float64).eps] = 1.0
    return scale


def make_scaler(kind: str | None, X=None) -> InputScaler:
    """A fresh, unfitted scaler for ``input_scaling=kind``; with rows ``X``,
    ``"auto"`` is resolved now (else when the scaler is fitted)."""
    if kind not in (*SCALINGS, None):
        raise ValueError(
            f"input_scaling must be one of {SCALINGS} or None, got {kind!r}."
        )
    return InputScaler(kind if X is None else resolve_scaling(kind, X))
