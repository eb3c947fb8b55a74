"""DATNClassifier inside scikit-learn's model selection, with routing off and on."""

import numpy as np
import pytest
import sklearn
from conftest import FAST
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from skdatn import (
    BalancedKFold,
    DATNClassifier,
    Domain,
    Pairs,
    SlicingRiskWarning,
    held_out_log_loss,
)
from skdatn._model_selection import calibrated_log_loss

SEEN_SOURCE_ROWS = []


class SpyDATN(DATNClassifier):
    """Records how many source rows each fit receives."""

    def fit(self, X, y, *, X_source=None, y_source=None, pairs=None, X_unlabeled=None):
        rows = X_source.X if isinstance(X_source, Domain) else X_source
        SEEN_SOURCE_ROWS.append((len(X), len(rows)))
        return super().fit(
            X,
            y,
            X_source=X_source,
            y_source=y_source,
            pairs=pairs,
            X_unlabeled=X_unlabeled,
        )


@pytest.fixture
def same_size_source(task):
    """A source with exactly as many rows as X, the case scikit-learn would slice."""
    n = task.X.shape[0]
    Xs = task.X_source.X[:n]
    ys = task.X_source.y[:n].copy()
    ys[: len(np.unique(task.y))] = np.unique(task.y)  # every class labelled
    return Xs, ys


@pytest.mark.parametrize("routing", [False, True])
def test_holders_are_never_sliced(task, same_size_source, routing):
    Xs, ys = same_size_source
    n = task.X.shape[0]
    SEEN_SOURCE_ROWS.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        cross_val_score(
            SpyDATN(**FAST),
            task.X,
            task.y,
            cv=KFold(3),
            params={"X_source": Domain(Xs, ys), "pairs": task.pairs},
        )
    assert [rows for _, rows in SEEN_SOURCE_ROWS] == [n, n, n]
    assert all(x < n for x, _ in SEEN_SOURCE_ROWS)


def test_raw_arrays_are_sliced_and_warned_about(task, same_size_source):
    """The risk the holders remove: a raw source of len(X) rows is cut per fold."""
    Xs, ys = same_size_source
    n = task.X.shape[0]
    SEEN_SOURCE_ROWS.clear()
    with pytest.warns(SlicingRiskWarning):
        cross_val_score(
            SpyDATN(**FAST),
            task.X,
            task.y,
            cv=KFold(3),
            error_score="raise",
            params={
                "X_source": Xs,
                "y_source": ys,
                "pairs": Pairs(task.pairs.source, task.pairs.target),
            },
        )
    assert all(rows < n for _, rows in SEEN_SOURCE_ROWS)


def search_scores(task, routing):
    grid = {"alpha": [0.5, 2], "beta": [0, 1]}
    with sklearn.config_context(enable_metadata_routing=routing):
        search = GridSearchCV(
            DATNClassifier(**FAST), grid, cv=KFold(3, shuffle=True, random_state=0)
        )
        search.fit(task.X, task.y, **task.fit_params)
    assert search.best_estimator_.variant_ in ("DATN", "DATN_sup")
    assert search.best_estimator_.n_source_features_in_ == task.X_source.X.shape[1]
    return search.cv_results_["mean_test_score"]


def test_grid_search_routing_on_and_off_gives_the_same_results(task):
    off = search_scores(task, False)
    on = search_scores(task, True)
    np.testing.assert_array_equal(off, on)
    assert off.std() > 0  # the grid points are really different models


@pytest.mark.slow
def test_paper_grid_search_on_mfeat(mfeat_task):
    """The paper's 5-fold α/β selection over {0, 0.5, 1, 2, 5, 10}², on a real paired task."""
    values = [0, 0.5, 1, 2, 5, 10]
    params = {
        **FAST,
        "hidden_layer_sizes": (32,),
        "pretrain_epochs": 10,
        "finetune_epochs": 10,
    }
    search = GridSearchCV(
        DATNClassifier(**params),
        {"alpha": values, "beta": values},
        cv=KFold(5, shuffle=True, random_state=0),
        n_jobs=1,
    )
    search.fit(mfeat_task.X, mfeat_task.y, **mfeat_task.fit_params)
    assert len(search.cv_results_["params"]) == 36
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert (
        search.best_params_["alpha"] in values and search.best_params_["beta"] in values
    )
    assert search.score(mfeat_task.X_test, mfeat_task.y_test) > 0.3


def test_balanced_folds_are_balanced_quiet_reproducible():
    y = np.repeat(np.arange(10), 3)
    X = np.zeros((30, 1))
    cv = BalancedKFold(5, random_state=0)
    folds = [test for _, test in cv.split(X, y)]
    assert cv.get_n_splits() == 5
    assert sorted(np.concatenate(folds)) == list(range(30))
    assert all(f.size == 6 for f in folds)
    # each class is spread over 3 different folds
    for c in range(10):
        assert len({k for k, f in enumerate(folds) if np.any(y[f] == c)}) == 3
    again = [test for _, test in BalancedKFold(5, random_state=0).split(X, y)]
    assert all(np.array_equal(a, b) for a, b in zip(folds, again, strict=True))
    with pytest.raises(
        ValueError, match="n_splits=5 greater than the number of samples"
    ):
        list(cv.split(X[:3], y[:3]))


def test_held_out_log_loss_accepts_a_fold_that_misses_classes(task):
    clf = DATNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    one_class = task.y_test == task.y_test[0]
    score = held_out_log_loss(clf, task.X_test[one_class], task.y_test[one_class])
    proba = clf.predict_proba(task.X_test[one_class])
    column = list(clf.classes_).index(task.y_test[0])
    assert score == pytest.approx(np.mean(np.log(proba[:, column])))


def test_calibrated_log_loss_ignores_confidence_not_ranking():
    rng = np.random.default_rng(0)
    classes = np.arange(4)
    y = rng.integers(4, size=200)
    logits = rng.normal(size=(200, 4))
    logits[np.arange(200), y] += 1.5  # informative scores
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    score = calibrated_log_loss(y, proba, classes)
    # An over-confident copy (the same ranking) scores the same once calibrated,
    # though its plain log-loss is far worse.
    sharp = proba**5 / (proba**5).sum(axis=1, keepdims=True)
    assert calibrated_log_loss(y, sharp, classes) == pytest.approx(score, abs=1e-4)
    plain = -log_loss(y, sharp, labels=classes)
    assert plain < score - 0.5
    # Never below the plain log-loss (temperature 1 is a candidate); scores that
    # rank at random are worth chance, -log(4), at best.
    assert score >= -log_loss(y, proba, labels=classes)
    noise = rng.dirichlet(np.ones(4), size=200)
    assert calibrated_log_loss(y, noise, classes) == pytest.approx(-np.log(4), abs=0.03)
