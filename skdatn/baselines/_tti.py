"""TTI: the text-to-image translator (Qi, Aggarwal and Huang, WWW 2011)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval

from .._preprocessing import to_dense
from .._validation import ValidatedFit
from ._base import TransferClassifier


class TTIClassifier(TransferClassifier):
    """A low-rank bilinear translator learned from the pairs, labels through the source.

    The translator of G.-J. Qi, C. C. Aggarwal and T. Huang, "Towards Semantic
    Knowledge Propagation from Text Corpus to Web Images", WWW 2011 (the "TTI"
    baseline of the DATN paper). No public code is known; this is our reading
    of the paper:

    - the translator is a bilinear function ``T(s, x) = s' S x`` between a
      source row ``s`` and a target row ``x``, with a trace-norm penalty on
      ``S`` (``d_S x d_T``) that makes it low-rank;
    - a target row is scored through the labelled source rows: for class
      ``k``, ``f_k(x) = (1 / n_S) sum_i y_ik T(s_i, x) + b_k`` with
      ``y_ik = +1`` if source row ``i`` has class ``k`` and ``-1`` otherwise
      (the paper's binary propagation, one-vs-rest for several classes);
    - ``S`` and ``b`` minimise::

          mean_l sum_k log(1 + exp(-y_lk f_k(x_l)))          (labelled target)
          + pair_weight * [ mean_i log(1 + exp(-T(s_i, x_i)))  (pairs)
                            + mean_{i != j} log(1 + exp(T(s_i, x_j))) ]
          + trace_weight * ||S||_*

      by accelerated proximal gradient (FISTA with backtracking, singular-value
      soft thresholding as the proximal step), from ``S = 0``.

    Choices where the paper leaves room (ours): the co-occurrence term uses the
    pairs as positives and every mismatched combination of a pair's source
    side with another pair's target side as negatives, the two groups weighted
    equally; the per-class biases ``b_k`` are ours (unpenalised; one-vs-rest
    labels are unbalanced); each domain is standardised (on all its rows) and
    divided by the square root of its number of features, so that translator
    values are of order one; the optimiser, its stopping rule and the default
    weights are ours (``trace_weight`` and ``pair_weight`` were chosen on the mfeat
    development tasks fac->fou, fac->zer and pix->fou). Unlabelled rows only
    enter the scalers.

    Without source data the model is a one-vs-rest logistic regression on the
    standardised labelled target rows (the scoring rule with the target as its
    own source). ``predict_proba`` normalises the one-vs-rest sigmoids of
    ``f_k`` to sum to one.

    Parameters
    ----------
    trace_weight : float, default=0.003
        Weight of the trace norm of the translator.
    pair_weight : float, default=10.0
        Weight of the co-occurrence (pairs) loss against the labelled target
        loss.
    max_iter : int, default=300
        Iterations of the proximal gradient method.
    tol : float, default=1e-5
        Stop when an iteration changes the objective by less than ``tol``
        times its value.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of target features.
    target_scaler_, source_scaler_ : StandardScaler
        Per-domain scalers (``source_scaler_`` is ``None`` without source data).
    translator_ : ndarray of shape (n_source_features, n_features) or None
        ``S`` on the scaled features.
    rank_ : int
        Rank of the translator (0 without source data).
    coef_ : ndarray of shape (n_classes, n_features)
        ``f_k`` as a linear function of the scaled target row.
    intercept_ : ndarray of shape (n_classes,)
        The biases ``b_k``.
    n_iter_ : int
        Iterations run.

    Examples
    --------
    >>> from skdatn.baselines import TTIClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = TTIClassifier().fit(task.X, task.y, **task.fit_params)
    >>> clf.score(task.X_test, task.y_test) > 0.5
    True
    """

    _needs_pairs = True
    _parameter_constraints: dict = {
        "trace_weight": [Interval(Real, 0, None, closed="left")],
        "pair_weight": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, trace_weight=0.003, pair_weight=10.0, max_iter=300, tol=1e-5):
        self.trace_weight = trace_weight
        self.pair_weight = pair_weight
        self.max_iter = max_iter
        self.tol = tol

    def _fit(self, fit: ValidatedFit) -> None:
        """Learn the translator from the pairs and the labelled target rows."""
        X, inputs = fit.X, fit.inputs
        y_codes, ys_codes = fit.y_codes, fit.ys_codes
        self.target_scaler_ = StandardScaler().fit(inputs.target_rows(X))
        Xl = self._scale(self.target_scaler_, to_dense(X))
        n_classes = len(self.classes_)
        if not inputs.has_source:
            lr = LogisticRegression().fit(Xl, y_codes)
            coef, intercept = lr.coef_, lr.intercept_
            if n_classes == 2:  # one score per class, difference = lr's score
                coef = np.vstack([-coef, coef]) / 2
                intercept = np.concatenate([-intercept, intercept]) / 2
            self.coef_, self.intercept_ = coef, intercept
            self.source_scaler_ = self.translator_ = None
            self.rank_, self.n_iter_ = 0, int(np.max(lr.n_iter_))
            return
        self._require_pairs(fit, "the translator is learned on them.")
        self._require_source_labels(fit, ": target rows are scored through them.")
        self.source_scaler_ = StandardScaler().fit(inputs.source_rows())
        Xs = self._scale(
            self.source_scaler_, to_dense(inputs.X_source[inputs.source_labeled])
        )
        A = self._scale(self.source_scaler_, to_dense(inputs.pairs_source))
        B = self._scale(self.target_scaler_, to_dense(inputs.pairs_target))
        Ys = np.where(ys_codes[:, None] == np.arange(n_classes), 1.0, -1.0)
        M = Ys.T @ Xs / Xs.shape[0]  # (n_classes, d_S): f_k(x) = M_k S x + b_k
        Yl = np.where(y_codes[:, None] == np.arange(n_classes), 1.0, -1.0)
        # Every iterate lies in P C Q' (see _subspaces): solve for the small C.
        P, Q = _subspaces(M, A, Xl, B)
        C, b, self.n_iter_ = _fit_translator(
            M @ P,
            Xl @ Q,
            Yl,
            A @ P,
            B @ Q,
            self.pair_weight,
            self.trace_weight,
            self.max_iter,
            self.tol,
        )
        S = P @ C @ Q.T
        self.translator_ = S
        self.rank_ = int(np.linalg.matrix_rank(C)) if np.any(C) else 0
        self.coef_, self.intercept_ = M @ S, b

    @staticmethod
    def _scale(scaler, X):
        return scaler.transform(X) / np.sqrt(X.shape[1])

    def _decision(self, X):
        return self._scale(self.target_scaler_, to_dense(X)) @ self.coef_.T + (
            self.intercept_
        )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities: the one-vs-rest sigmoids, normalised.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        scores = self._decision(self._validate_predict(X))
        if scores.shape[1] == 2:  # binary: the sigmoid of the score difference
            p = expit(scores[:, 1] - scores[:, 0])
            return np.column_stack([1 - p, p])
        proba = expit(scores)
        return proba / proba.sum(axis=1, keepdims=True)


def _subspaces(M, A, Xl, B) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal bases P (d_S x r_S) and Q (d_T x r_T) that hold every iterate.

    The objective sees S only through ``M S Xl'`` and ``A S B'``, so its
    gradient lies in ``P (.) Q'`` with P spanning the columns of ``[M', A']``
    and Q those of ``[Xl', B']``; from ``S = 0``, the extrapolations and the
    singular-value thresholding (the SVD of ``P C Q'`` is ``P U s V' Q'``) stay
    there too, and ``||P C Q'||_* = ||C||_*``. Solving for C (at most
    (n_classes + n_pairs) x (n_labelled + n_pairs)) gives the same iterates
    as solving for S, with SVDs of that size instead of d_S x d_T: with
    2000-word vocabularies on both sides, seconds instead of many minutes.
    When a basis would not be smaller than its space, the identity is used.
    """

    def basis(rows: np.ndarray) -> np.ndarray:
        d = rows.shape[1]
        if rows.shape[0] >= d:
            return np.eye(d)
        return scipy.linalg.orth(rows.T)

    return basis(np.vstack([M, A])), basis(np.vstack([Xl, B]))


def _fit_translator(M, Xl, Yl, A, B, pair_weight, trace_weight, max_iter, tol):
    """FISTA with backtracking for the TTI objective; returns S, b, n_iter."""
    n_c = A.shape[0]
    # Pair weights: positives (diagonal) and negatives (off-diagonal), each
    # group's weights summing to pair_weight; signs c = +1 / -1.
    sign = 2 * np.eye(n_c) - 1
    W = np.full((n_c, n_c), pair_weight / max(n_c * (n_c - 1), 1))
    np.fill_diagonal(W, pair_weight / n_c)
    n_l = Xl.shape[0]

    def smooth(S, b, grad=True):
        """Smooth part of the objective (and its gradient when grad)."""
        F = Xl @ (M @ S).T + b  # (n_l, n_classes)
        T = (A @ S) @ B.T  # (n_c, n_c)
        loss = -log_expit(Yl * F).sum() / n_l - (W * log_expit(sign * T)).sum()
        if not grad:
            return loss
        G = -Yl * expit(-Yl * F) / n_l
        R = -W * sign * expit(-sign * T)
        return loss, M.T @ (G.T @ Xl) + A.T @ (R @ B), G.sum(axis=0)

    def prox(S, step):
        U, s, Vt = _svd(S)
        s = np.maximum(s - step * trace_weight, 0.0)
        return (U * s) @ Vt, s.sum()

    S = np.zeros((M.shape[1], Xl.shape[1]))
    b = np.zeros(M.shape[0])
    V_S, V_b, t, L = S, b, 1.0, 1.0
    obj = smooth(S, b, grad=False)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        f_v, g_S, g_b = smooth(V_S, V_b)
        while True:  # backtracking on the local Lipschitz constant
            S_new, nuc = prox(V_S - g_S / L, 1.0 / L)
            b_new = V_b - g_b / L
            dS, db = S_new - V_S, b_new - V_b
            f_new = smooth(S_new, b_new, grad=False)
            bound = (
                f_v + (g_S * dS).sum() + g_b @ db + 0.5 * L * ((dS**2).sum() + db @ db)
            )
            if f_new <= bound + 1e-12:
                break
            L *= 2.0
        obj_new = f_new + trace_weight * nuc
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        V_S = S_new + ((t - 1) / t_new) * (S_new - S)
        V_b = b_new + ((t - 1) / t_new) * (b_new - b)
        converged = abs(obj - obj_new) <= tol * max(abs(obj_new), 1e-12)
        S, b, t, obj = S_new, b_new, t_new, obj_new
        L /= 1.25  # let the step grow again
        if converged:
            break
    return S, b, n_iter


def _svd(S: np.ndarray):
    """Thin SVD; LAPACK's divide-and-conquer driver (gesdd) sometimes fails to
    converge on large matrices, the slower gesvd then does the job."""
    try:
        return scipy.linalg.svd(S, full_matrices=False)
    except np.linalg.LinAlgError:
        return scipy.linalg.svd(S, full_matrices=False, lapack_driver="gesvd")
