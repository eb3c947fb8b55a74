"""SeedEnsembleClassifier: copies of a network from different seeds, averaged."""

import pickle

import numpy as np
import pytest
from conftest import FAST
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdatn import DATNClassifier, DATNClassifierCV, SeedEnsembleClassifier

NET = DATNClassifier(**FAST)


@parametrize_with_checks([SeedEnsembleClassifier(NET, n_estimators=2, random_state=0)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_probabilities_are_the_mean_of_the_seeded_copies(task):
    ens = SeedEnsembleClassifier(NET, n_estimators=3, random_state=0)
    ens.fit(task.X, task.y, **task.fit_params)
    assert len(ens.estimators_) == 3 and len(set(ens.seeds_)) == 3
    probas = []
    for seed in ens.seeds_:
        alone = DATNClassifier(**{**FAST, "random_state": int(seed)})
        alone.fit(task.X, task.y, **task.fit_params)
        assert alone.variant_ == "DATN"  # the transfer data reached every copy
        probas.append(alone.predict_proba(task.X_test))
    # The copies differ (else averaging would buy nothing) ...
    assert not np.allclose(probas[0], probas[1])
    # ... and the ensemble is their mean.
    assert_allclose(ens.predict_proba(task.X_test), np.mean(probas, axis=0))
    assert_array_equal(
        ens.predict(task.X_test), ens.classes_[np.mean(probas, axis=0).argmax(1)]
    )
    assert_allclose(ens.predict_log_proba(task.X_test), np.log(np.mean(probas, axis=0)))


def test_an_int_random_state_gives_the_same_fit(task):
    def fit(random_state):
        ens = SeedEnsembleClassifier(NET, n_estimators=2, random_state=random_state)
        return ens.fit(task.X, task.y, **task.fit_params)

    a, b, c = fit(3), fit(3), fit(4)
    assert_array_equal(a.seeds_, b.seeds_)
    assert_array_equal(a.predict_proba(task.X_test), b.predict_proba(task.X_test))
    assert not np.array_equal(a.seeds_, c.seeds_)


def test_default_estimator_is_a_datn_classifier():
    ens = SeedEnsembleClassifier()
    assert isinstance(ens._template(), DATNClassifier)
    assert ens.n_estimators == 5


def test_transform_puts_the_copies_representations_side_by_side(task):
    ens = SeedEnsembleClassifier(NET, n_estimators=2, random_state=0)
    ens.fit(task.X, task.y, **task.fit_params)
    Z = ens.transform(task.X_test)
    parts = [m.transform(task.X_test) for m in ens.estimators_]
    assert Z.shape == (task.X_test.shape[0], sum(p.shape[1] for p in parts))
    assert_array_equal(Z, np.hstack(parts))


def test_transform_is_absent_when_the_estimator_has_none():
    ens = SeedEnsembleClassifier(LogisticRegression(), n_estimators=2)
    for name in ("transform", "fit_transform", "get_feature_names_out"):
        assert not hasattr(ens, name)
        assert hasattr(SeedEnsembleClassifier(NET), name)


def test_feature_names_out_and_pandas_output(task):
    pd = pytest.importorskip("pandas")
    ens = SeedEnsembleClassifier(NET, n_estimators=2, random_state=0)
    ens.fit(task.X, task.y, **task.fit_params)
    names = ens.get_feature_names_out()
    width = ens.transform(task.X_test).shape[1]
    assert names.tolist() == [f"seedensembleclassifier{i}" for i in range(width)]
    frame = ens.set_output(transform="pandas").transform(task.X_test)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == names.tolist()


def test_each_copy_of_a_cv_estimator_selects_its_own_weights(task):
    cv_net = DATNClassifierCV(
        alphas=[0.5, 2], betas=[1], cv=KFold(3, shuffle=True, random_state=0), **FAST
    )
    ens = SeedEnsembleClassifier(cv_net, n_estimators=2, random_state=0)
    ens.fit(task.X, task.y, **task.fit_params)
    for member in ens.estimators_:
        assert member.alpha_ in (0.5, 2) and member.beta_ == 1


def test_grid_search_reaches_the_inner_estimator(task):
    ens = SeedEnsembleClassifier(NET, n_estimators=2, random_state=0)
    search = GridSearchCV(
        ens, {"estimator__alpha": [0.5, 2]}, cv=KFold(2, shuffle=True, random_state=0)
    )
    search.fit(task.X, task.y, **task.fit_params)
    assert search.best_params_["estimator__alpha"] in (0.5, 2)
    assert (
        search.best_estimator_.estimators_[0].alpha
        == search.best_params_["estimator__alpha"]
    )


@pytest.mark.parametrize("routing", [False, True])
def test_transfer_inputs_reach_the_copies_with_routing_on_and_off(task, routing):
    import sklearn

    ens = SeedEnsembleClassifier(NET, n_estimators=2, random_state=0)
    with sklearn.config_context(enable_metadata_routing=routing):
        search = GridSearchCV(
            ens, {"n_estimators": [1, 2]}, cv=KFold(2, shuffle=True, random_state=0)
        ).fit(task.X, task.y, **task.fit_params)
        routed = search.best_estimator_
    # Every copy learnt from the source: DATN, not the target-only model.
    assert {m.variant_ for m in routed.estimators_} == {"DATN"}
    plain = SeedEnsembleClassifier(
        NET, n_estimators=routed.n_estimators, random_state=0
    )
    plain.fit(task.X, task.y, **task.fit_params)
    assert_array_equal(
        routed.predict_proba(task.X_test), plain.predict_proba(task.X_test)
    )


def test_pickled_ensemble_predicts_the_same(task):
    ens = SeedEnsembleClassifier(NET, n_estimators=2, random_state=0)
    ens.fit(task.X, task.y, **task.fit_params)
    again = pickle.loads(pickle.dumps(ens))
    assert_array_equal(again.predict_proba(task.X_test), ens.predict_proba(task.X_test))


def test_parallel_copies_give_the_sequential_fit(task):
    one_thread = DATNClassifier(**{**FAST, "n_threads": 1})

    def fit(n_jobs):
        ens = SeedEnsembleClassifier(one_thread, 2, random_state=0, n_jobs=n_jobs)
        return ens.fit(task.X, task.y, **task.fit_params)

    assert_array_equal(
        fit(2).predict_proba(task.X_test), fit(None).predict_proba(task.X_test)
    )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_estimators": 0}, "'n_estimators' parameter"),
        ({"n_estimators": 2.5}, "'n_estimators' parameter"),
        ({"estimator": "DATN"}, "'estimator' parameter"),
        ({"random_state": "zero"}, "'random_state' parameter"),
    ],
)
def test_bad_parameters_are_named(task, params, message):
    with pytest.raises(ValueError, match=message):
        SeedEnsembleClassifier(**params).fit(task.X, task.y, **task.fit_params)


class _NoSeed(LogisticRegression):
    """A classifier without a random_state parameter."""

    def __init__(self, C=1.0):
        super().__init__(C=C)


def test_an_estimator_without_random_state_is_refused(task):
    with pytest.raises(ValueError, match="estimator must have a random_state"):
        SeedEnsembleClassifier(_NoSeed(), n_estimators=2).fit(task.X, task.y)


def test_bad_transfer_input_gets_the_estimators_error(task):
    with pytest.raises(TypeError, match="pairs must be"):
        SeedEnsembleClassifier(NET, n_estimators=2).fit(
            task.X, task.y, X_source=task.fit_params["X_source"], pairs="nonsense"
        )


def test_the_callers_arrays_are_untouched(task):
    X, y = task.X.copy(), np.array(task.y, copy=True)
    SeedEnsembleClassifier(NET, n_estimators=2, random_state=0).fit(
        task.X, task.y, **task.fit_params
    )
    assert_array_equal(task.X, X)
    assert_array_equal(task.y, y)


def test_verbose_reports_each_copy(task, capsys):
    SeedEnsembleClassifier(NET, n_estimators=2, random_state=0, verbose=1).fit(
        task.X, task.y, **task.fit_params
    )
    lines = [x for x in capsys.readouterr().err.splitlines() if "[skdatn]" in x]
    assert [x.split(" fitted")[0] for x in lines] == [
        "[skdatn] SeedEnsembleClassifier: copy 1/2",
        "[skdatn] SeedEnsembleClassifier: copy 2/2",
    ]
    SeedEnsembleClassifier(NET, n_estimators=2, random_state=0).fit(
        task.X, task.y, **task.fit_params
    )
    assert "[skdatn]" not in capsys.readouterr().err
