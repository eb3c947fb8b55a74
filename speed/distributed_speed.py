"""Time the α/β search with n_jobs=1 against a 2-worker Dask LocalCluster (and Ray).

Usage: python speed/distributed_speed.py [--task fac>fou] [--seed 0]
       [--grid paper|small] [--searches grid cv] [--engines sequential dask ray]
       [--workers 2] [--threads 1] [--epochs PRETRAIN FINETUNE]

The task is an mfeat development task (``make_transfer_task``'s default sizes);
the search is the paper's: α, β in {0, 0.5, 1, 2, 5, 10} (36 points), 5 shuffled
folds, with ``GridSearchCV(DATNClassifier())`` ("grid") and ``DATNClassifierCV``
("cv"). "sequential" runs ``n_jobs=1`` in this process with ``--threads`` torch
threads; "dask" a ``LocalCluster`` of ``--workers`` processes of one thread each,
"ray" a local Ray with ``--workers`` CPUs, both through ``joblib.parallel_backend``
(the engine's start-up is timed apart). Dask's workers start without Dask's
``MALLOC_TRIM_THRESHOLD_`` setting unless ``--dask-malloc-trim`` (see
docs/distributed.rst). Every engine must give the sequential scores; the script
checks it, and prints the machine's load averages before and after each search:
on a shared machine the figures are only comparable within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from skdatn import DATNClassifier, DATNClassifierCV
from skdatn.datasets import load_mfeat, make_transfer_task

GRIDS = {"paper": [0, 0.5, 1, 2, 5, 10], "small": [0, 1, 5], "tiny": [0, 1]}


@contextlib.contextmanager
def engine(name: str, workers: int, unset_malloc_trim: bool = True):
    """Start the engine; yield the joblib backend's name (None: sequential)."""
    if name == "sequential":
        yield None
    elif name == "dask":
        import dask
        from dask.distributed import Client, LocalCluster

        # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which makes
        # every large torch allocation page-fault (fits 1.7x slower): unset it.
        trim = None if unset_malloc_trim else 65536
        with (
            dask.config.set(
                {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": trim}
            ),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(workers)
            yield "dask"
    elif name == "ray":
        import ray
        from ray.util.joblib import register_ray

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(
            address="local",
            num_cpus=workers,
            num_gpus=0,
            include_dashboard=False,
            object_store_memory=512 * 2**20,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": os.getcwd()}},
        )
        register_ray()
        try:
            yield "ray"
        finally:
            ray.shutdown()
    else:
        raise ValueError(f"unknown engine {name!r}")


def search(kind: str, values, cv, **params):
    if kind == "grid":
        return GridSearchCV(
            DATNClassifier(**params), {"alpha": values, "beta": values}, cv=cv
        )
    # GridSearchCV's scorer (accuracy) and no target-only candidate: the same search.
    return DATNClassifierCV(
        alphas=values,
        betas=values,
        cv=cv,
        scoring="accuracy",
        fallback=False,
        **params,
    )


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="fac>fou")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", choices=sorted(GRIDS), default="paper")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--searches", nargs="+", choices=["grid", "cv"], default=["grid", "cv"]
    )
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=["sequential", "dask", "ray"],
        default=["sequential", "dask"],
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--dask-malloc-trim",
        action="store_true",
        help="keep Dask's MALLOC_TRIM_THRESHOLD_=65536 in its workers",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads of the sequential search (0: torch's default)",
    )
    parser.add_argument(
        "--epochs",
        nargs=2,
        type=int,
        metavar=("PRETRAIN", "FINETUNE"),
        help="pretrain_epochs and finetune_epochs (default: the estimator's)",
    )
    args = parser.parse_args()
    views, y = load_mfeat(return_X_y=True)
    source, target = args.task.split(">")
    task = make_transfer_task(views[source], views[target], y, random_state=args.seed)
    values = GRIDS[args.grid]
    cv = KFold(args.folds, shuffle=True, random_state=args.seed)
    print(
        f"mfeat:{args.task} seed {args.seed}: {len(values) ** 2} points x "
        f"{args.folds} folds, {os.cpu_count()} CPUs, {load()}",
        flush=True,
    )
    reference: dict[str, np.ndarray] = {}
    for name in args.engines:
        t0 = time.perf_counter()
        with engine(name, args.workers, not args.dask_malloc_trim) as backend:
            started = time.perf_counter() - t0
            for kind in args.searches:
                params = {"random_state": args.seed}
                if backend is None:
                    params["n_threads"] = args.threads or None
                if args.epochs:
                    params["pretrain_epochs"], params["finetune_epochs"] = args.epochs
                estimator = search(kind, values, cv, **params)
                before = load()
                t0 = time.perf_counter()
                with joblib.parallel_backend(backend or "sequential"):
                    estimator.fit(task.X, task.y, **task.fit_params)
                wall = time.perf_counter() - t0
                scores = estimator.cv_results_["mean_test_score"]
                reference.setdefault(kind, scores)
                label = (
                    f"n_jobs=1, {args.threads or 'default'} torch thread(s)"
                    if backend is None
                    else f"{name}, {args.workers} workers (engine start {started:.1f}s)"
                )
                print(
                    f"{kind:>4} | {label}: {wall:.1f}s | best {estimator.best_params_}"
                    f" cv {estimator.best_score_:.3f} | same scores as the first: "
                    f"{np.array_equal(scores, reference[kind])} | {before} -> {load()}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
