"""source_preprocessor / target_preprocessor: a transformer per domain, on every row."""

import io

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import FAST, search_beside_grid_search
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skdatn import DATNClassifier, DATNClassifierCV, Domain, Pairs, save


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


# ------------------------------------------------------ raw inputs, seeding


def _documents(X, vocabulary):
    """One string per row: each word of ``vocabulary`` whose column is above
    the row's median, a bag of words built from numeric rows."""
    rows = np.asarray(X)
    return [
        " ".join(vocabulary[: rows.shape[1]][row > np.median(row)]) or "none"
        for row in rows
    ]


def _text_task(task):
    """``task`` as documents: the source in one vocabulary, the target in another."""
    source_words = np.array([f"s{i}" for i in range(12)])
    target_words = np.array([f"t{i}" for i in range(7)])
    return {
        "X": _documents(task.X, target_words),
        "X_source": Domain(_documents(task.X_source.X, source_words), task.X_source.y),
        "pairs": Pairs(
            _documents(task.pairs.source, source_words),
            _documents(task.pairs.target, target_words),
        ),
        "X_unlabeled": Domain(_documents(task.X_unlabeled.X, target_words)),
        "X_test": _documents(task.X_test, target_words),
    }


def _vectorizer():
    return TfidfVectorizer(token_pattern=r"\S+")


@pytest.mark.parametrize("cls", [DATNClassifier, DATNClassifierCV])
def test_documents_through_a_vectoriser_per_domain(task, cls):
    """Lists of strings in every input of a domain with a vectoriser."""
    docs = _text_task(task)
    params = {**FAST, "source_preprocessor": _vectorizer()}
    if cls is DATNClassifierCV:
        params.update(alphas=[1.0], betas=[0.0, 1.0], cv=KFold(2))
    clf = cls(target_preprocessor=_vectorizer(), **params)
    X_test = docs.pop("X_test")
    clf.fit(docs.pop("X"), task.y, **docs)
    assert clf.predict(X_test).shape == (len(X_test),)
    assert clf.predict_proba(X_test[:3]).shape == (3, len(clf.classes_))
    assert clf.transform(X_test[:2]).shape == (2, FAST["hidden_layer_sizes"][-1])
    assert clf.transform_source(["s1 s2"]).shape == (1, 16)
    # Documents have no columns: no n_features_in_, no source feature count.
    assert not hasattr(clf, "n_features_in_")
    assert clf.n_source_features_in_ is None
    assert clf.target_preprocessor_.vocabulary_.keys() <= {f"t{i}" for i in range(7)}


def test_documents_need_their_domains_preprocessor(task):
    docs = _text_task(task)
    # Documents in the source without a source preprocessor: the source's error.
    clf = DATNClassifier(target_preprocessor=_vectorizer(), **FAST)
    docs.pop("X_test")
    with pytest.raises(ValueError, match="Invalid X_source: expected an array-like"):
        clf.fit(docs.pop("X"), task.y, **docs)


def test_preprocessor_failures_name_the_domain(task):
    docs = _text_task(task)
    docs.pop("X_test")
    clf = DATNClassifier(
        target_preprocessor=TfidfVectorizer(stop_words=[f"t{i}" for i in range(7)]),
        source_preprocessor=_vectorizer(),
        **FAST,
    )
    with pytest.raises(ValueError, match="target_preprocessor .* target rows"):
        clf.fit(docs.pop("X"), task.y, **docs)


def test_the_preprocessors_output_is_validated(task):
    def with_nan(X):
        X = np.array(X, dtype=float)
        X[0, 0] = np.nan
        return X

    clf = DATNClassifier(target_preprocessor=FunctionTransformer(with_nan), **FAST)
    with pytest.raises(ValueError, match="FunctionTransformer gave invalid values"):
        clf.fit(task.X, task.y, **task.fit_params)


def test_a_dataframe_reaches_its_column_transformer(task):
    pd = pytest.importorskip("pandas")
    columns = [f"c{i}" for i in range(task.X.shape[1])]
    frame = pd.DataFrame(task.X, columns=columns)
    frame["kind"] = np.where(task.y == task.y[0], "a", "b")  # a text column
    unlabeled = pd.DataFrame(task.X_unlabeled.X, columns=columns).assign(kind="a")
    pairs_target = pd.DataFrame(task.pairs.target, columns=columns).assign(kind="b")
    numeric = ColumnTransformer([("num", StandardScaler(), columns)])
    clf = DATNClassifier(target_preprocessor=numeric, **FAST)
    clf.fit(
        frame,
        task.y,
        X_source=task.X_source,
        pairs=Pairs(task.pairs.source, pairs_target),
        X_unlabeled=Domain(unlabeled),
    )
    assert list(clf.feature_names_in_) == [*columns, "kind"]
    test = pd.DataFrame(task.X_test, columns=columns).assign(kind="a")
    assert clf.predict(test).shape == (len(test),)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(test[["kind", *columns]])


def test_random_states_inside_a_pipeline_are_seeded(task):
    """A step's random_state left at None is drawn from the estimator's."""
    reduce = make_pipeline(StandardScaler(), TruncatedSVD(3, algorithm="randomized"))
    fits = [
        DATNClassifier(target_preprocessor=reduce, **FAST).fit(
            task.X, task.y, **task.fit_params
        )
        for _ in range(2)
    ]
    seeds = [f.target_preprocessor_[-1].random_state for f in fits]
    assert isinstance(seeds[0], int) and seeds[0] == seeds[1]
    assert reduce[-1].random_state is None  # the parameter is left alone
    assert_array_equal(fits[0].transform(task.X_test), fits[1].transform(task.X_test))
    # A set random_state is kept.
    kept = make_pipeline(TruncatedSVD(3, random_state=7))
    clf = DATNClassifier(target_preprocessor=kept, **FAST)
    clf.fit(task.X, task.y, **task.fit_params)
    assert clf.target_preprocessor_[-1].random_state == 7
