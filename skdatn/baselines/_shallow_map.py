"""ShallowMap: a ridge map from target to source features and a source classifier."""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval

from .._preprocessing import to_dense
from .._validation import ValidatedFit
from ._base import LogProbaTransferClassifier


class ShallowMapClassifier(LogProbaTransferClassifier):
    """The shallow asymmetric baseline: map target rows into the source features.

    Both domains are standardised; a ridge regression learned on the pairs maps
    target features to source features; a logistic regression trained on the
    labelled source rows classifies the mapped target rows. It is DATN's
    asymmetric idea without the deep pathways: a linear ``G`` on the raw
    (standardised) features and the source classifier reached through it.
    Without any source data it falls back to a logistic regression on the
    labelled target rows. Unlabelled target rows only enter the target scaler.

    Parameters
    ----------
    ridge_alpha : float, default=1.0
        Ridge penalty of the target-to-source map.
    C : float, default=1.0
        Inverse regularisation strength of the logistic regression.
    max_iter : int, default=1000
        Iterations of the logistic regression's solver.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of target features.
    target_scaler_, source_scaler_ : StandardScaler
        Per-domain scalers (``source_scaler_`` is ``None`` without source data).
    map_ : Ridge or None
        The target-to-source map learned on the pairs.
    classifier_ : LogisticRegression
        The source classifier (the target one for a target-only fit).
    n_iter_ : int
        Iterations run by the logistic regression's solver.

    Examples
    --------
    >>> from skdatn.baselines import ShallowMapClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = ShallowMapClassifier().fit(task.X, task.y, **task.fit_params)
    >>> clf.score(task.X_test, task.y_test) > 0.5
    True
    """

    _needs_pairs = True
    _parameter_constraints: dict = {
        "ridge_alpha": [Interval(Real, 0, None, closed="left")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, ridge_alpha=1.0, C=1.0, max_iter=1000):
        self.ridge_alpha = ridge_alpha
        self.C = C
        self.max_iter = max_iter

    def _fit(self, fit: ValidatedFit) -> None:
        """Fit the map on the pairs and the classifier on the labelled source rows."""
        X, inputs = fit.X, fit.inputs
        y_codes, ys_codes = fit.y_codes, fit.ys_codes
        self.target_scaler_ = StandardScaler().fit(inputs.target_rows(X))
        if not inputs.has_source:
            self.source_scaler_ = self.map_ = None
            self._fit_logistic(self.target_scaler_.transform(to_dense(X)), y_codes)
            return
        self._require_pairs(fit, "the map is learned on them.")
        self._require_source_labels(fit, " to train its classifier.")
        self.source_scaler_ = StandardScaler().fit(inputs.source_rows())
        self.map_ = Ridge(alpha=self.ridge_alpha).fit(
            self.target_scaler_.transform(to_dense(inputs.pairs_target)),
            self.source_scaler_.transform(to_dense(inputs.pairs_source)),
        )
        labeled = to_dense(inputs.X_source[inputs.source_labeled])
        self._fit_logistic(self.source_scaler_.transform(labeled), ys_codes)

    def _decision(self, X):
        Z = self.target_scaler_.transform(to_dense(X))
        if self.map_ is not None:
            Z = self.map_.predict(Z)
        return self.classifier_.predict_log_proba(Z)
