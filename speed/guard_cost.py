"""Time DATNClassifierCV's guard: the default search with and without it.

Usage: python speed/guard_cost.py [--task fac>fou] [--seed 0] [--repeat 2]

Fits ``DATNClassifierCV(random_state=seed)`` on an mfeat task (``make_transfer_task``
with ``random_state=seed``), once with the guard (``fallback=True``, the default)
and once without (``fallback=False``), the two interleaved ``--repeat`` times, one
torch thread. Prints each fit's wall time, the guard's weight of the transfer
model, the test accuracy and the number of pretrainings.
"""

from __future__ import annotations

import argparse
import time
import warnings

from skdatn import DATNClassifierCV
from skdatn.datasets import load_mfeat, make_transfer_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="fac>fou")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    views, y = load_mfeat(return_X_y=True)
    source, target = args.task.split(">")
    task = make_transfer_task(views[source], views[target], y, random_state=args.seed)
    for run in range(args.repeat):
        for fallback in (True, False):
            clf = DATNClassifierCV(random_state=args.seed, fallback=fallback)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(task.X, task.y, **task.fit_params)
            seconds = time.perf_counter() - start
            print(
                f"run {run}, fallback={fallback}: {seconds:.1f} s, "
                f"transfer_weight_={clf.transfer_weight_:g}, "
                f"accuracy {clf.score(task.X_test, task.y_test):.3f}, "
                f"{clf.n_pretrainings_} pretrainings",
                flush=True,
            )


if __name__ == "__main__":
    main()
