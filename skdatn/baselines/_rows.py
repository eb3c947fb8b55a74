"""Rows scaled to unit L2 norm, the input of the baselines that compare directions
(CDLS, CDSPP): dense or sparse, never modifying what they are given."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def row_norms(X) -> np.ndarray:
    """L2 norms of the rows of X (dense or sparse); zero rows get 1."""
    if sp.issparse(X):
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    else:
        norms = np.linalg.norm(X, axis=1)
    norms[norms == 0] = 1.0
    return norms


def unit_rows(X, dtype=None):
    """Rows of X scaled to unit L2 norm (zero rows stay zero), a new array in
    ``dtype`` (X's own when None); a sparse matrix stays sparse (CSR)."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=dtype)
        return sp.diags(1.0 / row_norms(X)) @ X
    X = np.asarray(X, dtype=dtype)
    return X / row_norms(X)[:, None]


def unit_rows_times(X, P) -> np.ndarray:
    """``unit_rows(X, np.float64) @ P`` without forming the unit rows (a row
    scaling commutes with the product)."""
    if sp.issparse(X):
        return np.asarray(X @ P) / row_norms(X)[:, None]
    X = np.asarray(X, dtype=np.float64)
    return (X @ P) / row_norms(X)[:, None]
