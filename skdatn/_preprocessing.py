"""Per-domain input scaling.

Each domain has its own feature space, so each gets its own scaler, fitted on
every row of that domain that ``fit`` uses (labelled, unlabelled and pair rows).
A ``Pipeline`` in front of the estimator could not do this: it would scale
``X`` but not ``X_source``, the pairs or the unlabelled rows.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, StandardScaler

SCALINGS = ("standard", "l2", "maxabs", "none")


def _scaled_l2_rows(X: np.ndarray) -> np.ndarray:
    """Rows of unit L2 norm times sqrt(n_features): mean squared entry 1 per row."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return X * (np.sqrt(X.shape[1]) / norms)


def make_scaler(kind: str | None):
    """A fresh, unfitted scaler for ``input_scaling=kind``."""
    if kind == "standard":
        return StandardScaler()
    if kind == "l2":
        return FunctionTransformer(_scaled_l2_rows)
    if kind == "maxabs":
        return MaxAbsScaler()
    if kind in (None, "none"):
        return FunctionTransformer(None)
    raise ValueError(f"input_scaling must be one of {SCALINGS} or None, got {kind!r}.")


def to_dense(X) -> np.ndarray:
    """Dense float array (sparse input is densified; see the user guide)."""
    return X.toarray() if sp.issparse(X) else np.asarray(X)
