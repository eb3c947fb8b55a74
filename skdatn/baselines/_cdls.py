"""CDLS: Cross-Domain Landmark Selection (Hubert Tsai, Yeh and Wang, CVPR 2016)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.svm import NuSVC
from sklearn.utils._param_validation import Interval

from .._preprocessing import to_dense
from .._validation import ValidatedFit
from ._base import TransferClassifier
from ._rows import unit_rows

#: Iterations and tolerance of the landmark-weight QP solver.
_QP_MAX_ITER = 200
_QP_TOL = 1e-6


class CDLSClassifier(TransferClassifier):
    """Cross-Domain Landmark Selection for semi-supervised heterogeneous adaptation.

    The method of Y.-H. Hubert Tsai, Y.-R. Yeh and Y.-C. F. Wang, "Learning
    Cross-Domain Landmarks for Heterogeneous Domain Adaptation", CVPR 2016,
    following the authors' MATLAB code (GitHub
    ``yaohungt/Cross-Domain-Landmarks-Selection-CDLS-``), rewritten from the
    equations. One fit:

    1. Rows of each domain are scaled to unit L2 norm (as in the authors' demo).
    2. PCA of the target rows (labelled and unlabelled) gives the target
       subspace ``P_T`` (``n_components`` directions); target rows are projected
       on it *without* centring, as in the MATLAB code.
    3. Iterated ``max_iter`` times:

       a. the source projection ``P_S`` (source features to the target
          subspace) in closed form, minimising the weighted marginal MMD, the
          weighted class-conditional MMD and the weighted within-class
          source-target distances (the paper's ``E_M`` and ``E_C`` terms)
          plus ``reg * ||P_S||_F^2``: one ``d_S x d_S`` linear system;
       b. a linear nu-SVM (``NuSVC(kernel="linear", nu=nu)``, libsvm's ``-s 1
          -t 0`` as in the authors' code) on the projected labelled source rows,
          weighted ``alpha * n_L / n_S``, and the projected labelled target
          rows, weighted 1;
       c. pseudo-labels of the unlabelled target rows from that SVM;
       d. (``delta < 1``) the landmark weights ``alpha`` (labelled source rows)
          and ``beta`` (unlabelled target rows) by the paper's QP: the same
          three terms as a quadratic function of the weights on the projected
          rows (linear kernel), subject to ``0 <= w <= 1`` and, per class,
          ``sum(alpha_c) = delta * n_S,c`` and ``sum(beta_c) = delta * n_U,c``
          (class of the pseudo-labels).

    Prediction: the last SVM on ``P_T``-projected target rows.

    **Faithfulness.** Steps, default values (``n_components=100``,
    ``delta=0.5``, ``max_iter=5``, ``reg=0.5``, libsvm's ``nu=0.5``), the QP
    and the source weight scale (``n_T,L per class / n_S,L per class``, here
    ``n_L / n_S``) follow the MATLAB code. Deviations, each a choice where code
    and paper leave room:

    - the QP's global-MMD block between target weights uses ``b0 * b0`` (the
      expansion of the squared MMD); the MATLAB code has ``a0 * b0`` there,
      which we read as a typo;
    - the QP is solved by accelerated projected gradient with an exact
      projection on the per-class capped simplices (scipy supplies the
      step size through the largest eigenvalue of the QP's matrix); MATLAB used
      ``quadprog``. The pairwise term makes the QP possibly non-convex; the
      solver then returns a stationary point;
    - the QP after the last SVM (computed but unused in the MATLAB code) is
      skipped: ``source_weights_`` / ``target_weights_`` are the weights that
      the final ``P_S`` and SVM used (all ones when ``max_iter=1`` or
      ``delta=1``);
    - classes with no target row (labelled or pseudo-labelled) drop out of the
      class-conditional terms (MATLAB would divide by zero);
    - the unlabelled target rows are ``X_unlabeled`` (the paper is
      transductive: its unlabelled rows are the test rows); without them the
      QP weighs the source rows only;
    - ``n_components`` is capped at the number of target features and rows.

    Unlabelled source rows and the pairs are not used (CDLS needs no pairs; the
    DATN paper ran it without them): they are accepted and ignored. Without
    source rows the model is the same nu-SVM on the PCA-projected labelled
    target rows (on the mfeat tasks this fallback is about as accurate as the
    transfer: the L2-normalised linear SVM is a strong target-only model). At
    least two target features are needed (unit-norm rows of one feature keep
    only its sign). ``predict_proba`` is the softmax of the SVM's one-vs-rest
    decision values (libsvm's votes plus confidences; not calibrated
    probabilities, but consistent with ``predict``).

    Parameters
    ----------
    n_components : int, default=100
        Dimension of the target PCA subspace (capped at the number of target
        features and target rows).
    delta : float, default=0.5
        Portion of the landmark weights kept per class (``0 < delta <= 1``);
        ``1`` turns the landmark selection off.
    max_iter : int, default=5
        Iterations of projection, SVM, pseudo-labels and landmark weights.
    reg : float, default=0.5
        Ridge penalty of the source projection.
    nu : float, default=0.5
        The nu-SVM's ``nu``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of target features.
    components_ : ndarray of shape (n_kept, n_features)
        The target PCA directions (``P_T`` transposed); ``n_kept`` is
        ``n_components`` capped at the number of target features and rows.
    source_projection_ : ndarray of shape (n_source_features, n_kept) or None
        ``P_S`` (``None`` without source rows).
    source_weights_ : ndarray of shape (n_labeled_source,) or None
        Landmark weights ``alpha`` of the labelled source rows, in [0, 1].
    target_weights_ : ndarray of shape (n_unlabeled,) or None
        Landmark weights ``beta`` of the unlabelled target rows, in [0, 1].
    pseudo_labels_ : ndarray of shape (n_unlabeled,) or None
        Class labels the last SVM gave the unlabelled target rows.
    svm_ : NuSVC
        The final SVM (on class codes ``0 .. n_classes - 1``).
    n_iter_ : int
        Iterations run.

    Examples
    --------
    >>> from skdatn.baselines import CDLSClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = CDLSClassifier().fit(task.X, task.y, **task.fit_params)
    >>> clf.score(task.X_test, task.y_test) > 0.5
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "delta": [Interval(Real, 0, 1, closed="right")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "nu": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, n_components=100, delta=0.5, max_iter=5, reg=0.5, nu=0.5):
        self.n_components = n_components
        self.delta = delta
        self.max_iter = max_iter
        self.reg = reg
        self.nu = nu

    def _fit(self, fit: ValidatedFit) -> None:
        """Fit CDLS on labelled source rows and labelled and unlabelled target rows."""
        X, inputs = fit.X, fit.inputs
        y_codes, ys_codes = fit.y_codes, fit.ys_codes
        if X.shape[1] < 2:
            raise ValueError(
                "CDLSClassifier needs at least 2 target features (got n_features=1): "
                "rows are scaled to unit L2 norm, which leaves one feature its sign."
            )
        Xl = unit_rows(to_dense(X))
        Xu = (
            np.empty((0, Xl.shape[1]))
            if inputs.X_unlabeled is None
            else unit_rows(to_dense(inputs.X_unlabeled))
        )
        self.components_ = _pca_directions(np.vstack([Xl, Xu]), self.n_components)
        Zl, Zu = Xl @ self.components_.T, Xu @ self.components_.T
        self.source_projection_ = self.source_weights_ = None
        self.target_weights_ = self.pseudo_labels_ = None

        if inputs.X_source is None:  # pairs alone are ignored: target only
            self.svm_ = NuSVC(kernel="linear", nu=self.nu).fit(Zl, y_codes)
            self.n_iter_ = 1
            return
        self._require_source_labels(
            fit, ": its SVM and its class-conditional terms are trained on them."
        )
        S = unit_rows(to_dense(inputs.X_source[inputs.source_labeled]))
        n_classes = len(self.classes_)
        alpha, beta = np.ones(S.shape[0]), np.ones(Zu.shape[0])
        pseudo = None
        scale = Zl.shape[0] / S.shape[0]
        for it in range(self.max_iter):
            Ps = _source_projection(
                S, ys_codes, alpha, Zl, y_codes, Zu, beta, pseudo, n_classes, self.reg
            )
            Zs = S @ Ps
            svm = NuSVC(kernel="linear", nu=self.nu).fit(
                np.vstack([Zs, Zl]),
                np.concatenate([ys_codes, y_codes]),
                sample_weight=np.concatenate([scale * alpha, np.ones(Zl.shape[0])]),
            )
            if Zu.shape[0]:
                pseudo = svm.predict(Zu)
            if it + 1 < self.max_iter and self.delta < 1:
                alpha, beta = _landmark_weights(
                    Zs, ys_codes, Zl, y_codes, Zu, pseudo, n_classes, self.delta
                )
        self.svm_ = svm
        self.n_iter_ = self.max_iter
        self.source_projection_ = Ps
        self.source_weights_ = alpha
        if Zu.shape[0]:
            self.target_weights_ = beta
            self.pseudo_labels_ = self.classes_[pseudo]

    def _decision(self, X):
        scores = self.svm_.decision_function(
            unit_rows(to_dense(X)) @ self.components_.T
        )
        if scores.ndim == 1:
            return np.column_stack([-scores / 2, scores / 2])
        return scores

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the SVM's one-vs-rest decision values (not calibrated).

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
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)


def _pca_directions(X: np.ndarray, n_components: int) -> np.ndarray:
    """The top principal directions of X's rows, shape (k, n_features)."""
    _, _, Vt = scipy.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    return Vt[: min(n_components, Vt.shape[0])]


def _source_projection(S, ys, alpha, Zl, yl, Zu, beta, pseudo, n_classes, reg):
    """P_S minimising the weighted MMD and pairwise terms plus reg * ||P_S||^2.

    Every term is ``sum_ij m_ij ||P_S' s_i - z_j||^2``-like in ``P_S``, so the
    normal equations read ``(S' M_ss S + reg I) P_S = S' M_st Z_T``; the
    matrices are accumulated as outer products, never formed row by row.
    """
    Zt = np.vstack([Zl, Zu])
    w = np.concatenate([np.ones(Zl.shape[0]), beta])  # target row weights
    # Class of each target row; -1 where unknown (before any pseudo-labels).
    yt = np.concatenate([yl, np.full(Zu.shape[0], -1) if pseudo is None else pseudo])
    is_labeled = np.arange(Zt.shape[0]) < Zl.shape[0]
    d = S.shape[1]
    lhs = reg * np.eye(d)
    rhs = np.zeros((d, Zt.shape[1]))

    def add_mean_match(src, tgt):
        # || sum_i a_i P_S' s_i - sum_j b_j z_j ||^2 with normalised weights.
        a = alpha[src] / alpha[src].sum()
        b = w[tgt] / w[tgt].sum()
        u = S[src].T @ a
        lhs[:] += np.outer(u, u)
        rhs[:] += np.outer(u, Zt[tgt].T @ b)

    add_mean_match(np.ones(S.shape[0], bool), np.ones(Zt.shape[0], bool))
    for c in range(n_classes):
        src, tgt = ys == c, yt == c
        if not tgt.any() or alpha[src].sum() <= 0 or w[tgt].sum() <= 0:
            continue
        add_mean_match(src, tgt)
        # ec * sum_{i in S_c, j in T_c} alpha_i w_j ||P_S' s_i - z_j||^2
        a_c, n_lc = alpha[src].sum(), np.count_nonzero(tgt & is_labeled)
        b_c = w[tgt & ~is_labeled].sum()
        ec = 1.0 / (a_c * b_c + b_c * n_lc + n_lc * a_c)
        Sc = S[src]
        lhs += ec * (b_c + n_lc) * (Sc.T * alpha[src]) @ Sc
        rhs += ec * np.outer(Sc.T @ alpha[src], Zt[tgt].T @ w[tgt])
    return scipy.linalg.solve(lhs, rhs, assume_a="pos")


def _landmark_weights(Zs, ys, Zl, yl, Zu, yu, n_classes, delta):
    """The landmark weights (alpha, beta) by the paper's QP on projected rows.

    Minimises ``0.5 z' H z + f' z`` over ``z = [alpha, beta]`` with
    ``0 <= z <= 1`` and per-class sums ``delta * n_c``; ``H`` and ``f`` are the
    global MMD, the class-conditional MMD and the within-class pairwise
    distances (half the objective, linear kernel), as in the authors' code.
    """
    ns, nl, nu = Zs.shape[0], Zl.shape[0], Zu.shape[0]
    F = np.vstack([Zs, Zu])  # the weighted rows
    yu = np.empty(0, dtype=ys.dtype) if yu is None else yu
    labels = np.concatenate([ys, yu])
    is_src = np.arange(ns + nu) < ns
    H = np.zeros((ns + nu, ns + nu))
    f = np.zeros(ns + nu)

    def add_mmd(src, unl, lab, a0, b0):
        # || a0 sum alpha_i zs_i - b0 (sum zl_l + sum beta_u zu_u) ||^2 / 2
        idx = np.flatnonzero(src | unl)
        E = (np.where(src, a0, 0.0) - np.where(unl, b0, 0.0))[idx, None] * F[idx]
        H[np.ix_(idx, idx)] += E @ E.T
        f[idx] -= b0 * (E @ Zl[lab].sum(axis=0))

    add_mmd(is_src, ~is_src, np.ones(nl, bool), 1 / (delta * ns), 1 / (delta * nu + nl))
    for c in range(n_classes):
        src, unl = is_src & (labels == c), ~is_src & (labels == c)
        lab = yl == c
        n_sc, n_uc, n_lc = src.sum(), unl.sum(), lab.sum()
        if n_uc + n_lc == 0 or n_sc == 0:
            continue
        add_mmd(src, unl, lab, 1 / (delta * n_sc), 1 / (delta * n_uc + n_lc))
        # ec/2 * [sum alpha_i |zs_i - zl|^2 + sum alpha_i beta_u |zs_i - zu_u|^2
        #         + sum beta_u |zu_u - zl|^2]
        ec = 1 / (delta**2 * n_sc * n_uc + delta * n_uc * n_lc + n_lc * delta * n_sc)
        Fc = F[src | unl]
        idx = np.flatnonzero(src | unl)
        f[idx] += 0.5 * ec * _sq_dists(Fc, Zl[lab]).sum(axis=1)
        si, ui = np.flatnonzero(src), np.flatnonzero(unl)
        D = 0.5 * ec * _sq_dists(F[si], F[ui])
        H[np.ix_(si, ui)] += D
        H[np.ix_(ui, si)] += D.T

    # One equality group per (domain, class): source rows, then unlabelled rows.
    _, groups = np.unique(labels + n_classes * ~is_src, return_inverse=True)
    z = _solve_capped_simplex_qp(H, f, groups, delta)
    return z[:ns], z[ns:]


def _sq_dists(A, B):
    """Squared Euclidean distances between the rows of A and of B."""
    d = (A * A).sum(axis=1)[:, None] + (B * B).sum(axis=1)[None, :] - 2 * A @ B.T
    return np.maximum(d, 0.0)


def _solve_capped_simplex_qp(H, f, groups, delta):
    """min 0.5 z'Hz + f'z s.t. 0 <= z <= 1, sum(z[g]) = delta * |g| per group g.

    Accelerated projected gradient (FISTA with restart on an objective
    increase, so it also descends when H is indefinite), step 1 / |lambda|_max,
    at most ``_QP_MAX_ITER`` steps (the accuracy of the fitted classifier does
    not change between 50 and 1500 steps on the mfeat tasks).
    """
    n = H.shape[0]
    L = np.abs(scipy.linalg.eigh(H, eigvals_only=True)).max()
    step = 1.0 / max(L, 1e-12)

    def objective(z):
        return 0.5 * z @ H @ z + f @ z

    z = np.full(n, delta)  # feasible start
    v, t, obj = z.copy(), 1.0, objective(z)
    for _ in range(_QP_MAX_ITER):
        z_new = _project(v - step * (H @ v + f), groups, delta)
        obj_new = objective(z_new)
        if obj_new > obj:  # restart momentum from a plain gradient step
            z_new = _project(z - step * (H @ z + f), groups, delta)
            obj_new, t = objective(z_new), 1.0
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        v = z_new + ((t - 1) / t_new) * (z_new - z)
        converged = np.abs(z_new - z).max() < _QP_TOL
        z, t, obj = z_new, t_new, obj_new
        if converged:
            break
    return np.clip(z, 0.0, 1.0)


def _project(v, groups, delta):
    """Euclidean projection on {0 <= z <= 1, sum z[g] = delta |g| per group}.

    ``groups`` gives each entry's group index. Per group ``z = clip(v - tau, 0,
    1)``, the shift ``tau`` found by bisection (all groups at once; the sum is
    non-increasing in ``tau``).
    """
    n_groups = groups.max() + 1
    target = delta * np.bincount(groups, minlength=n_groups)
    lo = np.full(n_groups, v.min() - 1.0)
    hi = np.full(n_groups, v.max())
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        z = np.minimum(np.maximum(v - mid[groups], 0.0), 1.0)
        sums = np.bincount(groups, weights=z, minlength=n_groups)
        above = sums > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.clip(v - (0.5 * (lo + hi))[groups], 0.0, 1.0)
