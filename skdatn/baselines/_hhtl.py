"""HHTL: Hybrid Heterogeneous Transfer Learning (Zhou et al., AAAI 2014)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval

from .._preprocessing import to_dense
from .._validation import ValidatedFit
from ._base import LogProbaTransferClassifier


def mda_weights(X: np.ndarray, noise: float, reg: float) -> np.ndarray:
    """Closed-form weights of one marginalised denoising autoencoder (mDA).

    Chen et al. (ICML 2012): the linear map that best reconstructs ``X`` from
    copies of it whose features are each dropped (set to zero) with
    probability ``noise``, in expectation over infinitely many corruptions.
    With ``Xb = [X, 1]``, ``S = Xb' Xb / n`` and the keep probabilities
    ``q = (1 - noise, ..., 1 - noise, 1)`` (the bias is never dropped),
    the expected scatter of the corrupted rows is ``Q = S * q q'`` off the
    diagonal and ``S_ii q_i`` on it, and their expected cross-scatter with the
    clean rows is ``P = S[:, :d] * q[:, None]``; the weights solve
    ``(Q + reg I') M = P`` (``I'``: the identity without the bias entry).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows to reconstruct.
    noise : float in [0, 1)
        Probability of dropping each feature.
    reg : float > 0
        Ridge penalty on the weights (not the bias); ``S`` is a per-row mean,
        so ``reg`` does not depend on the number of rows.

    Returns
    -------
    M : ndarray of shape (n_features + 1, n_features)
        Weights; the hidden layer of rows ``X`` is ``tanh([X, 1] @ M)``.
    """
    n, d = X.shape
    Xb = np.hstack([X, np.ones((n, 1))])
    S = Xb.T @ Xb / max(n, 1)
    q = np.full(d + 1, 1.0 - noise)
    q[-1] = 1.0
    Q = S * np.outer(q, q)
    Q[np.diag_indices(d + 1)] = np.diag(S) * q
    Q[np.arange(d), np.arange(d)] += reg
    return np.linalg.solve(Q, S[:, :d] * q[:, None])


def _mda_layer(X: np.ndarray, M: np.ndarray) -> np.ndarray:
    return np.tanh(X @ M[:-1] + M[-1])


def _stacked_mda(X: np.ndarray, n_layers: int, noise: float, reg: float):
    """mSDA: the weights of ``n_layers`` mDAs, each trained on the previous output."""
    weights = []
    for _ in range(n_layers):
        M = mda_weights(X, noise, reg)
        weights.append(M)
        X = _mda_layer(X, M)
    return weights


def _layers(X: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    """``[X, h_1, ..., h_K]``: the input and every hidden layer of an mSDA."""
    out = [X]
    for M in weights:
        out.append(_mda_layer(out[-1], M))
    return out


class HHTLClassifier(LogProbaTransferClassifier):
    """Hybrid Heterogeneous Transfer Learning: per-layer maps between two mSDAs.

    Zhou, Pan, Tsang & Yan, "Hybrid Heterogeneous Transfer Learning through
    Deep Learning", AAAI 2014; a baseline of the DATN paper (Wang, Cui & Zhu,
    AAAI 2018), where it stands for deep transfer that "assumes that all the
    knowledge in the source domain benefits the target domain".

    Recipe:

    1. Each domain is standardised, then a stack of ``n_layers`` marginalised
       denoising autoencoders (mSDA, Chen et al. 2012: closed form, tanh
       hidden layers of the input's width, see :func:`mda_weights`) is
       learned on every row of that domain (source: the source rows and the
       source side of the pairs; target: the labelled, unlabelled and paired
       target rows).
    2. At every layer ``k = 0, ..., n_layers`` (layer 0: the standardised
       input), a ridge regression ``G_k`` learned on the pairs maps the
       target's layer-``k`` representation to the source's.
    3. A logistic regression is trained on the concatenated source layers
       ``[x_S, h_S^1, ..., h_S^K]`` of the labelled source rows; a target row
       is classified through its mapped layers ``[G_0(x_T), ..., G_K(h_T^K)]``.

    Faithfulness: steps 1-3 follow the paper's structure (layer-wise mSDAs
    per domain, a feature map per layer learned on the correspondences, a
    classifier on the augmented source features). Choices where it leaves a
    detail open or where this library's setting differs:

    - The maps are ridge regressions with an unpenalised intercept
      (``ridge_alpha``) from target to source, learned on the pairs only.
    - The classifier is a logistic regression (for probabilities) instead of
      an SVM; it sees no target labels by default, as in the paper's setting
      (which has none). ``use_target_labels=True`` adds the mapped labelled
      target rows to its training set (user guide, "Variants",
      "Baselines").
    - mSDA regularisation ``mda_alpha`` is on the per-row mean scatter matrix;
      inputs are standardised per domain.
    - This implementation was written from the DATN paper's summary, the
      recipe above and a public port (GitHub thanhtunge6/clsa), not from the
      HHTL paper's full text: anything HHTL does beyond this recipe (e.g. a
      further correction of the bias between the pairs and the other rows
      than training each mSDA on all rows of its domain) is not reproduced.

    Without any source data it falls back to mSDA on the target rows and a
    logistic regression on the labelled target rows' concatenated layers
    (mSDA's own recipe, Chen et al. 2012).

    Parameters
    ----------
    n_layers : int, default=2
        Number of stacked mDA layers per domain.
    noise : float, default=0.5
        Corruption of the mDA: probability of dropping each feature, in [0, 1).
    mda_alpha : float, default=1e-5
        Ridge penalty of each mDA (on the per-row mean scatter matrix).
    ridge_alpha : float, default=1.0
        Ridge penalty of the per-layer target-to-source maps.
    C : float, default=1.0
        Inverse regularisation strength of the logistic regression.
    use_target_labels : bool, default=False
        Also train the classifier on the mapped labelled target rows.
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
    target_weights_, source_weights_ : list of ndarray
        mDA weights of every layer, shape ``(width + 1, width)`` (``[X, 1] @ M``);
        ``source_weights_`` is ``None`` without source data.
    maps_ : list of Ridge or None
        ``G_0, ..., G_K``: the per-layer target-to-source maps learned on the pairs.
    classifier_ : LogisticRegression
        The classifier on the concatenated (source) layers.
    n_iter_ : int
        Iterations run by the logistic regression's solver.

    See Also
    --------
    WSDTNClassifier : The symmetric deep baseline.
    ShallowMapClassifier : Layer 0 of HHTL alone, with a plain source classifier.

    Examples
    --------
    >>> from skdatn.baselines import HHTLClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = HHTLClassifier().fit(task.X, task.y, **task.fit_params)
    >>> len(clf.maps_)
    3
    >>> clf.score(task.X_test, task.y_test) > 0.6
    True
    """

    _needs_pairs = True
    _parameter_constraints: dict = {
        "n_layers": [Interval(Integral, 0, None, closed="left")],
        "noise": [Interval(Real, 0, 1, closed="left")],
        "mda_alpha": [Interval(Real, 0, None, closed="neither")],
        "ridge_alpha": [Interval(Real, 0, None, closed="left")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "use_target_labels": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_layers=2,
        noise=0.5,
        mda_alpha=1e-5,
        ridge_alpha=1.0,
        C=1.0,
        use_target_labels=False,
        max_iter=1000,
    ):
        self.n_layers = n_layers
        self.noise = noise
        self.mda_alpha = mda_alpha
        self.ridge_alpha = ridge_alpha
        self.C = C
        self.use_target_labels = use_target_labels
        self.max_iter = max_iter

    def _fit(self, fit: ValidatedFit) -> None:
        """Fit both mSDAs, the per-layer maps on the pairs and the classifier."""
        X, inputs = fit.X, fit.inputs
        y_codes, ys_codes = fit.y_codes, fit.ys_codes
        X = to_dense(X)
        target_rows = inputs.target_rows(X)
        self.target_scaler_ = StandardScaler().fit(target_rows)
        self.target_weights_ = _stacked_mda(
            self.target_scaler_.transform(target_rows),
            self.n_layers,
            self.noise,
            self.mda_alpha,
        )
        if not inputs.has_source:
            self.source_scaler_ = self.source_weights_ = self.maps_ = None
            self._fit_logistic(self._target_features(X), y_codes)
            return
        self._require_pairs(fit, "the per-layer maps are learned on them.")
        if not self.use_target_labels:
            self._require_source_labels(
                fit, " to train its classifier, or use_target_labels=True."
            )
        pairs_source = to_dense(inputs.pairs_source)
        pairs_target = to_dense(inputs.pairs_target)
        source_rows = inputs.source_rows()
        self.source_scaler_ = StandardScaler().fit(source_rows)
        self.source_weights_ = _stacked_mda(
            self.source_scaler_.transform(source_rows),
            self.n_layers,
            self.noise,
            self.mda_alpha,
        )
        self.maps_ = [
            Ridge(alpha=self.ridge_alpha).fit(h_target, h_source)
            for h_target, h_source in zip(
                self._target_layers(pairs_target),
                self._source_layers(pairs_source),
                strict=True,
            )
        ]
        features, codes = [], []
        if ys_codes.size:
            labeled = to_dense(inputs.X_source[inputs.source_labeled])
            features.append(np.hstack(self._source_layers(labeled)))
            codes.append(ys_codes)
        if self.use_target_labels:
            features.append(self._target_features(X))
            codes.append(y_codes)
        self._fit_logistic(np.vstack(features), np.concatenate(codes))

    def _source_layers(self, Xs: np.ndarray) -> list[np.ndarray]:
        return _layers(self.source_scaler_.transform(Xs), self.source_weights_)

    def _target_layers(self, X: np.ndarray) -> list[np.ndarray]:
        return _layers(self.target_scaler_.transform(X), self.target_weights_)

    def _target_features(self, X: np.ndarray) -> np.ndarray:
        """The classifier's input for target rows: mapped layers (own layers
        for a target-only fit), concatenated."""
        layers = self._target_layers(X)
        if self.maps_ is not None:
            layers = [G.predict(h) for G, h in zip(self.maps_, layers, strict=True)]
        return np.hstack(layers)

    def _decision(self, X):
        return self.classifier_.predict_log_proba(self._target_features(to_dense(X)))
