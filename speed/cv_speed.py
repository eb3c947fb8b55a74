"""Time DATNClassifierCV against GridSearchCV over the same grid (same run, same machine).

Usage: python speed/cv_speed.py [--tasks fac>fou ...] [--grid paper|small] [--threads 1]

Both searches use the same 5-fold splitter and random_state, so their
cross-validation scores must be equal; the script checks it and prints the
wall times, the CPU times of the process (robust to other jobs on a shared
machine when one thread is used) and their ratios.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, KFold

from skdatn import DATNClassifier, DATNClassifierCV
from skdatn.datasets import load_mfeat, make_transfer_task

GRIDS = {"paper": [0, 0.5, 1, 2, 5, 10], "small": [0, 1, 5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["fac>fou", "fac>zer", "pix>fou"])
    parser.add_argument("--grid", choices=sorted(GRIDS), default="paper")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    views, y = load_mfeat(return_X_y=True)
    values = GRIDS[args.grid]
    for spec in args.tasks:
        source, target = spec.split(">")
        task = make_transfer_task(
            views[source], views[target], y, random_state=args.seed
        )
        cv = KFold(5, shuffle=True, random_state=args.seed)
        t0, c0 = time.perf_counter(), time.process_time()
        search = GridSearchCV(
            DATNClassifier(random_state=args.seed),
            {"alpha": values, "beta": values},
            cv=cv,
        ).fit(task.X, task.y, **task.fit_params)
        t_grid, c_grid = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        # GridSearchCV's scorer (accuracy) and no target-only candidate: the same
        # search, for equal scores.
        clf = DATNClassifierCV(
            alphas=values,
            betas=values,
            cv=cv,
            scoring="accuracy",
            fallback=False,
            random_state=args.seed,
        )
        clf.fit(task.X, task.y, **task.fit_params)
        t_cv, c_cv = time.perf_counter() - t0, time.process_time() - c0
        same = np.array_equal(
            search.cv_results_["mean_test_score"], clf.cv_results_["mean_test_score"]
        )
        print(
            f"mfeat:{spec} grid={args.grid} ({len(values) ** 2} points x 5 folds): "
            f"GridSearchCV {t_grid:.1f}s, DATNClassifierCV {t_cv:.1f}s, "
            f"speed-up {t_grid / t_cv:.1f}x; CPU time {c_grid:.1f}s vs {c_cv:.1f}s, "
            f"speed-up {c_grid / c_cv:.1f}x; equal scores: {same}, "
            f"best {search.best_params_} vs {clf.best_params_}, "
            f"test accuracy {search.score(task.X_test, task.y_test):.3f} vs "
            f"{clf.score(task.X_test, task.y_test):.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
