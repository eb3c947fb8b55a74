"""TTIClassifier: the text-to-image translator."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdatn import Pairs
from skdatn.baselines import TTIClassifier


def test_scores_target_rows_through_the_labelled_source_rows(task):
    clf = TTIClassifier().fit(task.X, task.y, **task.fit_params)
    Xs, ys = task.X_source.X, task.X_source.y
    Xs = clf.source_scaler_.transform(Xs[ys != -1]) / np.sqrt(Xs.shape[1])
    Xt = clf.target_scaler_.transform(task.X_test) / np.sqrt(task.X_test.shape[1])
    signs = np.where(ys[ys != -1][:, None] == clf.classes_, 1.0, -1.0)
    # f_k(x) = 1/n_S sum_i y_ik T(s_i, x) + b_k with T(s, x) = s' S x
    expected = signs.T @ (Xs @ clf.translator_ @ Xt.T) / len(Xs)
    assert_allclose(
        clf.decision_function(task.X_test), expected.T + clf.intercept_, atol=1e-10
    )


def test_uses_the_pairs(task):
    clf = TTIClassifier().fit(task.X, task.y, **task.fit_params)
    rng = np.random.default_rng(0)
    shuffled = Pairs(task.pairs.source, rng.permutation(task.pairs.target))
    params = {**task.fit_params, "pairs": shuffled}
    other = TTIClassifier().fit(task.X, task.y, **params)
    assert not np.allclose(
        clf.decision_function(task.X_test), other.decision_function(task.X_test)
    )
    assert clf.score(task.X_test, task.y_test) > other.score(task.X_test, task.y_test)


def test_translator_is_low_rank_and_shrinks_with_trace_weight(task):
    ranks = [
        TTIClassifier(trace_weight=a).fit(task.X, task.y, **task.fit_params).rank_
        for a in (0.001, 0.01, 10.0)
    ]
    assert 0 < ranks[0] <= min(task.X.shape[1], task.X_source.X.shape[1])
    assert ranks[1] <= ranks[0]
    assert ranks[2] == 0


def test_proximal_gradient_converges(task):
    # With more iterations the fit only changes a little: FISTA converged.
    short = TTIClassifier(max_iter=300).fit(task.X, task.y, **task.fit_params)
    assert short.n_iter_ < 300
    longer = TTIClassifier(tol=0.0, max_iter=short.n_iter_ + 100).fit(
        task.X, task.y, **task.fit_params
    )
    assert_array_equal(short.predict(task.X_test), longer.predict(task.X_test))


def test_predict_proba_is_consistent(task):
    clf = TTIClassifier().fit(task.X, task.y, **task.fit_params)
    proba = clf.predict_proba(task.X_test)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(task.X_test))


def test_transfer_beats_target_only_on_mfeat(mfeat_task):
    t = mfeat_task
    transfer = TTIClassifier().fit(t.X, t.y, **t.fit_params).score(t.X_test, t.y_test)
    target_only = TTIClassifier().fit(t.X, t.y).score(t.X_test, t.y_test)
    assert transfer > target_only + 0.05


def test_needs_pairs_and_source_labels(task):
    with pytest.raises(ValueError, match="pairs is required"):
        TTIClassifier().fit(task.X, task.y, X_source=task.X_source)
    with pytest.raises(ValueError, match="needs labelled source rows"):
        TTIClassifier().fit(task.X, task.y, X_source=task.X_source.X, pairs=task.pairs)


def test_svd_falls_back_when_gesdd_fails(task, monkeypatch):
    import scipy.linalg

    from skdatn.baselines import _tti

    real_svd = scipy.linalg.svd
    drivers = []

    def flaky_svd(a, full_matrices=True, lapack_driver="gesdd", **kwargs):
        drivers.append(lapack_driver)
        if lapack_driver == "gesdd":
            raise np.linalg.LinAlgError("SVD did not converge")
        return real_svd(a, full_matrices=full_matrices, lapack_driver=lapack_driver)

    monkeypatch.setattr(_tti.scipy.linalg, "svd", flaky_svd)
    clf = TTIClassifier(max_iter=5).fit(task.X, task.y, **task.fit_params)
    assert "gesvd" in drivers
    assert np.isfinite(clf.predict_proba(task.X_test)).all()


def test_solving_in_the_small_subspace_gives_the_full_solution():
    # Wide domains (more features than labelled rows + pairs, like 2000-word
    # vocabularies): the fit solves for C in S = P C Q', which must give the
    # translator that the full d_S x d_T problem gives.
    from skdatn.baselines._tti import _fit_translator, _subspaces

    rng = np.random.default_rng(0)
    M, A = rng.normal(size=(3, 40)) / 6, rng.normal(size=(9, 40)) / 6
    Xl, B = rng.normal(size=(6, 35)) / 6, rng.normal(size=(9, 35)) / 6
    Yl = np.where(rng.integers(3, size=6)[:, None] == np.arange(3), 1.0, -1.0)
    args = (10.0, 0.003, 2000, 1e-12)
    S, b, _ = _fit_translator(M, Xl, Yl, A, B, *args)
    P, Q = _subspaces(M, A, Xl, B)
    assert P.shape == (40, 12) and Q.shape == (35, 15)
    C, b_small, _ = _fit_translator(M @ P, Xl @ Q, Yl, A @ P, B @ Q, *args)
    assert_allclose(P @ C @ Q.T, S, atol=1e-6)
    assert_allclose(b_small, b, atol=1e-6)
    assert 0 < np.linalg.matrix_rank(S, tol=1e-6) < 12  # the trace norm bites
    # A basis as large as its space is the identity (narrow domains: unchanged).
    P, Q = _subspaces(M, rng.normal(size=(50, 40)), Xl, B)
    assert_array_equal(P, np.eye(40))
