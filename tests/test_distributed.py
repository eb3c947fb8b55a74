"""Model selection on real distributed engines: a Dask LocalCluster and a local Ray.

Each engine runs scikit-learn's joblib calls in its own worker processes; the
searches must give exactly the sequential search's results, with the holders,
the device handling and the pickled models unchanged. Needs the ``distributed``
extra (``pip install -e ".[distributed]"``); skipped without it.
"""

import os
import pickle
from pathlib import Path
from unittest import mock

import joblib
import numpy as np
import pytest
import torch
from conftest import FAST, pid_scorer
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

import skdatn
from skdatn import DATNClassifier, DATNClassifierCV

GRID = {"alpha": [0.5, 2], "beta": [0, 1]}
CV = KFold(3, shuffle=True, random_state=0)
PRE_SPAWN = "distributed.nanny.pre-spawn-environ"
# The workers run 1 thread each, and thread counts change the last bits of
# floating-point sums: the fits here use 1 thread too, so that they can match.
ONE_THREAD = {**FAST, "n_threads": 1}
MISSING = "the 'distributed' extra is not installed: pip install -e '.[distributed]'"


@pytest.fixture(scope="module", params=["dask", "ray"])
def backend(request):
    """The joblib backend's name, with its engine started: 2 worker processes."""
    if request.param == "dask":
        distributed = pytest.importorskip("distributed", reason=MISSING)
        import dask

        with (
            mock.patch.dict(
                os.environ
            ),  # Dask's nanny writes its workers' settings here
            # Dask's MALLOC_TRIM_THRESHOLD_ makes torch's allocations page-fault.
            dask.config.set({f"{PRE_SPAWN}.MALLOC_TRIM_THRESHOLD_": None}),
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster),
        ):
            yield "dask"
        return
    ray = pytest.importorskip("ray", reason=MISSING)
    from ray.util.joblib import register_ray

    # Workers import skdatn and this test directory's helpers (pid_scorer) from here.
    path = [str(Path(skdatn.__file__).parents[1]), str(Path(__file__).parent)]
    with mock.patch.dict(os.environ, {"RAY_USAGE_STATS_ENABLED": "0"}):
        ray.init(
            address="local",
            num_cpus=2,
            num_gpus=0,
            include_dashboard=False,
            object_store_memory=256 * 2**20,  # the default would take 30% of the RAM
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(path)}},
        )
        register_ray()
        try:
            yield "ray"
        finally:
            ray.shutdown()


def grid_search(task, backend=None):
    search = GridSearchCV(
        DATNClassifier(**ONE_THREAD),
        GRID,
        cv=CV,
        scoring={"accuracy": "accuracy", "pid": pid_scorer},
        refit="accuracy",
    )
    with joblib.parallel_backend(backend or "sequential"):
        return search.fit(task.X, task.y, **task.fit_params)


def worker_pids(cv_results: dict) -> set[int]:
    return {
        int(pid)
        for k in range(CV.get_n_splits())
        for pid in cv_results[f"split{k}_test_pid"]
    }


def test_grid_search_gives_the_sequential_results(task, backend):
    sequential = grid_search(task)
    remote = grid_search(task, backend)
    assert worker_pids(sequential.cv_results_) == {os.getpid()}
    assert os.getpid() not in worker_pids(remote.cv_results_)  # it ran on the workers
    for key in ("mean_test_accuracy", "rank_test_accuracy", "split1_test_accuracy"):
        assert_array_equal(remote.cv_results_[key], sequential.cv_results_[key])
    assert remote.best_params_ == sequential.best_params_
    assert remote.best_score_ == sequential.best_score_
    assert_array_equal(
        remote.predict_proba(task.X_test), sequential.predict_proba(task.X_test)
    )


def test_models_fitted_on_workers_come_back_whole(task, backend):
    """Models fitted in worker processes (holders shipped there, device chosen
    there) come back pickled and predict like models fitted here."""
    clf = DATNClassifier(alpha=2, beta=1, **ONE_THREAD)
    kwargs = {"cv": CV, "params": task.fit_params, "return_estimator": True}
    local = cross_validate(clf, task.X, task.y, **kwargs)["estimator"]
    with joblib.parallel_backend(backend):
        remote = cross_validate(clf, task.X, task.y, **kwargs)["estimator"]
    for here, there in zip(local, remote, strict=True):
        assert there.device_ == "cpu" and there.variant_ == "DATN"
        # The source pathway learnt from the same, whole source domain there.
        for name, weights in here.source_net_.state_dict().items():
            assert torch.equal(there.source_net_.state_dict()[name], weights), name
        assert_array_equal(there.G_, here.G_)
        again = pickle.loads(pickle.dumps(there))
        assert_array_equal(
            again.predict_proba(task.X_test), here.predict_proba(task.X_test)
        )


def test_datn_cv_gives_the_sequential_results(task, backend):
    def search():
        return DATNClassifierCV(
            alphas=GRID["alpha"], betas=GRID["beta"], cv=CV, **ONE_THREAD
        ).fit(task.X, task.y, **task.fit_params)

    sequential = search()
    with joblib.parallel_backend(backend):
        remote = search()
    for key in ("mean_test_score", "rank_test_score", "split2_test_score"):
        assert_array_equal(remote.cv_results_[key], sequential.cv_results_[key])
    assert remote.best_params_ == sequential.best_params_
    # 3 folds x (2 beta groups + the target-only model, pretrained apart from
    # the pair labels), 2 source pretrainings, 1 refit.
    assert remote.n_pretrainings_ == sequential.n_pretrainings_ == 3 * 3 + 2 + 1
    assert_array_equal(
        remote.predict_proba(task.X_test), sequential.predict_proba(task.X_test)
    )


def test_datn_cv_runs_on_the_workers(task, backend):
    clf = DATNClassifierCV(alphas=[1], betas=[0, 1], cv=CV, scoring=pid_scorer, **FAST)
    with joblib.parallel_backend(backend):
        clf.fit(task.X, task.y, **task.fit_params)
    pids = set(
        np.concatenate([clf.cv_results_[f"split{k}_test_score"] for k in range(3)])
    )
    assert os.getpid() not in {int(p) for p in pids}
