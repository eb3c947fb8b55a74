"""CDLSClassifier: Cross-Domain Landmark Selection."""

import numpy as np
import pytest
import scipy.optimize
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skdatn import Domain
from skdatn.baselines import CDLSClassifier
from skdatn.baselines._cdls import (
    _solve_capped_simplex_qp,
    _source_projection,
)
from skdatn.baselines._rows import unit_rows


def test_landmark_weights_lie_in_unit_interval_with_class_sums(task):
    clf = CDLSClassifier(max_iter=3).fit(task.X, task.y, **task.fit_params)
    ys = task.X_source.y[task.X_source.y != -1]
    alpha, beta = clf.source_weights_, clf.target_weights_
    assert alpha.shape == ys.shape
    assert beta.shape == (task.X_unlabeled.X.shape[0],)
    for w in (alpha, beta):
        assert np.all((w >= 0) & (w <= 1))
        assert np.any(w < 0.99)  # some rows are (partly) dropped
    for c in clf.classes_:
        assert_allclose(alpha[ys == c].sum(), 0.5 * np.sum(ys == c), rtol=1e-6)
    # The target weights are constrained per class of the pseudo-labels the
    # QP saw (those of the previous SVM, not necessarily the final ones).
    assert_allclose(beta.sum(), 0.5 * beta.size, rtol=1e-6)


def test_delta_one_keeps_every_weight(task):
    clf = CDLSClassifier(delta=1.0, max_iter=2).fit(task.X, task.y, **task.fit_params)
    assert_array_equal(clf.source_weights_, 1.0)
    assert_array_equal(clf.target_weights_, 1.0)


def test_pairs_are_ignored(task):
    fit_params = dict(task.fit_params)
    with_pairs = CDLSClassifier().fit(task.X, task.y, **fit_params)
    del fit_params["pairs"]
    without = CDLSClassifier().fit(task.X, task.y, **fit_params)
    assert_array_equal(with_pairs.predict(task.X_test), without.predict(task.X_test))
    assert_allclose(
        with_pairs.decision_function(task.X_test),
        without.decision_function(task.X_test),
    )
    # Pairs alone (no source rows) give the target-only model.
    pairs_only = CDLSClassifier().fit(task.X, task.y, pairs=task.pairs)
    target_only = CDLSClassifier().fit(task.X, task.y)
    assert_allclose(
        pairs_only.decision_function(task.X_test),
        target_only.decision_function(task.X_test),
    )
    assert target_only.source_projection_ is None


def test_unlabeled_source_rows_are_ignored(task):
    Xs, ys = task.X_source.X, task.X_source.y
    full = CDLSClassifier().fit(
        task.X, task.y, X_source=task.X_source, X_unlabeled=task.X_unlabeled
    )
    labeled_only = CDLSClassifier().fit(
        task.X,
        task.y,
        X_source=Domain(Xs[ys != -1], ys[ys != -1]),
        X_unlabeled=task.X_unlabeled,
    )
    assert_allclose(
        full.decision_function(task.X_test), labeled_only.decision_function(task.X_test)
    )


def _dense_first_projection(S, ys, Zl, yl, Zu, reg):
    """P_S of the first iteration from the dense centring matrices (no weights)."""
    ns, nl, nu = len(ys), len(yl), Zu.shape[0]
    Hss = np.full((ns, ns), 1 / ns**2)
    Hsl = np.full((ns, nl), 1 / (ns * (nl + nu)))
    Hsu = np.full((ns, nu), 1 / (ns * (nl + nu)))
    for c in np.unique(ys):
        s, t = ys == c, yl == c
        nsc, nlc = s.sum(), t.sum()
        Hss[np.ix_(s, s)] += 1 / nsc**2 + np.eye(nsc) / nsc
        Hsl[np.ix_(s, t)] += 2 / (nsc * nlc)
    lhs = S.T @ Hss @ S + reg * np.eye(S.shape[1])
    rhs = S.T @ Hsl @ Zl + S.T @ Hsu @ Zu
    return np.linalg.solve(lhs, rhs)


def test_first_source_projection_matches_the_dense_formula():
    rng = np.random.default_rng(0)
    S = unit_rows(rng.normal(size=(30, 6)))
    ys = np.repeat(np.arange(3), 10)
    Zl, yl = rng.normal(size=(9, 4)), np.repeat(np.arange(3), 3)
    Zu = rng.normal(size=(12, 4))
    got = _source_projection(
        S, ys, np.ones(30), Zl, yl, Zu, np.ones(12), None, n_classes=3, reg=0.5
    )
    assert_allclose(got, _dense_first_projection(S, ys, Zl, yl, Zu, 0.5))


def test_qp_solver_matches_a_general_solver():
    rng = np.random.default_rng(1)
    n = 12
    R = rng.normal(size=(n, n))
    H, f = R @ R.T / n, rng.normal(size=n)
    groups = np.repeat([0, 1, 2], 4)
    z = _solve_capped_simplex_qp(H, f, groups, 0.5)
    assert np.all((z >= 0) & (z <= 1))
    assert_allclose(np.bincount(groups, weights=z), 2.0, atol=1e-8)
    constraints = [
        {"type": "eq", "fun": lambda x, g=g: x[groups == g].sum() - 2.0}
        for g in range(3)
    ]
    ref = scipy.optimize.minimize(
        lambda x: 0.5 * x @ H @ x + f @ x,
        np.full(n, 0.5),
        jac=lambda x: H @ x + f,
        bounds=[(0, 1)] * n,
        constraints=constraints,
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert ref.success
    assert_allclose(0.5 * z @ H @ z + f @ z, ref.fun, atol=1e-6)


def test_predict_proba_is_consistent(task):
    clf = CDLSClassifier().fit(task.X, task.y, **task.fit_params)
    proba = clf.predict_proba(task.X_test)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(task.X_test))


def test_n_components_is_capped(task):
    clf = CDLSClassifier(n_components=500).fit(task.X, task.y, **task.fit_params)
    assert clf.components_.shape == (task.X.shape[1], task.X.shape[1])
    assert clf.source_projection_.shape == (task.X_source.X.shape[1], task.X.shape[1])


def test_transfer_and_landmarks_help_on_mfeat(mfeat_task):
    # CDLS beats the target-only SVC baseline and its own variant without
    # landmark selection (delta=1). Its own target-only fallback (a linear
    # nu-SVM on L2-normalised, PCA-projected rows) is about as good as the
    # transfer on mfeat (0.60 vs 0.58 here; see the report), so it is not
    # compared.
    t = mfeat_task
    transfer = CDLSClassifier().fit(t.X, t.y, **t.fit_params).score(t.X_test, t.y_test)
    no_landmarks = (
        CDLSClassifier(delta=1.0)
        .fit(t.X, t.y, **t.fit_params)
        .score(t.X_test, t.y_test)
    )
    svc = make_pipeline(StandardScaler(), SVC()).fit(t.X, t.y).score(t.X_test, t.y_test)
    assert transfer > svc + 0.05
    assert transfer > no_landmarks + 0.03


def test_needs_labeled_source_rows(task):
    with pytest.raises(ValueError, match="needs labelled source rows"):
        CDLSClassifier().fit(task.X, task.y, X_source=task.X_source.X)
    with pytest.raises(ValueError, match="at least 2 target features"):
        CDLSClassifier().fit(task.X[:, :1], task.y)
