"""CDSPP: Cross-Domain Structure Preserving Projection (Wang and Breckon, 2022)."""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral, Real

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval

from .._preprocessing import to_dense
from .._pseudo_labels import confident_rows
from .._validation import ValidatedFit
from ._base import LogProbaTransferClassifier
from ._rows import unit_rows, unit_rows_times

#: Relative size below which a singular value (of the rows, or of the
#: whitened cross-domain matrix) counts as zero.
_RANK_TOL = 1e-10


class CDSPPClassifier(LogProbaTransferClassifier):
    """Cross-Domain Structure Preserving Projection for semi-supervised heterogeneous adaptation.

    The method of Q. Wang and T. P. Breckon, "Cross-Domain Structure Preserving
    Projection for Heterogeneous Domain Adaptation", Pattern Recognition 123
    (2022), arXiv 2004.12427, following the authors' MATLAB code (GitHub
    ``hellowangqian/cdspp-hda``: ``CDLPP.m``, ``HDA_CDLPP.m``), rewritten from
    the equations. It needs no pairs: labelled source rows, labelled target
    rows and (optionally) unlabelled target rows. One fit:

    1. Rows of each domain are scaled to unit L2 norm (no PCA, as in the
       authors' scripts).
    2. Two projections, ``P_S`` (source features to a common space) and
       ``P_T`` (target features to it), extend LPP across domains with the
       class graph: ``W_S`` and ``W_T`` join same-class rows within a domain,
       ``W_C`` same-class rows across domains (all weights 1). They are the
       generalised eigenvectors of largest eigenvalue of

       ``[[0, X_S' W_C X_T], [X_T' W_C' X_S, 0]] p
       = eta ([[X_S' (L_S + lambda D_CS) X_S, 0], [0, X_T' (L_T + lambda D_CT) X_T]]
       + alpha I) p``

       with ``L = D - W`` the within-domain Laplacians and ``D_CS``, ``D_CT``
       the degrees of ``W_C``. Since ``sum W_C ||P_S' x_i - P_T' x_j||^2``
       is the degree terms minus twice the left-hand form, this is a
       Rayleigh-quotient (LPP-style) form of pulling same-class rows of the
       two domains together while keeping same-class rows of each domain
       close (the Laplacian terms), with a ridge ``alpha``; each direction is
       constrained to ``p' M p = 1`` (``M`` the right-hand matrix).
    3. Classifier (the authors' ``'nc'``): the projected training rows (source
       and target) are centred on their mean and scaled to unit norm; each
       class has the unit-normalised mean of its projected rows; a target row
       goes to the nearest class mean (Euclidean). ``predict_proba`` is the
       authors' confidence: the softmax of minus the distances.
    4. Semi-supervised iterations (``max_iter`` = the authors' ``T``): the
       unlabelled target rows get pseudo-labels from step 3; in iteration
       ``t`` (``1 .. T - 1``) the most confident ``t / T`` of the rows
       predicted to each class join the labelled target rows with their
       pseudo-labels, and steps 2-3 are run again. ``T`` projections are
       learnt; the last one is used.

    **Faithfulness.** The graph, the eigenproblem, the unit-norm rows,
    the centring and unit-norm classifier with its softmax confidence, the
    progressive per-class selection and the defaults (``alpha=10``,
    ``lambda=0.5``, ``T=5``, a common space of at most ``n_classes``
    dimensions: the authors use 10 on Office-Caltech and 65 on Office-Home,
    their numbers of classes) follow the authors' code, from which the
    equations above are read. Deviations, each where code and paper leave
    room:

    - the eigenproblem is solved exactly but differently: ``M`` is block
      diagonal and the left-hand matrix has rank at most ``2 * n_classes``
      (``W_C = Y_S Y_T'``, one-hot labels), so the directions are the
      singular vectors of the whitened cross-domain matrix
      ``C_S^-1 X_S' Y_S Y_T' X_T C_T^-T`` (``C`` the Cholesky factors of the
      blocks of ``M``), scaled to ``p' M p = 1`` as a symmetric-definite
      eigensolver returns them (the scales weight the axes of the common
      space). Wide inputs are first expressed in the span of their rows (a
      lossless reduction: with the ridge, every direction of positive
      eigenvalue lies in it), so a fit costs ``O(n^3)`` in the rows, not the
      features, and a wide sparse matrix is not densified;
    - only directions of positive eigenvalue are kept (there are at most
      ``n_classes``); a larger ``n_components`` is capped there. The authors
      ask ``eigs`` for 10 directions also on 6 and 8 classes (Reuters,
      NUS-WIDE), where the extra ones are arbitrary vectors of a null space;
    - the pseudo-labelled rows are ``X_unlabeled``; the authors' code is
      transductive (the unlabelled rows are the test rows). Within a class
      the selected rows are the ``ceil``-like share ``n_c - floor(n_c (1 - t /
      T))`` of highest confidence (the code keeps ties at the threshold too);
    - the authors' optional selection of source rows (``deltaS``, fixed to 1,
      i.e. every row, in all their scripts) is not implemented.

    Unlabelled source rows and the pairs are not used (CDSPP needs no pairs):
    they are accepted and ignored. Without source rows (``X_source=None``,
    pairs alone included) the projection is the identity: the model is the
    same nearest-class-mean classifier, with the same pseudo-label
    iterations, on the unit-norm target rows. At least two target features are
    needed (unit-norm rows of one feature keep only its sign).

    Parameters
    ----------
    n_components : int or None, default=None
        Dimension of the common space: at most this many directions, capped
        at the number of directions of positive eigenvalue (at most the number
        of classes); ``None`` keeps them all.
    alpha : float, default=10.0
        Ridge ``alpha`` added to the constraint matrix.
    cross_weight : float, default=0.5
        ``lambda``: weight of the cross-domain degree matrices ``D_CS``,
        ``D_CT`` in the constraint.
    max_iter : int, default=5
        ``T``: projections learnt, the first on the labelled rows, the others
        each with a larger share of pseudo-labelled unlabelled target rows
        (``1`` turns pseudo-labelling off; without ``X_unlabeled`` one
        projection is learnt).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of target features.
    source_projection_ : ndarray of shape (n_source_features, d) or None
        ``P_S``, applied to unit-norm source rows (``None`` without source rows).
    target_projection_ : ndarray of shape (n_features, d) or None
        ``P_T``, applied to unit-norm target rows (``None`` without source
        rows: the identity).
    eigenvalues_ : ndarray of shape (d,) or None
        The generalised eigenvalues of the kept directions, decreasing.
    n_components_ : int
        ``d``, the dimension of the common space (``n_features_in_`` without
        source rows).
    mean_ : ndarray of shape (d,)
        Mean of the projected training rows, subtracted before the unit
        normalisation.
    class_means_ : ndarray of shape (n_classes, d)
        Unit-norm class means in the common space.
    pseudo_labels_ : ndarray of shape (n_unlabeled,) or None
        Class labels the last projection's classifier gives the unlabelled
        target rows (``None`` without them).
    n_iter_ : int
        Projections learnt.

    Examples
    --------
    >>> from skdatn.baselines import CDSPPClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = CDSPPClassifier().fit(
    ...     task.X, task.y, X_source=task.X_source, X_unlabeled=task.X_unlabeled
    ... )
    >>> clf.source_projection_.shape, clf.target_projection_.shape
    ((216, 10), (76, 10))
    >>> clf.score(task.X_test, task.y_test) > 0.6
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "cross_weight": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components=None, alpha=10.0, cross_weight=0.5, max_iter=5):
        self.n_components = n_components
        self.alpha = alpha
        self.cross_weight = cross_weight
        self.max_iter = max_iter

    def _fit(self, fit: ValidatedFit) -> None:
        """Fit CDSPP on labelled source rows and labelled and unlabelled target rows."""
        X, inputs = fit.X, fit.inputs
        if X.shape[1] < 2:
            raise ValueError(
                "CDSPPClassifier needs at least 2 target features (got "
                "n_features=1): rows are scaled to unit L2 norm, which leaves one "
                "feature its sign."
            )
        n_classes = len(self.classes_)
        y_codes = fit.y_codes
        Xl = unit_rows(X, np.float64)
        n_l = Xl.shape[0]
        Xu = (
            None
            if inputs.X_unlabeled is None
            else unit_rows(inputs.X_unlabeled, np.float64)
        )
        n_u = 0 if Xu is None else Xu.shape[0]

        self.source_projection_ = self.target_projection_ = None
        self.eigenvalues_ = self.pseudo_labels_ = None
        if inputs.X_source is None:  # pairs alone are ignored: target only
            source = None
            target = _Identity(Xl if Xu is None else _vstack(Xl, Xu))
        else:
            self._require_source_labels(
                fit, ": its cross-domain graph joins rows of the same class."
            )
            source = _RowSpan(
                unit_rows(inputs.X_source[inputs.source_labeled], np.float64)
            )
            target = _RowSpan(Xl if Xu is None else _vstack(Xl, Xu))
            ys_codes = fit.ys_codes
        Zt = target.coords  # rows: the labelled, then the unlabelled target rows

        n_iter = self.max_iter if n_u else 1
        selected = np.zeros(n_u, dtype=bool)
        pseudo = np.zeros(n_u, dtype=np.int64)
        for it in range(1, n_iter + 1):
            rows = np.concatenate([np.arange(n_l), n_l + np.flatnonzero(selected)])
            yt = np.concatenate([y_codes, pseudo[selected]])
            if source is None:
                Qt, eig = None, None
                Et, Es, ys = Zt[rows], np.empty((0, Zt.shape[1])), yt[:0]
            else:
                Qs, Qt, eig = _cdspp_directions(
                    source.coords,
                    ys_codes,
                    Zt[rows],
                    yt,
                    n_classes,
                    self.alpha,
                    self.cross_weight,
                    self.n_components,
                )
                Es, Et, ys = source.coords @ Qs, Zt[rows] @ Qt, ys_codes
            self.mean_, self.class_means_ = _class_means(
                np.vstack([Es, Et]), np.concatenate([ys, yt]), n_classes
            )
            if n_u:
                Eu = Zt[n_l:] if Qt is None else Zt[n_l:] @ Qt
                log_proba = _log_softmax_distances(Eu, self.mean_, self.class_means_)
                pseudo = np.argmax(log_proba, axis=1)
                if it < n_iter:
                    selected = _select_confident(log_proba, it, n_iter)
        self.n_iter_ = n_iter
        if source is not None:
            self.source_projection_ = source.lift(Qs)
            self.target_projection_ = target.lift(Qt)
            self.eigenvalues_ = eig
        self.n_components_ = self.mean_.shape[0]
        if n_u:
            self.pseudo_labels_ = self.classes_[pseudo]

    def _embed(self, X) -> np.ndarray:
        """Target rows (validated) in the common space, before centring."""
        if self.target_projection_ is None:
            return to_dense(unit_rows(X, np.float64))
        return unit_rows_times(X, self.target_projection_)

    def _decision(self, X):
        return _log_softmax_distances(self._embed(X), self.mean_, self.class_means_)


def _vstack(A, B):
    if sp.issparse(A) or sp.issparse(B):
        return sp.vstack([sp.csr_matrix(A), sp.csr_matrix(B)], format="csr")
    return np.vstack([A, B])


class _Identity:
    """The rows themselves as coordinates (target-only model)."""

    def __init__(self, X):
        self.coords = to_dense(X)


class _RowSpan:
    """Coordinates of rows in an orthonormal basis ``V`` of their span.

    With at least as many rows as features, ``V`` is the identity and the
    coordinates are the rows. Otherwise the coordinates ``X V = U s`` come
    from the eigendecomposition of the Gram matrix ``X X' = U s^2 U'`` (which
    a sparse ``X`` gives without densifying), and ``lift`` maps a matrix ``Q``
    of directions in coordinates to the features: ``V Q = X' U s^-1 Q``.
    """

    def __init__(self, X):
        self.X = X
        if X.shape[0] >= X.shape[1]:
            self.coords, self._back = to_dense(X), None
            return
        gram = X @ X.T
        gram = gram.toarray() if sp.issparse(gram) else gram
        w, U = scipy.linalg.eigh(gram)
        keep = w > _RANK_TOL * max(w.max(), np.finfo(float).tiny)
        s = np.sqrt(w[keep])
        self.coords = U[:, keep] * s
        self._back = U[:, keep] / s

    def lift(self, Q: np.ndarray) -> np.ndarray:
        if self._back is None:
            return Q
        return np.asarray(self.X.T @ (self._back @ Q))


def _cdspp_directions(Zs, ys, Zt, yt, n_classes, alpha, lam, n_components):
    """The generalised eigenvectors of CDSPP of largest positive eigenvalue.

    ``B p = eta M p`` with ``B = [[0, K], [K', 0]]``, ``K = Zs' Y_S Y_T' Zt``
    and ``M = blockdiag(M_S, M_T)``, ``M_S = Zs' (D_S - W_S + lam D_CS) Zs +
    alpha I`` (likewise ``M_T``). With ``M_S = L_S L_S'`` (Cholesky) and the
    singular triples ``(sigma, a, b)`` of ``L_S^-1 K L_T^-T``, the vectors
    ``p = [L_S^-T a; L_T^-T b] / sqrt(2)`` solve it with ``eta = sigma`` and
    ``p' M p = 1``. ``K`` has rank at most ``n_classes``, so the SVD is of a
    small matrix. Returns ``(P_S, P_T, eta)`` in the coordinates of ``Zs``, ``Zt``.
    """
    Ys = np.eye(n_classes)[ys]
    Yt = np.eye(n_classes)[yt]
    ns_c, nt_c = Ys.sum(axis=0), Yt.sum(axis=0)
    Gs, Gt = Zs.T @ Ys, Zt.T @ Yt  # per-class sums of the rows

    def constraint(Z, G, own, other, y):
        # Z' (D - W + lam D_C) Z + alpha I; W = Y Y' (same class, weight 1),
        # D its degrees (own class sizes), D_C the cross-domain degrees.
        M = (Z.T * (own[y] + lam * other[y])) @ Z - G @ G.T
        M = 0.5 * (M + M.T)
        M[np.diag_indices_from(M)] += alpha
        return scipy.linalg.cholesky(M, lower=True)

    Ls = constraint(Zs, Gs, ns_c, nt_c, ys)
    Lt = constraint(Zt, Gt, nt_c, ns_c, yt)
    Es = scipy.linalg.solve_triangular(Ls, Gs, lower=True)
    Et = scipy.linalg.solve_triangular(Lt, Gt, lower=True)
    # SVD of Es Et' (rank <= n_classes) through the QR factors of each side.
    Qs, Rs = scipy.linalg.qr(Es, mode="economic")
    Qt, Rt = scipy.linalg.qr(Et, mode="economic")
    U, sigma, Vt = scipy.linalg.svd(Rs @ Rt.T)
    k = int(np.count_nonzero(sigma > _RANK_TOL * sigma[0])) if sigma[0] > 0 else 0
    k = max(1, k if n_components is None else min(k, n_components))
    a, b = Qs @ U[:, :k], Qt @ Vt[:k].T
    Ps = scipy.linalg.solve_triangular(Ls, a, lower=True, trans="T") / np.sqrt(2)
    Pt = scipy.linalg.solve_triangular(Lt, b, lower=True, trans="T") / np.sqrt(2)
    return Ps, Pt, sigma[:k]


def _class_means(E, codes, n_classes):
    """The mean of the rows E (subtracted) and the unit-norm class means of
    the centred, unit-norm rows (a class without rows gets a zero mean)."""
    mean = E.mean(axis=0)
    Z = unit_rows(E - mean)
    counts = np.bincount(codes, minlength=n_classes)
    sums = np.eye(n_classes)[codes].T @ Z
    means = sums / np.maximum(counts, 1)[:, None]
    return mean, unit_rows(means)


def _log_softmax_distances(E, mean, class_means):
    """log softmax of minus the Euclidean distances of the centred, unit-norm
    rows of E to the class means (the authors' confidence)."""
    Z = unit_rows(E - mean)
    sq = (
        (Z * Z).sum(axis=1)[:, None]
        + (class_means * class_means).sum(axis=1)[None, :]
        - 2 * Z @ class_means.T
    )
    scores = -np.sqrt(np.maximum(sq, 0.0))
    scores -= scores.max(axis=1, keepdims=True)
    return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))


def _select_confident(log_proba, it, n_iter):
    """The mask of the rows that :func:`~skdatn._pseudo_labels.confident_rows`
    keeps with the share ``it / n_iter`` (exact): per predicted class, the
    ``n_c - floor(n_c (1 - it / n_iter))`` rows of highest confidence (the
    authors' progressive schedule)."""
    rows, _ = confident_rows(log_proba, Fraction(it, n_iter))
    selected = np.zeros(log_proba.shape[0], dtype=bool)
    selected[rows] = True
    return selected
