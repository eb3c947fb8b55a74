"""Time GridSearchCV(n_jobs=2) with and without the per-fit thread bound (n_threads).

Usage: python benchmarks/thread_bound.py [--task fac>fou] [--backends loky threading]
       [--epochs 50 20] [--unbounded 2]

A small search (α in {0.5, 2}, β in {0, 1}, 2 folds: 8 fits and the refit) on an
mfeat development task, run with joblib's loky (worker processes) and threading
(worker threads) backends, n_jobs=2, once with ``n_threads=None`` (the bound:
1 torch thread per fit in threads; loky's workers start torch with
``OMP_NUM_THREADS=cpu_count // n_jobs``) and once with ``n_threads=--unbounded``
(each fit takes that many threads whatever runs beside it), then n_jobs=1 with
1 and with --unbounded threads for reference. Prints the wall times and the
load averages: on a shared machine compare figures of one run only.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="fac>fou")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--backends",
        nargs="+",
        default=["loky", "threading"],
        choices=["loky", "threading"],
    )
    parser.add_argument("--epochs", nargs=2, type=int, default=[50, 20])
    parser.add_argument("--unbounded", type=int, default=os.cpu_count())
    args = parser.parse_args()
    views, y = load_mfeat(return_X_y=True)
    source, target = args.task.split(">")
    task = make_transfer_task(views[source], views[target], y, random_state=args.seed)
    params = {
        "random_state": args.seed,
        "pretrain_epochs": args.epochs[0],
        "finetune_epochs": args.epochs[1],
    }
    runs = [(b, 2, None) for b in args.backends]
    runs += [(b, 2, args.unbounded) for b in args.backends]
    runs += [("sequential", 1, 1), ("sequential", 1, args.unbounded)]
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
