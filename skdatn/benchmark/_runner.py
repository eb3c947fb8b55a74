"""The benchmark's runs: fit and score each method on each task and seed, save and resume rows."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import TextIO

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch

from .._threads import limit_threads
from ..exceptions import NegativeTransferWarning
from ._methods import (
    _QUICK_ESTIMATOR,
    DEFAULT_NETWORKS,
    GRIDS,
    Method,
    resolve_methods,
)
from ._tasks import (
    _ROW_SIZES,
    DATASETS,
    UNPAIRED_TASKS,
    TaskSpec,
    _check_sizes,
    _check_views,
    _DataCache,
    build_task,
    default_tasks,
    parse_task,
    without_pairs,
)


def _context(
    task: TaskSpec,
    split: Bunch,
    grid: str,
    quick: bool,
    n_jobs: int,
    networks: int = 1,
    threads: int | None = None,
    progress: bool = False,
):
    kwargs = dict(DATASETS[task.dataset].estimator_kwargs)
    if quick:
        kwargs.update(_QUICK_ESTIMATOR)
    if threads is not None:
        # The fits in worker processes (n_jobs) use the run's thread count too:
        # other counts change the last bits of sums, and so the selection.
        kwargs["n_threads"] = threads
    return {
        "estimator_kwargs": kwargs,
        "grid": grid,
        "n_jobs": n_jobs,
        "networks": networks,
        "n_labeled": split.X.shape[0],
        "sparse": sp.issparse(split.X),
        "quick": quick,
        "progress": progress,
    }


def fit_and_score(
    method: Method, split: Bunch, ctx: dict, seed: int
) -> tuple[float, float, dict]:
    """Fit one method on one split; return test accuracy, fit seconds, params."""
    estimator = method.build(ctx, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # The row says it: its params' variant is the target-only model's.
        warnings.simplefilter("ignore", NegativeTransferWarning)
        estimator.fit(split.X, split.y, **method.fit_inputs(split))
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(estimator.predict(split.X_test) == split.y_test))
    return accuracy, seconds, method.describe(estimator)


def _row(task: TaskSpec, method: str, seed: int, acc, seconds, params) -> dict:
    return {
        "dataset": task.dataset,
        "source": task.source,
        "target": task.target,
        "method": method,
        "seed": int(seed),
        "accuracy": acc,
        "fit_seconds": round(float(seconds), 3),
        "params": params,
    }


class _Progress:
    def __init__(self, total: int, stream: TextIO | bool | None):
        self.total = total
        self.done = 0
        self.stream = sys.stderr if stream is True else (stream or None)
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        self.done += 1
        if self.stream is not None:
            elapsed = time.perf_counter() - self.start
            width = len(str(self.total))
            print(
                f"[{self.done:>{width}}/{self.total}] {elapsed:6.1f}s  {message}",
                file=self.stream,
                flush=True,
            )

    def note(self, message: str) -> None:
        if self.stream is not None:
            print(message, file=self.stream, flush=True)


def _run_one(method, split, ctx, seed, task, progress, *, extra=None) -> dict:
    label = f"{task} seed={seed} {method.name}"
    if extra:
        label += " " + " ".join(f"{k}={v}" for k, v in extra.items())
    try:
        acc, seconds, params = fit_and_score(method, split, ctx, seed)
    except Exception as exc:  # noqa: BLE001 - one failing fit must not stop the run
        row = _row(task, method.name, seed, None, 0.0, {})
        row["error"] = f"{type(exc).__name__}: {exc}"
        progress(f"{label}: FAILED ({row['error']})")
        return row
    shown = " ".join(f"{k}={v}" for k, v in params.items())
    progress(
        f"{label}: accuracy={acc:.3f} ({seconds:.1f}s){' ' + shown if shown else ''}"
    )
    return _row(task, method.name, seed, acc, seconds, params)


def run_benchmark(
    tasks: Sequence[TaskSpec | str] | None = None,
    methods: Sequence[str] | None = None,
    seeds: Sequence[int] = (0,),
    *,
    data_dir=None,
    grid: str = "small",
    quick: bool = False,
    n_jobs: int | None = None,
    threads: int | None = 1,
    networks: int | None = None,
    sizes: dict | None = None,
    unpaired: bool = False,
    progress: TextIO | bool | None = True,
    on_row: Callable[[dict], None] | None = None,
    done: dict | None = None,
) -> list[dict]:
    """Run every method on every task and seed; return one row per fit.

    Parameters
    ----------
    tasks : sequence of TaskSpec or str, default=None
        Tasks like ``"mfeat:fac>fou"``; None runs the default tasks.
    methods : sequence of str, default=None
        Method names (see :func:`available_methods`); None runs them all.
    seeds : sequence of int, default=(0,)
        Seeds of the task splits, the estimators and the CV folds.
    data_dir : str or path-like, default=None
        Folder of the external data sets (mfeat is embedded).
    grid : {"small", "paper", "quick", "none"}, default="small"
        α/β grid of DATN's 5-fold selection; ``"none"`` uses α=2, β=1.
    quick : bool, default=False
        Smoke configuration: tiny networks and 5 epochs per stage; the
        baselines run only when named in ``methods``.
    n_jobs : int, default=None
        Parallel jobs of DATN's and DATN_sup's α/β selection
        (:class:`~skdatn.DATNClassifierCV`'s ``n_jobs``).
    threads : int or None, default=1
        Torch intra-op threads during the run (restored afterwards); one
        thread is the fastest for these small networks and does not collapse
        when other processes share the cores. None leaves torch's setting alone.
    networks : int or None, default=None
        Networks averaged by each of DATN, DATN_sup, DATN_unsup, SSDAE and DNN
        (:class:`~skdatn.SeedEnsembleClassifier`, seeds drawn from the task's
        seed; each network of DATN and DATN_sup selects its own α/β). None
        means 5, or 1 when ``quick``. The controls ``NoiseSource`` and
        ``ShuffledPairs`` are one network each, with DATN's selection.
    sizes : dict or None, default=None
        Split sizes that replace each data set's own for every task, e.g.
        ``{"pairs": 0.05, "target_unlabeled": 0.3}``: keys ``pairs``,
        ``source_labeled``, ``source_unlabeled``, ``target_unlabeled``, ``test``
        (counts as int, fractions of all items as float) and
        ``target_labeled_per_class`` (int); see
        :func:`~skdatn.datasets.make_transfer_task`. Each row then has a
        ``sizes`` entry.
    unpaired : bool, default=False
        The unpaired protocol: every split's pairs are withheld, the default
        tasks are the unpaired development tasks (``UNPAIRED_TASKS``) and the
        default methods those that need no pairs (see :func:`resolve_methods`).
        The tasks of an unpaired data set (Office-Caltech) have no pairs in
        either protocol. The rows of a split without pairs have
        ``"protocol": "unpaired"``.
    progress : text stream, bool or None, default=True
        Where progress lines go: True for ``sys.stderr``, None or False for
        nowhere.
    on_row : callable or None, default=None
        Called with each new row as soon as its fit is done (to save results
        as they come).
    done : dict or None, default=None
        Rows of an earlier run by :func:`row_key`: a fit whose key is there is
        not run again, its row is reused (to resume a stopped run).

    Returns
    -------
    rows : list of dict
        ``dataset, source, target, method, seed, accuracy, fit_seconds, params``
        (plus ``error`` for a fit that failed, with ``accuracy`` None).
    """
    if grid not in GRIDS:
        raise ValueError(f"Unknown grid {grid!r}; choose from {list(GRIDS)}.")
    if networks is None:
        networks = 1 if quick else DEFAULT_NETWORKS
    if not isinstance(networks, (int, np.integer)) or networks < 1:
        raise ValueError(f"networks must be an int >= 1, got {networks!r}.")
    networks = int(networks)
    overrides = _check_sizes(sizes)
    with torch_threads(threads):
        if tasks is None:
            tasks = UNPAIRED_TASKS if unpaired else default_tasks()
        tasks = [t if isinstance(t, TaskSpec) else parse_task(t) for t in tasks]
        method_list = resolve_methods(methods, baselines=not quick, unpaired=unpaired)
        seeds = _check_seeds(seeds)
        cache = _DataCache(data_dir)
        for task in tasks:  # fail early on a missing file, a bad view or bad sizes
            _check_views(task, cache.get(task.dataset))
            if overrides:
                build_task(task, cache.get(task.dataset), seeds[0], **overrides)
        bar = _Progress(len(tasks) * len(seeds) * len(method_list), progress)
        if any(m.name == "DATN" for m in method_list):
            bar.note(
                f"DATN: alpha/beta by 5-fold CV (held-out log-loss) over grid "
                f"{grid!r}: {GRIDS[grid]}; DATN_sup: alpha by the same CV, beta=0; "
                f"DATN and its variants average {networks} network(s)"
            )
        rows = []
        for task in tasks:
            data = cache.get(task.dataset)
            protocol = unpaired or not DATASETS[task.dataset].paired
            for seed in seeds:
                split = build_task(task, data, seed, **overrides)
                if unpaired:
                    split = without_pairs(split)
                ctx = _context(
                    task,
                    split,
                    grid,
                    quick,
                    n_jobs,
                    networks,
                    threads,
                    progress=bar.stream is not None,
                )
                for method in method_list:
                    row = _reused(done, bar, task, method.name, seed, unpaired=protocol)
                    if row is None:
                        row = _run_one(method, split, ctx, seed, task, bar)
                        if protocol:
                            row["protocol"] = "unpaired"
                        if overrides:
                            sized = {k: split.indices[k].size for k in _ROW_SIZES}
                            row["sizes"] = sized
                        if on_row is not None:
                            on_row(row)
                    rows.append(row)
        return rows


def row_key(row: dict) -> tuple:
    """What identifies a fit of a run: task, method, seed, the protocol (paired
    or not), and for the analyses their name and setting."""
    setting = row.get("setting")
    return (
        row["dataset"],
        row["source"],
        row["target"],
        row["method"],
        row["seed"],
        row.get("analysis"),
        None if setting is None else json.dumps(setting, sort_keys=True),
        row.get("protocol"),
    )


def _done_row(done, task, method, seed, analysis=None, setting=None, unpaired=False):
    """The finished row of this fit in ``done``, or None."""
    if not done:
        return None
    probe = {
        "dataset": task.dataset,
        "source": task.source,
        "target": task.target,
        "method": method,
        "seed": seed,
        "analysis": analysis,
        "setting": setting,
        "protocol": "unpaired" if unpaired else None,
    }
    return done.get(row_key(probe))


def _report_done(bar, task, seed, row: dict) -> None:
    """Count a fit of an earlier run as done, with its accuracy."""
    accuracy = row.get("accuracy")
    shown = "failed" if accuracy is None else f"accuracy={accuracy:.3f}"
    bar(f"{task} seed={seed} {row['method']}: {shown} (done before)")


def _reused(done, bar, task, method, seed, analysis=None, setting=None, unpaired=False):
    """The finished row of this fit in ``done`` (then counted as done), or None."""
    row = _done_row(done, task, method, seed, analysis, setting, unpaired)
    if row is not None:
        _report_done(bar, task, seed, row)
    return row


@contextmanager
def torch_threads(n: int | None):
    """Run the block with ``n`` torch and BLAS threads (numpy/scipy baselines),
    then restore them (:func:`~skdatn._threads.limit_threads`, with the
    benchmark's check of ``--threads``; None leaves them as they are).

    The benchmark's matrices are small: extra threads mostly add overhead, and
    busy-waiting threads slow down badly when another process shares the cores.
    """
    if n is not None and (
        not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1
    ):
        raise ValueError(f"threads must be a positive int or None, got {n!r}.")
    with limit_threads(None if n is None else int(n)):
        yield


def _check_seeds(seeds) -> list[int]:
    seeds = list(seeds)
    if not seeds or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
        for s in seeds
    ):
        raise ValueError(f"seeds must be a non-empty list of ints >= 0, got {seeds!r}.")
    return [int(s) for s in seeds]
