"""Shared fixtures: fast estimator settings and small paired transfer tasks."""

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold

from skdatn import DATNClassifier, DATNClassifierCV
from skdatn.datasets import load_mfeat, make_transfer_task

#: Settings that keep a fit well under a second on 2 CPU cores. Early stopping is
#: off: 20 epochs is the budget (a ConvergenceWarning would flag every fit).
FAST = {
    "hidden_layer_sizes": (16,),
    "pretrain_epochs": 20,
    "finetune_epochs": 20,
    "learning_rate": 0.01,
    "random_state": 0,
    "n_iter_no_change": None,
}

#: The real paired data sets: $SKDATN_DATA_DIR, else ../shared/data beside the clone.
DATA_DIR = Path(
    os.environ.get("SKDATN_DATA_DIR")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
#: Marks the tests that read them: skipped where the folder is absent.
needs_data = pytest.mark.skipif(
    not DATA_DIR.is_dir(), reason=f"shared data folder {DATA_DIR} is absent"
)


@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    """Every test runs in a folder of its own: none reads or writes files of the
    folder pytest was started in (e.g. the main job's skdatn-benchmark.json)."""
    monkeypatch.chdir(tmp_path)


def pid_scorer(estimator, X, y) -> float:
    """A "score" that records the process which fitted and scored: workers
    import it from this module, so it tells where a parallel search ran."""
    return float(os.getpid())


def settings_of(clf):
    """The DATNClassifier settings of a DATNClassifierCV (all but its search's)."""
    names = DATNClassifier._get_param_names()
    return {k: v for k, v in clf.get_params(deep=False).items() if k in names}


def search_beside_grid_search(task, params, grid, **cv_only):
    """DATNClassifierCV and GridSearchCV over DATNClassifier(**params) with the
    same grid, 3 shuffled folds and accuracy (the guard off), both fitted on
    ``task``; the DATNClassifierCV takes every setting of that DATNClassifier
    (its own defaults differ), and ``cv_only`` are parameters of it alone."""
    cv = KFold(3, shuffle=True, random_state=0)
    estimator = DATNClassifier(**params)
    search = GridSearchCV(estimator, grid, cv=cv)
    search.fit(task.X, task.y, **task.fit_params)
    settings = {
        k: v
        for k, v in estimator.get_params(deep=False).items()
        if k not in ("alpha", "beta")
    }
    clf = DATNClassifierCV(
        alphas=grid["alpha"],
        betas=grid["beta"],
        cv=cv,
        scoring="accuracy",
        fallback=False,
        **{**settings, **cv_only},
    ).fit(task.X, task.y, **task.fit_params)
    return clf, search


def make_views(n=300, n_classes=3, d_source=12, d_target=7, seed=0):
    """Two heterogeneous views of the same items: a clean source, a noisy target."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    centers = rng.normal(scale=3.0, size=(n_classes, 4))
    latent = centers[y] + rng.normal(size=(n, 4))
    source = latent @ rng.normal(size=(4, d_source)) + 0.1 * rng.normal(
        size=(n, d_source)
    )
    target = latent @ rng.normal(size=(4, d_target)) + 2.0 * rng.normal(
        size=(n, d_target)
    )
    return source, target, y


@pytest.fixture
def task():
    """A small synthetic heterogeneous task (12 source, 7 target features)."""
    source, target, y = make_views()
    return make_transfer_task(source, target, y, random_state=0)


@pytest.fixture(scope="session")
def mfeat():
    return load_mfeat(return_X_y=True)


@pytest.fixture
def mfeat_task(mfeat):
    """A reduced real task: mfeat fac -> fou."""
    views, y = mfeat
    return make_transfer_task(
        views["fac"],
        views["fou"],
        y,
        n_pairs=200,
        n_source_labeled=200,
        n_source_unlabeled=100,
        n_target_unlabeled=100,
        n_test=300,
        random_state=0,
    )
