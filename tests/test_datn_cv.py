"""DATNClassifierCV: the same selection as GridSearchCV, with shared pretraining."""

import inspect

import joblib
import numpy as np
import pytest
from conftest import FAST
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdatn import DATNClassifier, DATNClassifierCV
from skdatn._datn_cv import _SHARED

GRID = {"alpha": [0, 1, 5], "beta": [0, 0.5, 2]}


def test_equals_grid_search(task):
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(DATNClassifier(**FAST), GRID, cv=cv)
    search.fit(task.X, task.y, **task.fit_params)
    clf = DATNClassifierCV(alphas=GRID["alpha"], betas=GRID["beta"], cv=cv, **FAST)
    clf.fit(task.X, task.y, **task.fit_params)
    for key in (
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "split0_test_score",
        "split2_test_score",
    ):
        assert_array_equal(clf.cv_results_[key], search.cv_results_[key], err_msg=key)
    assert clf.cv_results_["params"] == search.cv_results_["params"]
    assert clf.best_params_ == search.best_params_
    assert clf.best_score_ == search.best_score_
    assert (clf.alpha_, clf.beta_) == (
        search.best_params_["alpha"],
        search.best_params_["beta"],
    )
    assert_array_equal(
        clf.predict_proba(task.X_test), search.predict_proba(task.X_test)
    )
    assert_array_equal(
        clf.transform(task.X_test), search.best_estimator_.transform(task.X_test)
    )
    # Pretraining is shared: 3 folds x 2 beta groups for the target pathway,
    # 2 for the source pathway, 1 target pretraining for the refit.
    assert clf.n_pretrainings_ == 9
    assert len(np.unique(clf.cv_results_["mean_test_score"])) > 1


def test_refit_is_a_plain_datn_fit(task):
    clf = DATNClassifierCV(alphas=[2], betas=[1], cv=KFold(2), **FAST)
    clf.fit(task.X, task.y, **task.fit_params)
    plain = DATNClassifier(alpha=2, beta=1, **FAST).fit(
        task.X, task.y, **task.fit_params
    )
    assert clf.variant_ == "DATN"
    assert_array_equal(clf.G_, plain.G_)
    assert_array_equal(clf.predict_proba(task.X_test), plain.predict_proba(task.X_test))
    assert "alpha" not in clf.get_params() and clf.get_params()["alphas"] == [2]


@pytest.mark.parametrize("alphas", [[], [-1.0], [np.nan]])
def test_bad_grid(task, alphas):
    with pytest.raises(
        ValueError, match="alphas must be a non-empty list of non-negative floats"
    ):
        DATNClassifierCV(alphas=alphas, **FAST).fit(task.X, task.y, **task.fit_params)


@parametrize_with_checks(
    [DATNClassifierCV(alphas=[1.0], betas=[0.0, 1.0], cv=2, **FAST)]
)
def test_sklearn_compatible_cv_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_parallel_search_gives_the_sequential_results(task, backend):
    """n_jobs=2 in worker processes (loky) or threads: same scores, same model."""
    # Workers run 1 thread each; other thread counts change the last bits of sums.
    params = {"alphas": [0, 2], "betas": [0, 1], "cv": KFold(2), "n_threads": 1}
    params.update(FAST)
    sequential = DATNClassifierCV(**params).fit(task.X, task.y, **task.fit_params)
    with joblib.parallel_backend(backend):
        parallel = DATNClassifierCV(n_jobs=2, **params)
        parallel.fit(task.X, task.y, **task.fit_params)
    assert_array_equal(
        parallel.cv_results_["split1_test_score"],
        sequential.cv_results_["split1_test_score"],
    )
    assert parallel.best_params_ == sequential.best_params_
    assert parallel.n_pretrainings_ == sequential.n_pretrainings_ == 2 * 2 + 2 + 1
    assert_array_equal(
        parallel.predict_proba(task.X_test), sequential.predict_proba(task.X_test)
    )


def test_shared_parameters_have_the_estimators_defaults():
    # DATNClassifierCV must spell out DATNClassifier's parameters (scikit-learn
    # reads them from __init__); their defaults must not drift apart.
    cv_sig = inspect.signature(DATNClassifierCV.__init__).parameters
    est_sig = inspect.signature(DATNClassifier.__init__).parameters
    assert _SHARED
    for name in _SHARED:
        assert cv_sig[name].default == est_sig[name].default, name
