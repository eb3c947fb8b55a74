"""source_preprocessor / target_preprocessor: a transformer per domain, on every row."""

import io

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import FAST, search_beside_grid_search
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from skdatn import DATNClassifier, save


class RowCounter(TransformerMixin, BaseEstimator):
    """An identity transformer that records the rows it was fitted on."""

    def fit(self, X, y=None):
        self.n_rows_ = X.shape[0]
        self.sparse_ = sp.issparse(X)
        return self

    def transform(self, X):
        return X


def test_fitted_on_every_row_of_its_domain(task):
    clf = DATNClassifier(
        source_preprocessor=RowCounter(), target_preprocessor=RowCounter(), **FAST
    ).fit(task.X, task.y, **task.fit_params)
    n_pairs = task.pairs.target.shape[0]
    assert clf.target_preprocessor_.n_rows_ == (
        task.X.shape[0] + task.X_unlabeled.X.shape[0] + n_pairs
    )
    assert clf.source_preprocessor_.n_rows_ == task.X_source.X.shape[0] + n_pairs
    # The parameters are cloned, never fitted themselves.
    assert not hasattr(clf.target_preprocessor, "n_rows_")
    # DATN_sup (beta=0) leaves the unlabelled rows out, of the preprocessor too.
    sup = DATNClassifier(beta=0, target_preprocessor=RowCounter(), **FAST)
    sup.fit(task.X, task.y, **task.fit_params)
    assert sup.target_preprocessor_.n_rows_ == task.X.shape[0] + n_pairs


def test_identity_preprocessors_give_the_same_model(task):
    plain = DATNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    wrapped = DATNClassifier(
        source_preprocessor=FunctionTransformer(),
        target_preprocessor=FunctionTransformer(),
        **FAST,
    ).fit(task.X, task.y, **task.fit_params)
    assert_array_equal(
        wrapped.predict_proba(task.X_test), plain.predict_proba(task.X_test)
    )
    assert_array_equal(wrapped.G_, plain.G_)


def test_reduction_of_wide_sparse_domains(task):
    rng = np.random.default_rng(0)

    # Sparse, wide versions of both domains: the original features plus 500
    # sparse noise columns, so the pathway widths tell whether the SVD applied.
    def widen(X):
        noise = sp.random(X.shape[0], 500, density=0.01, random_state=rng)
        return sp.hstack([sp.csr_matrix(X), noise], format="csr")

    Xs, Ps, Pt = (
        widen(task.X_source.X),
        widen(task.pairs.source),
        widen(task.pairs.target),
    )
    X, Xu, X_test = widen(task.X), widen(task.X_unlabeled.X), widen(task.X_test)
    clf = DATNClassifier(
        source_preprocessor=TruncatedSVD(8, random_state=0),
        target_preprocessor=TruncatedSVD(6, random_state=0),
        **FAST,
    )
    clf.fit(
        X, task.y, X_source=Xs, y_source=task.X_source.y, pairs=(Ps, Pt), X_unlabeled=Xu
    )
    assert clf.target_net_.encoder[0].in_features == 6
    assert clf.source_net_.encoder[0].in_features == 8
    assert clf.n_features_in_ == X.shape[1]
    assert clf.predict(X_test).shape == (X_test.shape[0],)
    assert clf.transform(X_test).shape == (X_test.shape[0], 16)
    assert clf.transform_source(Xs[:5]).shape == (5, 16)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X_test[:, :10])
    # Sparse input reaches the preprocessor sparse.
    seen = DATNClassifier(target_preprocessor=RowCounter(), **FAST).fit(X, task.y)
    assert seen.target_preprocessor_.sparse_


def test_search_with_an_unseeded_preprocessor_equals_grid_search(task):
    # TruncatedSVD(random_state=None) is seeded from the estimator's random_state,
    # so the search's shared pretrainings see the features a plain fit sees.
    params = dict(target_preprocessor=TruncatedSVD(4), **FAST)
    grid = {"alpha": [0.5, 2], "beta": [0, 1]}
    clf, search = search_beside_grid_search(task, params, grid)
    assert_array_equal(
        clf.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    assert_array_equal(
        clf.predict_proba(task.X_test), search.predict_proba(task.X_test)
    )


def test_bad_preprocessor_and_save(task):
    with pytest.raises(InvalidParameterError, match="'target_preprocessor' parameter"):
        DATNClassifier(target_preprocessor="svd", **FAST).fit(task.X, task.y)
    clf = DATNClassifier(target_preprocessor=FunctionTransformer(), **FAST)
    clf.fit(task.X, task.y, **task.fit_params)
    with pytest.raises(TypeError, match="joblib or pickle"):
        save(clf, io.BytesIO())
