"""CCAClassifier: CCA of the pairs, one logistic regression in the shared space."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdatn.baselines import CCAClassifier


def test_shared_space_correlates_the_pairs(task):
    clf = CCAClassifier(n_components=2).fit(task.X, task.y, **task.fit_params)
    zs = clf._source_scores(task.pairs.source)
    zt = clf._target_scores(task.pairs.target)
    assert zs.shape == zt.shape == (task.pairs.source.shape[0], 2)
    # The canonical variates of the two sides of the pairs are correlated,
    # those of unrelated rows (the pairs' source side reversed) are not.
    r = [np.corrcoef(zs[:, k], zt[:, k])[0, 1] for k in range(2)]
    assert min(r) > 0.8
    r_shuffled = np.corrcoef(zs[::-1, 0], zt[:, 0])[0, 1]
    assert abs(r_shuffled) < 0.5


def test_source_scores_are_ccas_own(task):
    # Our source-side projection equals scikit-learn's transform of the pairs.
    clf = CCAClassifier(n_components=3).fit(task.X, task.y, **task.fit_params)
    pairs_t = clf.target_reduction_.transform(task.pairs.target)
    pairs_s = clf.source_reduction_.transform(task.pairs.source)
    _, y_scores = clf.cca_.transform(pairs_t, pairs_s)
    assert_allclose(clf._source_scores(task.pairs.source), y_scores)


def test_transfers_on_mfeat(mfeat_task):
    t = mfeat_task
    transfer = CCAClassifier().fit(t.X, t.y, **t.fit_params)
    alone = CCAClassifier().fit(t.X, t.y, X_unlabeled=t.X_unlabeled)
    assert alone.cca_ is None and alone.source_reduction_ is None
    assert transfer.score(t.X_test, t.y_test) > alone.score(t.X_test, t.y_test) + 0.05


def test_pca_keeps_fewer_components_than_pairs(task):
    fp = dict(task.fit_params)
    fp["pairs"] = (task.pairs.source[:6], task.pairs.target[:6])
    clf = CCAClassifier(pca_components=50).fit(task.X, task.y, **fp)
    assert clf.target_reduction_[-1].n_components_ == 5
    assert clf.cca_.n_components <= 5


def test_needs_pairs_with_a_source(task):
    with pytest.raises(ValueError, match="pairs is required"):
        CCAClassifier().fit(task.X, task.y, X_source=task.X_source)


def test_probabilities(task):
    clf = CCAClassifier().fit(task.X, task.y, **task.fit_params)
    proba = clf.predict_proba(task.X_test)
    assert proba.shape == (task.X_test.shape[0], clf.classes_.size)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(task.X_test))
