"""CCA: canonical correlation analysis of the pairs, one classifier in the shared space."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.cross_decomposition import CCA
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval

from .._preprocessing import to_dense
from .._validation import ValidatedFit
from ._base import LogProbaTransferClassifier


class CCAClassifier(LogProbaTransferClassifier):
    """The classic baseline for paired heterogeneous transfer: CCA on the pairs.

    Each domain is standardised and reduced by PCA, both fitted on all of that
    domain's rows (labelled, unlabelled and its side of the pairs), to at most
    ``pca_components`` components and fewer than the number of pairs.
    scikit-learn's :class:`~sklearn.cross_decomposition.CCA` fitted on the
    pairs then gives each domain a projection into one shared space of at most
    ``n_components`` canonical variates. One logistic regression is trained
    there on the projected labelled source rows and the projected labelled
    target rows together; it classifies projected target rows.

    Choices, each where the recipe leaves room: the PCA is fitted per domain on
    all of its rows, since the unlabelled rows tell the domain's directions
    without any labels; the PCA keeps fewer components than pairs, because CCA
    on more dimensions than pairs finds perfect, meaningless correlations; the
    PCA whitens its scores, since CCA is invariant to invertible linear maps of
    each side and its solver is well conditioned only on scores of comparable
    variance; the labelled rows of both domains train one classifier, so that
    the few target labels count beside the many source labels. Without source data this is a logistic
    regression on the target's PCA scores.

    Parameters
    ----------
    n_components : int, default=20
        Most canonical variates (also capped by each domain's PCA components).
    pca_components : int, default=50
        Most PCA components per domain (also capped by its features and by the
        number of pairs minus one).
    C : float, default=1.0
        Inverse regularisation strength of the logistic regression.
    max_iter : int, default=10000
        Most iterations of CCA's solver (per component) and of the logistic
        regression's.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of target features.
    target_reduction_, source_reduction_ : Pipeline
        Per-domain standardisation and PCA (``source_reduction_`` is ``None``
        without source data).
    cca_ : CCA or None
        The canonical correlation analysis of the pairs (target side first).
    source_mean_ : ndarray of shape (n_source_components,) or None
        Mean of the pairs' reduced source side, which CCA centres on.
    classifier_ : LogisticRegression
        The classifier of the shared space.
    n_iter_ : int
        Iterations run by the logistic regression's solver.

    Examples
    --------
    >>> from skdatn.baselines import CCAClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = CCAClassifier().fit(task.X, task.y, **task.fit_params)
    >>> clf.score(task.X_test, task.y_test) > 0.5
    True
    """

    _needs_pairs = True
    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "pca_components": [Interval(Integral, 1, None, closed="left")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components=20, pca_components=50, C=1.0, max_iter=10000):
        self.n_components = n_components
        self.pca_components = pca_components
        self.C = C
        self.max_iter = max_iter

    def _reduction(self, rows: np.ndarray, n_pairs: int | None):
        """Standardisation and PCA fitted on all of a domain's rows."""
        cap = min(self.pca_components, rows.shape[1], rows.shape[0])
        if n_pairs is not None:
            cap = min(cap, n_pairs - 1)
        return make_pipeline(
            StandardScaler(), PCA(max(cap, 1), whiten=True, svd_solver="full")
        ).fit(rows)

    def _fit(self, fit: ValidatedFit) -> None:
        """Fit the reductions, the CCA on the pairs and the shared classifier."""
        X, inputs = fit.X, fit.inputs
        y_codes, ys_codes = fit.y_codes, fit.ys_codes
        if not inputs.has_source:
            self.target_reduction_ = self._reduction(inputs.target_rows(X), None)
            self.source_reduction_ = self.cca_ = self.source_mean_ = None
            self._fit_logistic(self.target_reduction_.transform(to_dense(X)), y_codes)
            return
        self._require_pairs(fit, "CCA is fitted on them.")
        n_pairs = inputs.pairs_source.shape[0]
        self.target_reduction_ = self._reduction(inputs.target_rows(X), n_pairs)
        self.source_reduction_ = self._reduction(inputs.source_rows(), n_pairs)
        pairs_t = self.target_reduction_.transform(to_dense(inputs.pairs_target))
        pairs_s = self.source_reduction_.transform(to_dense(inputs.pairs_source))
        k = min(self.n_components, pairs_t.shape[1], pairs_s.shape[1])
        self.cca_ = CCA(k, scale=False, max_iter=self.max_iter).fit(pairs_t, pairs_s)
        self.source_mean_ = pairs_s.mean(axis=0)
        shared = [self._target_scores(to_dense(X))]
        codes = [y_codes]
        if ys_codes.size:
            labeled = to_dense(inputs.X_source[inputs.source_labeled])
            shared.insert(0, self._source_scores(labeled))
            codes.insert(0, ys_codes)
        self._fit_logistic(np.vstack(shared), np.concatenate(codes))

    def _source_scores(self, Xs: np.ndarray) -> np.ndarray:
        """Canonical variates of source rows (CCA's second side, centred as CCA does)."""
        reduced = self.source_reduction_.transform(Xs)
        return (reduced - self.source_mean_) @ self.cca_.y_rotations_

    def _target_scores(self, X: np.ndarray) -> np.ndarray:
        reduced = self.target_reduction_.transform(X)
        return reduced if self.cca_ is None else self.cca_.transform(reduced)

    def _decision(self, X):
        return self.classifier_.predict_log_proba(self._target_scores(to_dense(X)))
