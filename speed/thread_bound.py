"""Time GridSearchCV(n_jobs=2) with and without the per-fit thread bound (n_threads).

Usage: python speed/thread_bound.py [--task fac>fou] [--epochs 50 20]
       [--runs BACKEND:N_JOBS:N_THREADS ...] [--repeat 1]

A small search (α in {0.5, 2}, β in {0, 1}, 2 folds: 8 fits and the refit) on an
mfeat development task, run with joblib's loky (worker processes) and threading
(worker threads) backends, n_jobs=2, once with ``n_threads=None`` (the bound:
1 torch thread per fit in threads; loky's workers start torch with
``OMP_NUM_THREADS=cpu_count // n_jobs``) and once with ``n_threads=2`` (each fit
takes 2 threads whatever runs beside it), then n_jobs=1 with 1 and 2 threads for
reference. ``--runs`` picks others (e.g. ``threading:2:none sequential:1:1``) and
``--repeat`` runs the list again, interleaving the runs on a noisy machine.
Prints the wall times and the load averages: on a shared machine compare
figures of one run only.
"""

from __future__ import annotations

import argparse
import os
import time

import joblib
from sklearn.model_selection import GridSearchCV, KFold

from skdatn import DATNClassifier
from skdatn.datasets import load_mfeat, make_transfer_task

GRID = {"alpha": [0.5, 2], "beta": [0, 1]}
DEFAULT_RUNS = [
    "loky:2:none",
    "threading:2:none",
    "loky:2:2",
    "threading:2:2",
    "sequential:1:1",
    "sequential:1:2",
]


def parse_run(spec: str) -> tuple[str, int, int | None]:
    backend, n_jobs, n_threads = spec.split(":")
    return backend, int(n_jobs), None if n_threads == "none" else int(n_threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="fac>fou")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", nargs=2, type=int, default=[50, 20])
    parser.add_argument("--runs", nargs="+", default=DEFAULT_RUNS)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    views, y = load_mfeat(return_X_y=True)
    source, target = args.task.split(">")
    task = make_transfer_task(views[source], views[target], y, random_state=args.seed)
    params = {
        "random_state": args.seed,
        "pretrain_epochs": args.epochs[0],
        "finetune_epochs": args.epochs[1],
    }
    runs = [parse_run(spec) for spec in args.runs] * args.repeat
    print(f"mfeat:{args.task}, {os.cpu_count()} CPUs, epochs {args.epochs}", flush=True)
    for backend, n_jobs, n_threads in runs:
        load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        search = GridSearchCV(
            DATNClassifier(n_threads=n_threads, **params),
            GRID,
            cv=KFold(2, shuffle=True, random_state=args.seed),
        )
        t0 = time.perf_counter()
        with joblib.parallel_backend(backend, n_jobs=n_jobs):
            search.fit(task.X, task.y, **task.fit_params)
        wall = time.perf_counter() - t0
        bound = "bound (None)" if n_threads is None else f"n_threads={n_threads}"
        print(
            f"{backend:>10} n_jobs={n_jobs} {bound:>13}: {wall:6.1f}s "
            f"(load before {load})",
            flush=True,
        )


if __name__ == "__main__":
    main()
