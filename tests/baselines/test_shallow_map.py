"""ShallowMapClassifier: the shallow asymmetric baseline."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from skdatn.baselines import ShallowMapClassifier


def test_matches_the_recipe(task):
    clf = ShallowMapClassifier().fit(task.X, task.y, **task.fit_params)
    Xs, ys = task.X_source.X, task.X_source.y
    t_scaler = StandardScaler().fit(
        np.vstack([task.X, task.X_unlabeled.X, task.pairs.target])
    )
    s_scaler = StandardScaler().fit(np.vstack([Xs, task.pairs.source]))
    ridge = Ridge().fit(
        t_scaler.transform(task.pairs.target), s_scaler.transform(task.pairs.source)
    )
    lr = LogisticRegression(max_iter=1000).fit(
        s_scaler.transform(Xs[ys != -1]), ys[ys != -1]
    )
    expected = lr.predict_proba(ridge.predict(t_scaler.transform(task.X_test)))
    assert_allclose(clf.predict_proba(task.X_test), expected)


def test_transfer_helps_on_mfeat(mfeat_task):
    t = mfeat_task
    transfer = (
        ShallowMapClassifier().fit(t.X, t.y, **t.fit_params).score(t.X_test, t.y_test)
    )
    target_only = ShallowMapClassifier().fit(t.X, t.y).score(t.X_test, t.y_test)
    assert transfer > target_only + 0.05


def test_needs_pairs_and_source_labels(task):
    with pytest.raises(ValueError, match="pairs is required"):
        ShallowMapClassifier().fit(task.X, task.y, X_source=task.X_source)
    with pytest.raises(ValueError, match="needs labelled source rows"):
        ShallowMapClassifier().fit(
            task.X, task.y, X_source=task.X_source.X, pairs=task.pairs
        )
