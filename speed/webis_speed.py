"""Time DATNClassifierCV, as the README shows it, on one Webis-CLS-10 en>de split.

Usage: python speed/webis_speed.py [--data-dir ../shared/data] [--threads 1]
       [--seed 0] [--report-accuracy]

The books reviews, English source and German target, at full vocabulary:
22,478 and 18,927 word-count columns, sparse (the benchmark's split of the
given seed: 20 labelled German rows, 1,100 English rows of which 1,000
labelled, 250 pairs, 150 unlabelled German rows). It prints the seconds of
``DATNClassifierCV(random_state=0).fit`` end to end (search and refit) and the
selected alpha and beta. Webis is a held-out data set: it is used here for
speed, never to tune; ``--report-accuracy`` prints the test accuracy, to be
run once and reported, not to choose anything.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from skdatn import DATNClassifierCV
from skdatn.benchmark import TaskSpec, build_task
from skdatn.datasets import load_webis_cls10_books


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    parser.add_argument("--data-dir", type=Path, default=default)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report-accuracy", action="store_true")
    args = parser.parse_args()
    data = load_webis_cls10_books(args.data_dir / "webis_cls10_books_en_de")
    task = build_task(TaskSpec("webis", "en", "de"), data, seed=args.seed)
    Xs = task.fit_params["X_source"].X
    print(
        f"target rows {task.X.shape}, source rows {Xs.shape}, "
        f"{Xs.nnz / Xs.shape[0]:.0f} non-zeros per source row, {args.threads} thread(s)",
        flush=True,
    )
    clf = DATNClassifierCV(random_state=0, n_threads=args.threads)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(task.X, task.y, **task.fit_params)
    seconds = time.perf_counter() - start
    print(
        f"fit {seconds:.1f} s (search and refit): alpha={clf.alpha_:g}, "
        f"beta={clf.beta_:g}, variant {clf.variant_}",
        flush=True,
    )
    if args.report_accuracy:
        print(f"test accuracy {clf.score(task.X_test, task.y_test):.3f} (held out)")


if __name__ == "__main__":
    main()
