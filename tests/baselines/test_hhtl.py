"""HHTLClassifier: per-layer ridge maps between two marginalised denoising autoencoders."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdatn import Pairs
from skdatn.baselines import HHTLClassifier
from skdatn.baselines._hhtl import mda_weights


def test_mda_closed_form_is_the_expected_denoising_solution():
    # Least squares over many explicitly corrupted copies converges to mDA's
    # closed form (the expectation over all corruptions).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) @ rng.normal(size=(3, 3))
    noise, copies = 0.3, 6000
    Xr = np.tile(X, (copies, 1))
    keep = rng.random(Xr.shape) >= noise
    corrupted = np.hstack([Xr * keep, np.ones((Xr.shape[0], 1))])
    M_mc = np.linalg.lstsq(corrupted, Xr, rcond=None)[0]
    M = mda_weights(X, noise, reg=1e-12)
    assert M.shape == (4, 3)
    assert_allclose(M, M_mc, atol=0.03)


def test_mda_without_noise_is_the_identity():
    X = np.random.default_rng(1).normal(size=(30, 4))
    M = mda_weights(X, 0.0, reg=1e-10)
    assert_allclose(M[:-1], np.eye(4), atol=1e-6)
    assert_allclose(M[-1], 0.0, atol=1e-6)


def test_maps_are_ridge_solutions_on_the_pairs(task):
    clf = HHTLClassifier(n_layers=2, ridge_alpha=3.0).fit(
        task.X, task.y, **task.fit_params
    )
    assert len(clf.maps_) == 3 == len(clf.source_weights_) + 1
    hs = clf.source_scaler_.transform(task.pairs.source)
    ht = clf.target_scaler_.transform(task.pairs.target)
    for k, G in enumerate(clf.maps_):
        if k:
            Ms, Mt = clf.source_weights_[k - 1], clf.target_weights_[k - 1]
            hs = np.tanh(hs @ Ms[:-1] + Ms[-1])
            ht = np.tanh(ht @ Mt[:-1] + Mt[-1])
        # Ridge with an unpenalised intercept: centre, then the normal equations.
        tc, sc = ht - ht.mean(0), hs - hs.mean(0)
        coef = np.linalg.solve(tc.T @ tc + 3.0 * np.eye(tc.shape[1]), tc.T @ sc)
        assert_allclose(G.coef_, coef.T, rtol=1e-6, atol=1e-8)
        assert_allclose(G.intercept_, hs.mean(0) - ht.mean(0) @ coef, atol=1e-8)


def test_layer_widths_follow_the_inputs(task):
    clf = HHTLClassifier(n_layers=3).fit(task.X, task.y, **task.fit_params)
    d_s, d_t = task.X_source.X.shape[1], task.X.shape[1]
    assert all(M.shape == (d_s + 1, d_s) for M in clf.source_weights_)
    assert all(M.shape == (d_t + 1, d_t) for M in clf.target_weights_)
    assert clf.classifier_.coef_.shape[1] == 4 * d_s


def test_predictions_depend_on_the_pairs(task):
    clf = HHTLClassifier().fit(task.X, task.y, **task.fit_params)
    order = np.random.default_rng(0).permutation(task.pairs.target.shape[0])
    shuffled = Pairs(task.pairs.source, task.pairs.target[order])
    other = HHTLClassifier().fit(task.X, task.y, X_source=task.X_source, pairs=shuffled)
    assert not np.allclose(
        clf.predict_proba(task.X_test), other.predict_proba(task.X_test)
    )
    # Aligned pairs transfer; shuffled ones carry no correspondence.
    assert clf.score(task.X_test, task.y_test) > other.score(task.X_test, task.y_test)


def test_transfer_beats_the_target_only_fallback_on_mfeat(mfeat_task):
    t = mfeat_task
    transfer = HHTLClassifier().fit(t.X, t.y, **t.fit_params)
    target_only = HHTLClassifier().fit(t.X, t.y, X_unlabeled=t.X_unlabeled)
    assert target_only.maps_ is None and target_only.source_weights_ is None
    assert (
        transfer.score(t.X_test, t.y_test) > target_only.score(t.X_test, t.y_test) + 0.1
    )


def test_target_labels_join_the_classifier(task):
    plain = HHTLClassifier().fit(task.X, task.y, **task.fit_params)
    with_target = HHTLClassifier(use_target_labels=True).fit(
        task.X, task.y, **task.fit_params
    )
    assert not np.allclose(
        plain.predict_proba(task.X_test), with_target.predict_proba(task.X_test)
    )
    # Without source labels, the mapped target rows alone train the classifier.
    clf = HHTLClassifier(use_target_labels=True).fit(
        task.X, task.y, X_source=task.X_source.X, pairs=task.pairs
    )
    assert_array_equal(clf.classes_, np.unique(task.y))


def test_probabilities_and_sparse_input(task):
    clf = HHTLClassifier().fit(task.X, task.y, **task.fit_params)
    proba = clf.predict_proba(task.X_test)
    assert proba.dtype == np.float64
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(task.X_test))
    sparse = HHTLClassifier().fit(sp.csr_matrix(task.X), task.y, **task.fit_params)
    assert_allclose(sparse.predict_proba(sp.csr_matrix(task.X_test)), proba)


def test_needs_pairs_and_source_labels(task):
    with pytest.raises(ValueError, match="pairs is required"):
        HHTLClassifier().fit(task.X, task.y, X_source=task.X_source)
    with pytest.raises(ValueError, match="needs labelled source rows"):
        HHTLClassifier().fit(task.X, task.y, X_source=task.X_source.X, pairs=task.pairs)
