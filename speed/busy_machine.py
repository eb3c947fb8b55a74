"""A default fit alone and beside one busy process: how much does the neighbour cost?

Usage: python speed/busy_machine.py [--n-threads 1 2 none] [--repeat 3]
       [--epochs 30 10]

Fits ``DATNClassifier`` on mfeat fac→fou (``--epochs`` pretraining and
fine-tuning epochs) with each ``--n-threads`` setting (``none``: torch's own
thread count), first on the machine as it is, then while this script runs one
busy process of its own (a pure-Python loop that keeps one core at 100%), and
prints the best wall time of each and their ratio. Run it on an otherwise quiet
machine: the "alone" figures are only alone if nothing else runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from skdatn import DATNClassifier
from skdatn.datasets import load_mfeat, make_transfer_task

BUSY = "import time\nend = time.time() + 3600\nwhile time.time() < end: pass\n"


def best_fit_seconds(task, n_threads, epochs, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        clf = DATNClassifier(
            pretrain_epochs=epochs[0],
            finetune_epochs=epochs[1],
            n_iter_no_change=None,
            n_threads=n_threads,
            random_state=0,
        )
        start = time.perf_counter()
        clf.fit(task.X, task.y, **task.fit_params)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-threads", nargs="+", default=["1", "2", "none"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, nargs=2, default=[30, 10])
    args = parser.parse_args()
    settings = [None if n == "none" else int(n) for n in args.n_threads]
    views, y = load_mfeat(return_X_y=True)
    task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    best_fit_seconds(task, 1, (2, 2), 1)  # warm-up: lazy imports, first kernels
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; mfeat fac>fou, "
        f"{args.epochs[0]}+{args.epochs[1]} epochs, best of {args.repeat}",
        flush=True,
    )
    alone = {n: best_fit_seconds(task, n, args.epochs, args.repeat) for n in settings}
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        time.sleep(1.0)
        beside = {
            n: best_fit_seconds(task, n, args.epochs, args.repeat) for n in settings
        }
    finally:
        busy.kill()
        busy.wait()
    print(f"{'n_threads':<10}{'alone':>9}{'beside busy':>13}{'ratio':>8}")
    for n in settings:
        print(
            f"{str(n):<10}{alone[n]:>8.2f}s{beside[n]:>12.2f}s"
            f"{beside[n] / alone[n]:>8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
