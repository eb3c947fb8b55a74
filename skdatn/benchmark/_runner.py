"""Benchmark machinery: data sets, tasks, methods, runs, analyses and the table."""

from __future__ import annotations

import functools
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import Bunch, check_random_state

from .._datn import DATNClassifier
from .._datn_cv import DATNClassifierCV
from .._ensemble import SeedEnsembleClassifier
from .._holders import Domain
from .._model_selection import (
    DEFAULT_ALPHAS,
    DEFAULT_BETAS,
    PAPER_GRID,
    BalancedKFold,
    held_out_log_loss,
)
from .._threads import limit_threads
from ..baselines import BASELINES
from ..datasets import (
    fetch_cub_image_text,
    fetch_reuters_multilingual,
    fetch_three_sources,
    fetch_webis_cls10_books,
    fetch_wikipedia_image_text,
    load_cub_image_text,
    load_mfeat,
    load_reuters_multilingual,
    load_three_sources,
    load_webis_cls10_books,
    load_wikipedia_image_text,
    make_transfer_task,
)
from ._controls import CONTROLS

# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DatasetSpec:
    """How the benchmark loads one data set and cuts its transfer tasks."""

    name: str
    load: Callable[[Any], Bunch]
    default_tasks: tuple[tuple[str, str], ...]
    task_kwargs: dict = field(default_factory=dict)
    estimator_kwargs: dict = field(default_factory=dict)
    embedded: bool = False
    note: str = ""
    #: Downloads it into the data home (``skdatn.datasets.fetch_*``), if possible.
    fetch: Callable[[], Bunch] | None = None


def _load_mfeat(data_dir) -> Bunch:
    return load_mfeat()


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "mfeat",
            _load_mfeat,
            (("fac", "fou"), ("fac", "zer"), ("pix", "fou")),
            embedded=True,
            note="embedded; development tasks",
        ),
        DatasetSpec(
            "reuters",
            load_reuters_multilingual,
            (("en", "fr"), ("en", "de")),
            # 1200 documents: 18 labelled target rows + 1140 in the other sets.
            task_kwargs=dict(
                n_pairs=180,
                n_source_labeled=300,
                n_source_unlabeled=180,
                n_target_unlabeled=180,
                n_test=300,
            ),
            fetch=fetch_reuters_multilingual,
            note="development tasks",
        ),
        DatasetSpec(
            "wikipedia",
            load_wikipedia_image_text,
            (("text", "image"),),
            fetch=fetch_wikipedia_image_text,
            note="development task",
        ),
        DatasetSpec(
            "cub",
            load_cub_image_text,
            (("text", "image"), ("image", "text")),
            # 600 images: 30 labelled target rows + 560 in the other sets.
            task_kwargs=dict(
                n_pairs=100,
                n_source_labeled=150,
                n_source_unlabeled=90,
                n_target_unlabeled=100,
                n_test=120,
            ),
            fetch=fetch_cub_image_text,
            note="held out",
        ),
        DatasetSpec(
            "3sources",
            load_three_sources,
            (("bbc", "guardian"), ("bbc", "reuters")),
            # 169 stories, smallest class 11: 12 labelled target rows + 155 others;
            # 60 labelled source rows make a missing source class unlikely.
            task_kwargs=dict(
                n_target_labeled_per_class=2,
                n_pairs=35,
                n_source_labeled=60,
                n_source_unlabeled=15,
                n_target_unlabeled=15,
                n_test=30,
            ),
            fetch=fetch_three_sources,
            note="held out; tiny",
        ),
        DatasetSpec(
            "webis",
            load_webis_cls10_books,
            (("en", "de"),),
            # 800 paired reviews: 20 labelled German rows + 770 others; for en>de
            # the 1000 English-only labelled reviews are the labelled source rows.
            task_kwargs=dict(
                n_target_labeled_per_class=10,
                n_pairs=250,
                n_source_labeled=0,
                n_source_unlabeled=100,
                n_target_unlabeled=150,
                n_test=250,
            ),
            fetch=fetch_webis_cls10_books,
            note="held out; sparse (densified by the estimator), not in defaults",
        ),
    )
}

DEFAULT_DATASETS = ("mfeat",)
_SIZE_KEYS = ("pairs", "source_labeled", "source_unlabeled", "target_unlabeled", "test")
_ROW_SIZES = ("target_labeled",) + _SIZE_KEYS


@dataclass(frozen=True)
class TaskSpec:
    """One transfer direction of one data set, e.g. ``mfeat:fac>fou``."""

    dataset: str
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.dataset}:{self.source}>{self.target}"


def parse_task(text: str) -> TaskSpec:
    """Parse ``"dataset:source>target"`` (``->`` works too) into a TaskSpec."""
    if not isinstance(text, str) or ":" not in text:
        raise ValueError(
            f"A task must look like 'dataset:source>target' (e.g. 'mfeat:fac>fou'), "
            f"got {text!r}."
        )
    dataset, _, direction = text.partition(":")
    dataset = dataset.strip().lower()
    direction = direction.replace("->", ">")
    if direction.count(">") != 1:
        raise ValueError(
            f"A task must look like 'dataset:source>target' (e.g. 'mfeat:fac>fou'), "
            f"got {text!r}."
        )
    source, target = (part.strip() for part in direction.split(">"))
    _check_dataset(dataset)
    if not source or not target or source == target:
        raise ValueError(
            f"Task {text!r} needs two different views, source>target, e.g. "
            f"'mfeat:fac>fou'."
        )
    return TaskSpec(dataset, source, target)


def _check_dataset(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose from {sorted(DATASETS)}.")
    return DATASETS[name]


def default_tasks(datasets: Iterable[str] = DEFAULT_DATASETS) -> list[TaskSpec]:
    """The default tasks of the given data sets (development tasks where defined)."""
    return [
        TaskSpec(name, s, t)
        for name in datasets
        for s, t in _check_dataset(name).default_tasks
    ]


class _DataCache:
    """Load each data set once per benchmark run."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self._data: dict[str, Bunch] = {}

    def get(self, name: str) -> Bunch:
        if name not in self._data:
            spec = _check_dataset(name)
            try:
                self._data[name] = spec.load(self.data_dir)
            except FileNotFoundError:
                # Without --data-dir, a data set that can be downloaded is.
                if self.data_dir is not None or spec.fetch is None:
                    raise
                self._data[name] = spec.fetch()
        return self._data[name]


def _check_views(task: TaskSpec, data: Bunch) -> None:
    for role, view in (("source", task.source), ("target", task.target)):
        if view not in data.views:
            raise ValueError(
                f"Task {task}: unknown {role} view {view!r} of {task.dataset}; its "
                f"views are {list(data.views)}."
            )


def build_task(task: TaskSpec, data: Bunch, seed: int, **overrides) -> Bunch:
    """Cut one transfer task with the data set's sizes (``overrides`` replace them).

    The split is :func:`~skdatn.datasets.make_transfer_task`; for a source view
    with extra labelled rows seen in that view only (Webis-CLS-10 English),
    those rows join the labelled source rows.
    """
    _check_views(task, data)
    kwargs = {**DATASETS[task.dataset].task_kwargs, **overrides}
    out = make_transfer_task(
        data.views[task.source],
        data.views[task.target],
        data.target,
        random_state=seed,
        **kwargs,
    )
    extra_X = data.get("unpaired_views", {}).get(task.source)
    if extra_X is not None:
        extra_y = data.unpaired_target[task.source]
        if sp.issparse(extra_X):
            Xs = sp.vstack([extra_X, out.X_source.X]).tocsr()
        else:
            Xs = np.vstack([extra_X, out.X_source.X])
        ys = np.concatenate([extra_y, np.asarray(out.X_source.y)])
        out.X_source = Domain(Xs, ys)
        out.fit_params["X_source"] = out.X_source
    out.X_test_source = data.views[task.source][out.indices["test"]]
    out.seed = seed
    return out


# ------------------------------------------------------------------------ methods


#: Selection grids for DATN's α and β (5-fold CV on the labelled target rows);
#: "small" is DATNClassifierCV's default.
GRIDS: dict[str, dict[str, list[float]] | None] = {
    "paper": {"alpha": list(PAPER_GRID), "beta": list(PAPER_GRID)},
    "small": {"alpha": list(DEFAULT_ALPHAS), "beta": list(DEFAULT_BETAS)},
    "quick": {"alpha": [0.5, 2.0], "beta": [1.0]},
    "none": None,
}

# Quick mode's settings, for DATN and for any baseline that has them.
_QUICK_ESTIMATOR = dict(
    hidden_layer_sizes=(32, 16), pretrain_epochs=5, finetune_epochs=5
)
_SVM_C = [0.1, 1.0, 10.0, 100.0]
#: DATN_plus: the settings in which DATNClassifierCV's defaults differ from
#: DATNClassifier's (the paper's), i.e. skdatn's extensions beyond the paper.
#: Every other DATN method keeps DATNClassifier's defaults: the paper's DATN.
EXTENSIONS = {
    k: v
    for k, v in DATNClassifierCV().get_params().items()
    if DATNClassifier().get_params().get(k, v) != v
}
#: Networks averaged by DATN and its variants (SeedEnsembleClassifier).
DEFAULT_NETWORKS = 5


@dataclass(frozen=True)
class Method:
    """A method of the benchmark: how to build it, what it fits on, its params."""

    name: str
    build: Callable[[dict, int], Any]
    fit_inputs: Callable[[Bunch], dict]
    transfer: bool = True
    baseline: bool = False
    #: Run when no methods are named (False: only when named in ``methods``).
    default: bool = True

    def describe(self, fitted) -> dict:
        if isinstance(fitted, SeedEnsembleClassifier):
            chosen = [self.describe(m) for m in fitted.estimators_]
            return {k: [c[k] for c in chosen] for k in chosen[0]} if chosen[0] else {}
        if isinstance(fitted, DATNClassifierCV):
            # variant: "DATN"/"DATN_sup", or "SSDAE" where the guard fell back.
            return {**_plain_dict(fitted.best_params_), "variant": fitted.variant_}
        if isinstance(fitted, GridSearchCV):
            return _plain_dict(fitted.best_params_)
        return {}


def _all_inputs(task: Bunch) -> dict:
    return dict(task.fit_params)


def _no_inputs(task: Bunch) -> dict:
    return {}


def _control_inputs(control: Callable[[Bunch, int], Bunch]):
    """DATN's fit inputs with the source made useless by ``control`` (seeded by
    the split's seed): see :mod:`skdatn.benchmark._controls`."""

    def fit_inputs(task: Bunch) -> dict:
        return dict(control(task, task.seed).fit_params)

    return fit_inputs


def _ensembled(build: Callable[[dict, int], Any]) -> Callable[[dict, int], Any]:
    """``build``, averaged over ``ctx["networks"]`` seeds when that is above 1."""

    def build_ensemble(ctx: dict, seed: int):
        estimator = build(ctx, seed)
        networks = ctx.get("networks", 1)
        if networks == 1:
            return estimator
        # A line per network: a five-network fit takes minutes.
        verbose = int(ctx.get("progress", False))
        return SeedEnsembleClassifier(
            estimator, networks, random_state=seed, verbose=verbose
        )

    return build_ensemble


def _datn_factory(**fixed) -> Callable[[dict, int], DATNClassifier]:
    def build(ctx: dict, seed: int) -> DATNClassifier:
        return DATNClassifier(**{**ctx["estimator_kwargs"], **fixed}, random_state=seed)

    return build


def _datn_cv_factory(**fixed) -> Callable[[dict, int], Any]:
    """DATN with α (and β unless ``fixed``) chosen by 5-fold CV over the grid."""

    def build(ctx: dict, seed: int):
        estimator = _datn_factory(**fixed)(ctx, seed)
        grid = GRIDS[ctx["grid"]]
        if grid is None:
            return estimator
        grid = {**grid, **{k: [v] for k, v in fixed.items()}}
        # The selection of GridSearchCV over the grid, with the pretraining shared.
        params = {
            k: v
            for k, v in estimator.get_params().items()
            if k not in ("alpha", "beta")
        }
        return DATNClassifierCV(
            alphas=grid["alpha"],
            betas=grid["beta"],
            cv=BalancedKFold(min(5, ctx["n_labeled"]), random_state=seed),
            scoring=held_out_log_loss,
            n_jobs=ctx["n_jobs"],
            **params,
        )

    return build


def _build_svm(ctx: dict, seed: int):
    pipe = make_pipeline(StandardScaler(with_mean=not ctx["sparse"]), SVC())
    return GridSearchCV(
        pipe,
        {"svc__C": _SVM_C},
        cv=BalancedKFold(min(5, ctx["n_labeled"]), random_state=seed),
    )


BUILTIN_METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        # The paper's DATN (the extensions beyond it off, as in DATNClassifier).
        Method("DATN", _ensembled(_datn_cv_factory()), _all_inputs),
        # DATNClassifierCV's defaults: DATN with skdatn's extensions.
        Method(
            "DATN_plus",
            _ensembled(_datn_cv_factory(**EXTENSIONS)),
            _all_inputs,
            default=False,
        ),
        Method("DATN_sup", _ensembled(_datn_cv_factory(beta=0.0)), _all_inputs),
        # A control shows a collapse (or the fallback), not a 0.02 difference:
        # DATN's full selection, one network.
        *(
            Method(name, _datn_cv_factory(), _control_inputs(control))
            for name, control in CONTROLS.items()
        ),
        Method(
            "DATN_unsup",
            _ensembled(_datn_factory(asymmetric=False)),
            _all_inputs,
        ),
        Method(
            "SSDAE",
            _ensembled(_datn_factory()),
            lambda task: {"X_unlabeled": task.fit_params["X_unlabeled"]},
            transfer=False,
        ),
        Method(
            "DNN",
            _ensembled(_datn_factory(recon_weight=0.0)),
            _no_inputs,
            transfer=False,
        ),
        Method("SVM", _build_svm, _no_inputs, transfer=False),
    )
}


def baseline_classes() -> dict[str, type]:
    """The transfer baselines the benchmark runs: ``skdatn.baselines.BASELINES``
    (benchmark name to class)."""
    return dict(BASELINES)


def _baseline_method(name: str, cls: type) -> Method:
    """A baseline of the benchmark: seeded, shrunk in quick mode, fitted on
    every transfer input (the baselines share DATNClassifier's fit signature)."""

    def build(ctx: dict, seed: int):
        params = cls().get_params()
        kwargs = {"random_state": seed} if "random_state" in params else {}
        if ctx.get("quick"):
            kwargs.update({k: v for k, v in _QUICK_ESTIMATOR.items() if k in params})
        return cls(**kwargs)

    return Method(name, build, _all_inputs, baseline=True)


def available_methods() -> dict[str, Method]:
    """The built-in methods followed by the baselines."""
    methods = dict(BUILTIN_METHODS)
    for name, cls in baseline_classes().items():
        if name not in methods:
            methods[name] = _baseline_method(name, cls)
    return methods


def resolve_methods(
    names: Sequence[str] | None, *, baselines: bool = True
) -> list[Method]:
    """Look the given method names up (case-insensitive).

    None means every method run by default (not ``DATN_plus``, DATN with
    skdatn's extensions beyond the paper as ``DATNClassifierCV`` has them by
    default, which runs when named), without the baselines when ``baselines``
    is False.
    """
    methods = available_methods()
    if names is None:
        return [
            m for m in methods.values() if m.default and (baselines or not m.baseline)
        ]
    lookup = {k.lower(): v for k, v in methods.items()}
    out = []
    for name in names:
        if name.lower() not in lookup:
            raise ValueError(
                f"Unknown method {name!r}; available methods: {list(methods)}."
            )
        out.append(lookup[name.lower()])
    return out


# -------------------------------------------------------------------------- runs


def _plain_dict(params: dict) -> dict:
    return {k: _plain(v) for k, v in params.items()}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


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
        tasks = (
            default_tasks()
            if tasks is None
            else [t if isinstance(t, TaskSpec) else parse_task(t) for t in tasks]
        )
        method_list = resolve_methods(methods, baselines=not quick)
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
            for seed in seeds:
                split = build_task(task, data, seed, **overrides)
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
                    row = _reused(done, bar, task, method.name, seed)
                    if row is None:
                        row = _run_one(method, split, ctx, seed, task, bar)
                        if overrides:
                            sized = {k: split.indices[k].size for k in _ROW_SIZES}
                            row["sizes"] = sized
                        if on_row is not None:
                            on_row(row)
                    rows.append(row)
        return rows


def row_key(row: dict) -> tuple:
    """What identifies a fit of a run: task, method, seed, and for the
    analyses their name and setting."""
    setting = row.get("setting")
    return (
        row["dataset"],
        row["source"],
        row["target"],
        row["method"],
        row["seed"],
        row.get("analysis"),
        None if setting is None else json.dumps(setting, sort_keys=True),
    )


def _done_row(done, task, method, seed, analysis=None, setting=None):
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
    }
    return done.get(row_key(probe))


def _report_done(bar, task, seed, row: dict) -> None:
    """Count a fit of an earlier run as done, with its accuracy."""
    accuracy = row.get("accuracy")
    shown = "failed" if accuracy is None else f"accuracy={accuracy:.3f}"
    bar(f"{task} seed={seed} {row['method']}: {shown} (done before)")


def _reused(done, bar, task, method, seed, analysis=None, setting=None):
    """The finished row of this fit in ``done`` (then counted as done), or None."""
    row = _done_row(done, task, method, seed, analysis, setting)
    if row is not None:
        _report_done(bar, task, seed, row)
    return row


#: The split sizes ``run_benchmark(sizes=...)`` may replace, and their
#: ``make_transfer_task`` names.
_SIZE_ARGS = {
    "pairs": "n_pairs",
    "source_labeled": "n_source_labeled",
    "source_unlabeled": "n_source_unlabeled",
    "target_unlabeled": "n_target_unlabeled",
    "test": "n_test",
    "target_labeled_per_class": "n_target_labeled_per_class",
}


def _check_sizes(sizes) -> dict:
    """``sizes`` as ``make_transfer_task`` keyword arguments, or a clear error."""
    if sizes is None:
        return {}
    if not isinstance(sizes, dict):
        raise ValueError(f"sizes must be a dict or None, got {type(sizes).__name__}.")
    out = {}
    for key, value in sizes.items():
        if key not in _SIZE_ARGS:
            raise ValueError(
                f"Unknown split size {key!r} in sizes; choose from {list(_SIZE_ARGS)}."
            )
        count = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        share = isinstance(value, (float, np.floating)) and 0.0 <= value <= 1.0
        if key == "target_labeled_per_class":
            ok = count and value >= 1
            need = "an int >= 1"
        else:
            ok = (count and value >= 0) or share
            need = (
                "an int >= 0 (a count) or a float in [0, 1] (a fraction of all items)"
            )
        if not ok:
            raise ValueError(f"sizes[{key!r}] must be {need}, got {value!r}.")
        out[_SIZE_ARGS[key]] = value
    return out


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


# ----------------------------------------------------------------------- table


def format_table(rows: Sequence[dict]) -> str:
    """Mean ± std accuracy over seeds (the mean alone for one seed): one line per
    method, one column per task."""
    main = [r for r in rows if r.get("analysis") is None]
    tasks: list[tuple[str, str, str]] = []
    methods: list[str] = []
    cells: dict[tuple, list[float]] = {}
    failed: dict[tuple, int] = {}
    for r in main:
        key = (r["dataset"], r["source"], r["target"])
        if key not in tasks:
            tasks.append(key)
        if r["method"] not in methods:
            methods.append(r["method"])
        if r["accuracy"] is None:
            failed[(key, r["method"])] = failed.get((key, r["method"]), 0) + 1
        else:
            cells.setdefault((key, r["method"]), []).append(r["accuracy"])
    if not tasks:
        return "(no results)"
    headers = [f"{d}:{s}>{t}" for d, s, t in tasks]
    n_seeds = len({r["seed"] for r in main})
    table = [["method", *headers]]
    for m in methods:
        line = [m]
        for key in tasks:
            accs = cells.get((key, m), [])
            if accs:
                text = f"{np.mean(accs):.3f}"
                if n_seeds > 1:
                    text += f" ± {np.std(accs):.3f}"
                if failed.get((key, m)):
                    text += f" ({failed[(key, m)]} failed)"
            elif failed.get((key, m)):
                text = "failed"
            else:
                text = "-"
            line.append(text)
        table.append(line)
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    title = (
        f"Target test accuracy, mean ± std over {n_seeds} seeds"
        if n_seeds > 1
        else "Target test accuracy (one seed)"
    )
    out = [
        title,
        "  ".join(h.ljust(w) for h, w in zip(table[0], widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    out += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True))
        for line in table[1:]
    ]
    return "\n".join(out)


# -------------------------------------------------------------------- analyses

ANALYSES = (
    "source_labels",
    "pairs",
    "source_unlabeled",
    "target_unlabeled",
    "sensitivity",
)
_FRACTIONS = (0.125, 0.25, 0.5, 1.0)
_LABEL_FRACTIONS = (0.0625, 0.125, 0.25, 0.5, 1.0)


def _sized(default: int, fractions: Sequence[float], minimum: int) -> list[int]:
    return sorted({max(minimum, int(round(default * f))) for f in fractions})


def _subsample_source_labels(split: Bunch, budget: int, seed: int) -> Bunch:
    """A copy of ``split`` keeping ``budget`` labelled source rows, stratified."""
    ys = np.asarray(split.X_source.y)
    labeled = (
        np.flatnonzero(ys != -1)
        if ys.dtype.kind in "iuf"
        else np.flatnonzero([v is not None for v in ys])
    )
    rng = check_random_state(seed)
    keep: list[int] = []
    classes = np.unique(ys[labeled])
    per_class = {c: rng.permutation(labeled[ys[labeled] == c]) for c in classes}
    # deal one row of each class in turn so every class keeps >= 1 row
    depth = 0
    while len(keep) < budget:
        added = False
        for c in classes:
            if depth < per_class[c].size and len(keep) < budget:
                keep.append(int(per_class[c][depth]))
                added = True
        if not added:
            break
        depth += 1
    unlabeled = np.setdiff1d(np.arange(ys.size), labeled)
    rows = np.concatenate([np.sort(np.asarray(keep, dtype=int)), unlabeled])
    out = Bunch(**split)
    out.X_source = Domain(split.X_source.X[rows], ys[rows])
    out.fit_params = {**split.fit_params, "X_source": out.X_source}
    return out


def run_analyses(
    task: TaskSpec | str,
    seeds: Sequence[int] = (0,),
    *,
    analyses: Sequence[str] = ANALYSES,
    methods: Sequence[str] | None = None,
    data_dir=None,
    quick: bool = False,
    threads: int | None = 1,
    progress: TextIO | bool | None = True,
    on_row: Callable[[dict], None] | None = None,
    done: dict | None = None,
) -> list[dict]:
    """Run the paper's analyses (Figures 3-6) on one task.

    ``source_labels`` (Fig. 3): DATN_sup, DNN and the WSDTN/CDLS baselines when
    the labelled source rows shrink; ``source_accuracy`` is that of a DNN trained
    on the labelled source rows (on the source view of the test items).
    ``pairs`` (Fig. 4): transfer methods against the number of pairs.
    ``source_unlabeled`` (Fig. 5): DATN, DATN_sup and DATN_plus (DATN with
    skdatn's extensions beyond the paper) against the unlabelled source size;
    ``target_unlabeled`` (beyond the paper): the same against the unlabelled
    target size. ``sensitivity`` (Fig. 6): DATN over the paper's α×β grid
    (a 2×2 grid when ``quick``), from one search per seed that pretrains once
    and tests every (α, β) on the test rows (each score equals that of a
    ``DATNClassifier(alpha=α, beta=β)`` fit). DATN and DATN_plus use α=2,
    β=1 except in ``sensitivity``.

    Parameters
    ----------
    task : TaskSpec or str
        The task, e.g. ``"mfeat:fac>fou"``.
    seeds : sequence of int, default=(0,)
        Seeds of the splits and the models.
    analyses : sequence of str, default=ANALYSES
        Which of ``source_labels``, ``pairs``, ``source_unlabeled``,
        ``target_unlabeled``, ``sensitivity`` to run.
    methods : sequence of str, default=None
        Keep only these methods in the sweeps (None: the paper's choice above).
    data_dir : str or path-like, default=None
        Folder of the external data sets.
    quick : bool, default=False
        Smoke configuration (tiny networks, 5 epochs, 2×2 sensitivity grid).
    threads : int or None, default=1
        Torch threads during the run, as in :func:`run_benchmark`.
    progress : text stream, bool or None, default=True
        Where progress lines go (True: ``sys.stderr``).
    on_row, done : callable, dict or None, default=None
        As in :func:`run_benchmark`: each new row as it comes, the rows of an
        earlier run to reuse.

    Returns
    -------
    rows : list of dict
        Rows as :func:`run_benchmark`'s plus ``analysis`` and ``setting``.
    """
    with torch_threads(threads):
        return _run_analyses(
            task, seeds, analyses, methods, data_dir, quick, progress, on_row, done
        )


def _analysis_plans(keep: Sequence[str] | None) -> dict[str, list[Method]]:
    """The methods of each swept analysis (the paper's choice, or those of
    ``keep`` among them). DATN and DATN_plus are single fits at α=2, β=1."""
    methods = available_methods()
    datn = Method("DATN", _datn_factory(), _all_inputs)
    plus = Method("DATN_plus", _datn_factory(**EXTENSIONS), _all_inputs)
    baselines = [m for m in methods.values() if m.baseline]
    plans = {
        "source_labels": [methods["DATN_sup"], methods["DNN"]]
        + [m for m in baselines if m.name in ("WSDTN", "CDLS")],
        "pairs": [datn, methods["DATN_sup"], methods["DATN_unsup"]] + baselines,
        "source_unlabeled": [datn, methods["DATN_sup"], plus],
        "target_unlabeled": [datn, methods["DATN_sup"], plus],
    }
    if keep is not None:
        wanted = {m.name for m in resolve_methods(keep)}
        plans = {k: [m for m in v if m.name in wanted] for k, v in plans.items()}
    return plans


def _analysis_sweeps(base: Bunch) -> dict[str, list[tuple[str, int]]]:
    """The (setting, value) points of each swept analysis: fractions of the
    data set's sizes in ``base``, a split with the default sizes."""
    sizes = {k: base.indices[k].size for k in _SIZE_KEYS}
    n_classes = np.unique(base.y).size
    n_source_labels = int(np.sum(np.asarray(base.X_source.y) != -1))
    return {
        "pairs": [("n_pairs", n) for n in _sized(sizes["pairs"], _FRACTIONS, 2)],
        **{
            f"{side}_unlabeled": [
                (f"n_{side}_unlabeled", n)
                for n in _sized(sizes[f"{side}_unlabeled"], _FRACTIONS, 2)
            ]
            for side in ("source", "target")
        },
        "source_labels": [
            ("source_labels", n)
            for n in _sized(n_source_labels, _LABEL_FRACTIONS, 2 * n_classes)
        ],
    }


def _run_analyses(
    task, seeds, analyses, keep, data_dir, quick, progress, on_row=None, done=None
):
    task = task if isinstance(task, TaskSpec) else parse_task(task)
    seeds = _check_seeds(seeds)
    unknown = [a for a in analyses if a not in ANALYSES]
    if unknown:
        raise ValueError(f"Unknown analyses {unknown}; choose from {list(ANALYSES)}.")
    data = _DataCache(data_dir).get(task.dataset)
    plans = _analysis_plans(keep)
    grid = GRIDS["quick" if quick else "paper"]
    sens = [
        {"alpha": a, "beta": b}
        for a in grid["alpha"]
        for b in ([0.5, 2.0] if quick else grid["beta"])
    ]
    sweeps = _analysis_sweeps(build_task(task, data, 0))
    total = len(seeds) * sum(
        1  # one search per seed
        if a == "sensitivity"
        else len(sweeps[a]) * (len(plans[a]) + (a == "source_labels"))
        for a in analyses
    )
    bar = _Progress(total, progress)
    bar.note(
        f"Analyses of {task} (the paper's Figures 3-6): {', '.join(analyses)}; "
        f"{total} fits"
    )
    rows = []
    for seed in seeds:
        split = build_task(task, data, seed)
        ctx = _context(task, split, "none", quick, None)
        for analysis in analyses:
            if analysis == "sensitivity":
                run = functools.partial(_sensitivity, split, ctx, seed, task, sens, bar)
                points = [(["DATN"] * len(sens), sens, run)]
            else:
                names = [m.name for m in plans[analysis]]
                points = [
                    (
                        names,
                        [{key: value}] * len(names),
                        functools.partial(
                            _sweep_point,
                            plans[analysis],
                            task,
                            data,
                            split,
                            ctx,
                            seed,
                            {key: value},
                            bar,
                        ),
                    )
                    for key, value in sweeps[analysis]
                ]
            for names, settings, run in points:
                before = [
                    _done_row(done, task, name, seed, analysis, setting)
                    for name, setting in zip(names, settings, strict=True)
                ]
                reused = all(row is not None for row in before)
                if reused:
                    _report_reused(bar, task, seed, analysis, settings[0], before)
                else:
                    before = run()
                for row in before:
                    row["analysis"] = analysis
                    if not reused and on_row is not None:
                        on_row(row)
                    rows.append(row)
    return rows


def _report_reused(bar, task, seed, analysis, setting, rows) -> None:
    """Count the fits of one point done before (a source DNN and each method's;
    the sensitivity search as one)."""
    if analysis == "sensitivity":
        bar(f"{task} seed={seed} DATN sensitivity (done before)")
        return
    if "source_labels" in setting:
        bar(f"{task} seed={seed} source DNN (done before)")
    for row in rows:
        _report_done(bar, task, seed, row)


def _sweep_point(methods, task, data, split, ctx, seed, setting, bar) -> list[dict]:
    """The rows of every method at one point of a sweep: the split with that
    size (or with that many labelled source rows, and the source DNN's
    accuracy on them)."""
    ((key, value),) = setting.items()
    if key == "source_labels":
        sub = _subsample_source_labels(split, value, seed)
        src_acc = _source_accuracy(sub, ctx, seed, task, bar)
    else:
        sub = build_task(task, data, seed, **setting)
        src_acc = None
    rows = []
    for m in methods:
        row = _run_one(m, sub, ctx, seed, task, bar, extra=setting)
        row["setting"] = setting
        if src_acc is not None:
            row["source_accuracy"] = src_acc
        rows.append(row)
    return rows


def _sensitivity(split: Bunch, ctx: dict, seed: int, task, settings, bar) -> list:
    """DATN's rows at every (α, β) of ``settings`` (a full grid) on one split.

    One DATNClassifierCV search whose only fold trains on the labelled target
    rows and tests on the test rows: it pretrains once per beta group instead
    of once per point, and each fold score equals the test accuracy of a
    ``DATNClassifier(alpha=α, beta=β)`` fit with the same settings (its
    refit, on training and test rows, is not used). ``fit_seconds`` is each
    point's fine-tuning.
    """
    alphas = sorted({s["alpha"] for s in settings})
    betas = sorted({s["beta"] for s in settings})
    n_train, n_test = split.X.shape[0], split.X_test.shape[0]
    stack = sp.vstack if sp.issparse(split.X) else np.vstack
    params = _datn_factory()(ctx, seed).get_params()
    del params["alpha"], params["beta"]
    search = DATNClassifierCV(
        alphas,
        betas,
        cv=[(np.arange(n_train), np.arange(n_train, n_train + n_test))],
        scoring="accuracy",
        fallback=False,
        **params,
    )
    start = time.perf_counter()
    try:
        search.fit(
            stack([split.X, split.X_test]),
            np.concatenate([np.asarray(split.y), np.asarray(split.y_test)]),
            **split.fit_params,
        )
    except Exception as exc:  # noqa: BLE001 - one failing fit must not stop the run
        error = f"{type(exc).__name__}: {exc}"
        bar(f"{task} seed={seed} DATN sensitivity: FAILED ({error})")
        rows = [_row(task, "DATN", seed, None, 0.0, {}) for _ in settings]
        for row, setting in zip(rows, settings, strict=True):
            row.update(error=error, setting=setting)
        return rows
    bar(
        f"{task} seed={seed} DATN sensitivity: {len(settings)} points "
        f"({time.perf_counter() - start:.1f}s)"
    )
    results = search.cv_results_
    at = {(p["alpha"], p["beta"]): i for i, p in enumerate(results["params"])}
    rows = []
    for setting in settings:
        i = at[setting["alpha"], setting["beta"]]
        row = _row(
            task,
            "DATN",
            seed,
            float(results["split0_test_score"][i]),
            results["mean_fit_time"][i],
            dict(setting),
        )
        row["setting"] = setting
        rows.append(row)
    return rows


def _source_accuracy(split: Bunch, ctx: dict, seed: int, task, bar) -> float | None:
    """Accuracy of a DNN trained on the labelled source rows, on source test rows."""
    ys = np.asarray(split.X_source.y)
    mask = ys != -1 if ys.dtype.kind in "iuf" else np.array([v is not None for v in ys])
    clf = DATNClassifier(
        **{**ctx["estimator_kwargs"], "recon_weight": 0.0}, random_state=seed
    )
    try:
        clf.fit(split.X_source.X[mask], ys[mask])
        acc = float(np.mean(clf.predict(split.X_test_source) == split.y_test))
    except Exception as exc:  # noqa: BLE001
        bar(f"{task} seed={seed} source DNN: FAILED ({exc})")
        return None
    bar(f"{task} seed={seed} source DNN ({int(mask.sum())} labels): accuracy={acc:.3f}")
    return acc


def summarize(values: Iterable[float | None]) -> tuple[float, float]:
    """Mean and std of the non-missing values (nan, nan when there are none)."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return math.nan, math.nan
    return float(np.mean(vals)), float(np.std(vals))


__all__ = [
    "ANALYSES",
    "DATASETS",
    "GRIDS",
    "DatasetSpec",
    "Method",
    "TaskSpec",
    "available_methods",
    "build_task",
    "default_tasks",
    "baseline_classes",
    "fit_and_score",
    "format_table",
    "parse_task",
    "resolve_methods",
    "run_analyses",
    "run_benchmark",
]
