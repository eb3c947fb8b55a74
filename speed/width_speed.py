"""Epoch time of DATNClassifier.fit against the number of input columns.

Usage: python speed/width_speed.py [--device cpu|cuda] [--threads 1]
       [--widths 1000 5000 20000 100000] [--nnz 50] [--rows 2000] [--epochs 5]
       [--formats sparse dense] [--mixed-precision bfloat16]

Bag-of-words shaped data: every row has ``--nnz`` non-zero counts at random
columns, whatever the width, so the data's non-zeros stay the same while its
width grows. Each domain gets ``--rows`` rows (a tenth labelled, a tenth
paired, 2 classes) and the same width. It prints the seconds per epoch of
pretraining (both domains) and of fine-tuning, with the default network, full
batches and early stopping off: the cost a user meets with wide sparse text.

An epoch's cost is measured as a difference: a fit with ``1 + --epochs``
epochs of a stage minus one with a single epoch, divided by ``--epochs``. What
a fit pays once (initial weights, the optimiser's state, scaling the rows,
the float64 copy of the fitted networks) is printed apart, as the time of the
fit with one epoch of each stage less those two epochs. The dense format is
the same matrix densified (skipped where it would take over
``--max-dense-gb``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
import torch

from skdatn import DATNClassifier, Domain, Pairs


def make_rows(n: int, d: int, nnz: int, rng) -> sp.csr_matrix:
    cols = np.concatenate([rng.choice(d, nnz, replace=False) for _ in range(n)])
    rows = np.repeat(np.arange(n), nnz)
    counts = rng.integers(1, 4, size=n * nnz).astype(float)
    return sp.csr_matrix((counts, (rows, cols)), shape=(n, d))


def epoch_seconds(d: int, fmt: str, args) -> tuple[float, float, float]:
    rng = np.random.default_rng(0)
    n = args.rows
    Xs, Xt = make_rows(n, d, args.nnz, rng), make_rows(n, d, args.nnz, rng)
    if fmt == "dense":
        Xs, Xt = Xs.toarray(), Xt.toarray()
    k = n // 10
    ys = np.full(n - k, -1)
    ys[:k] = rng.integers(2, size=k)
    y = rng.integers(2, size=k // 10)
    y[:2] = [0, 1]
    fit = dict(
        X_source=Domain(Xs[k:], ys),
        pairs=Pairs(Xs[:k], Xt[:k]),
        X_unlabeled=Domain(Xt[2 * k :]),
    )
    clf = DATNClassifier(
        n_iter_no_change=None,
        device=args.device,
        n_threads=args.threads,
        mixed_precision=args.mixed_precision,
        random_state=0,
    )

    def seconds(pretrain: int, finetune: int) -> float:
        clf.set_params(pretrain_epochs=pretrain, finetune_epochs=finetune)
        start = time.perf_counter()
        clf.fit(Xt[k : k + y.size], y, **fit)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start

    e = args.epochs
    seconds(1, 1)  # warm-up: the first fit of a process pays one-off costs
    base = seconds(1, 1)
    pre = (seconds(1 + e, 1) - base) / e
    fine = (seconds(1, 1 + e) - base) / e
    return pre, fine, base - pre - fine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--widths", type=int, nargs="+", default=[1000, 5000, 20000, 100000]
    )
    parser.add_argument("--nnz", type=int, default=50)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["sparse", "dense"])
    parser.add_argument("--mixed-precision", choices=["bfloat16", "float16"])
    parser.add_argument("--max-dense-gb", type=float, default=4.0)
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, device {args.device}, {args.threads} thread(s), "
        f"{args.rows} rows per domain, {args.nnz} non-zeros per row, "
        f"{args.epochs} epochs per stage, mixed precision {args.mixed_precision}",
        flush=True,
    )
    print(
        f"{'format':<8}{'columns':>9}{'pretrain s/epoch':>18}{'finetune s/epoch':>18}"
        f"{'setup s':>10}"
    )
    for fmt in args.formats:
        for d in args.widths:
            if fmt == "dense" and 2 * args.rows * d * 8 / 2**30 > args.max_dense_gb:
                print(f"{fmt:<8}{d:>9}{'(skipped)':>18}", flush=True)
                continue
            pre, fine, setup = epoch_seconds(d, fmt, args)
            print(f"{fmt:<8}{d:>9}{pre:>18.3f}{fine:>18.3f}{setup:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
