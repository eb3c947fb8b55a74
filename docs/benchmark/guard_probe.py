"""The held-out predictions behind DATNClassifierCV's guard, on the development tasks.

For each development task, seed 0-2 and level of the degraded-source sweep
(``SOURCE_NOISE_LEVELS``), one run of the benchmark's DATN_plus (the default search,
one network) keeps, in one ``.npz`` per run:

- the labels of the held-out rows of the search's folds, and the class
  probabilities there of every candidate (``oof_candidates``), of the guard's
  target-only model of that search (``oof_guard``) and of a standalone
  ``DATNClassifier()`` fitted without the source in the same folds (``oof_ssdae``);
- the class probabilities on the test rows of the guard's fitted model
  (``test_today``), of the transfer model with the selected (α, β) refitted on all
  rows (``test_transfer``), of the guard's refitted target-only model
  (``test_guard``) and of the standalone SSDAE on all rows (``test_ssdae``), and the
  test accuracy of the benchmark's SVM.

The committed ``dev_guard_rules.json`` was computed from runs of the library before
the guard's current rule. In those files the guard's model (the "before" rows of the
tables) was either the transfer or the target-only model (``fell_back``), and
``oof_guard`` and ``test_guard`` hold the previous target-only model (the search's
own pretrained target pathway). With the current library the guard's target-only
model is the standalone SSDAE, so those arrays repeat ``oof_ssdae`` and
``test_ssdae``.

A rule of the guard is a function of these arrays, so every rule is scored from
one run (``guard_rules.py``). Run from the repository root, with the shared data
beside the clone; ``--tasks`` picks a subset, a rerun skips the runs on file:

    python docs/benchmark/guard_probe.py OUTDIR
"""

import argparse
import os
import time
import warnings

import numpy as np

from skdatn import DATNClassifier, DATNClassifierCV
from skdatn._guard import in_columns
from skdatn.benchmark import DATASETS, build_task, parse_task
from skdatn.benchmark._analyses import SOURCE_NOISE_LEVELS
from skdatn.benchmark._controls import degrade_source
from skdatn.benchmark._methods import available_methods
from skdatn.benchmark._runner import _context

TASKS = [
    "wikipedia:image>text",
    "wikipedia:text>image",
    "mfeat:fac>fou",
    "mfeat:fac>zer",
    "mfeat:pix>fou",
    "reuters:en>fr",
    "reuters:en>de",
]


class Probe(DATNClassifierCV):
    """The default search, keeping what its guard sees."""

    def _search(self, grid, folds, scorer, guard):
        out = super()._search(grid, folds, scorer, guard)
        self.probe_ = dict(grid=grid, folds=folds, out=out)
        return out


def probe(task: str, seed: int, level: float, path: str) -> None:
    spec = parse_task(task)
    data = DATASETS[spec.dataset].load("../shared/data")
    split = degrade_source(build_task(spec, data, seed), seed, level)
    ctx = _context(spec, split, "small", False, 1)
    methods = available_methods()
    built = methods["DATN_plus"].build(ctx, seed)
    est = Probe(**built.get_params())
    start = time.perf_counter()
    est.fit(split.X, split.y, **split.fit_params)
    seconds = time.perf_counter() - start
    classes = est.classes_
    today = est.predict_proba(split.X_test)
    grid = est.probe_["grid"]
    folds = est.probe_["folds"]
    _, probas, target_only, _, _ = est.probe_["out"]
    fell_back = bool(est.fallback_)
    # The standalone models on all rows: the transfer model is DATNClassifier with
    # the selected (alpha, beta), which is what the search refits; the
    # target-only model is DATNClassifier() without the source, in the search's
    # folds and on all rows.
    shared = DATNClassifier().get_params()
    params = {k: v for k, v in built.get_params().items() if k in shared}
    transfer = DATNClassifier(**{**params, **est.best_params_})
    transfer.fit(split.X, split.y, **split.fit_params)
    test_transfer = in_columns(
        transfer.predict_proba(split.X_test), transfer.classes_, classes
    )
    splits = est._splits(split.X, split.y, {})
    oof_ssdae = []
    for train, test in splits:
        m = DATNClassifier(**params, alpha=1.0, beta=1.0).fit(
            split.X[train], split.y[train], X_unlabeled=split.fit_params["X_unlabeled"]
        )
        oof_ssdae.append(
            in_columns(m.predict_proba(split.X[test]), m.classes_, classes)
        )
    m = DATNClassifier(**params, alpha=1.0, beta=1.0).fit(
        split.X, split.y, X_unlabeled=split.fit_params["X_unlabeled"]
    )
    test_ssdae = in_columns(m.predict_proba(split.X_test), m.classes_, classes)
    # The guard's own refitted target-only model is that same standalone model.
    test_guard = test_ssdae
    svm = methods["SVM"].build(ctx, seed).fit(split.X, split.y)
    n_folds = len(folds)
    np.savez_compressed(
        path,
        classes=classes,
        y_test=split.y_test,
        oof_y=np.concatenate([f.y_test for f in folds]),
        fold_sizes=np.array([len(f.y_test) for f in folds]),
        oof_candidates=np.stack(
            [
                np.vstack([probas[i, k] for k in range(n_folds)])
                for i in range(len(grid))
            ]
        ),
        alphas=np.array([p["alpha"] for p in grid]),
        betas=np.array([p["beta"] for p in grid]),
        best_index=est.best_index_,
        oof_guard=np.vstack([p for _, p in target_only]),
        oof_ssdae=np.vstack(oof_ssdae),
        test_transfer=test_transfer,
        test_guard=test_guard,
        test_today=today,
        test_ssdae=test_ssdae,
        fell_back=fell_back,
        svm_accuracy=float(np.mean(svm.predict(split.X_test) == split.y_test)),
        seconds=seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--tasks", nargs="+", default=TASKS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--levels", nargs="+", type=float, default=list(SOURCE_NOISE_LEVELS)
    )
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    warnings.simplefilter("ignore")
    for task in args.tasks:
        for level in args.levels:
            for seed in args.seeds:
                name = f"{task.replace(':', '_').replace('>', '-')}_s{seed}_l{level:g}"
                path = os.path.join(args.outdir, name + ".npz")
                if os.path.exists(path):
                    continue
                start = time.perf_counter()
                probe(task, seed, level, path)
                print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
