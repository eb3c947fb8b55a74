"""The paper's analyses (Figures 3-6): sweeps of one split size or setting per task and seed."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import TextIO

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch, check_random_state

from .. import PAPER_SETTINGS, DATNClassifier, DATNClassifierCV, Domain
from ._controls import degrade_source
from ._methods import (
    ANALYSIS_ALPHA,
    GRIDS,
    Method,
    _all_inputs,
    _datn_factory,
    available_methods,
    resolve_methods,
)
from ._runner import (
    _check_seeds,
    _context,
    _done_row,
    _Progress,
    _report_done,
    _row,
    _run_one,
    torch_threads,
)
from ._tasks import _SIZE_KEYS, TaskSpec, _DataCache, build_task, parse_task

ANALYSES = (
    "source_labels",
    "pairs",
    "source_unlabeled",
    "target_unlabeled",
    "sensitivity",
    "source_quality",
)
#: The share of noise in the source rows at the points of ``source_quality``
#: (0: the real source, 1: ``noise_source``'s).
SOURCE_NOISE_LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)
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
    β=1 except in ``sensitivity`` and ``source_quality``.
    ``source_quality`` (beyond the paper): DATN_plus (the benchmark's, with
    ``DATNClassifierCV``'s search, one network) and the target-only SSDAE and
    SVM when the source rows are mixed with noise at the levels
    ``SOURCE_NOISE_LEVELS``, from 0 (the real source) to 1 (the noise of the
    ``NoiseSource`` control); see :func:`~skdatn.benchmark._controls.degrade_source`.
    The target-only methods do not depend on the level: they run at each
    level all the same.

    Parameters
    ----------
    task : TaskSpec or str
        The task, e.g. ``"mfeat:fac>fou"``.
    seeds : sequence of int, default=(0,)
        Seeds of the splits and the models.
    analyses : sequence of str, default=ANALYSES
        Which of ``source_labels``, ``pairs``, ``source_unlabeled``,
        ``target_unlabeled``, ``sensitivity``, ``source_quality`` to run.
    methods : sequence of str, default=None
        Keep only these methods in the sweeps (None: the paper's choice above).
    data_dir : str or path-like, default=None
        Folder of the external data sets.
    quick : bool, default=False
        Smoke configuration (tiny networks, 5 epochs, 2×2 sensitivity grid,
        the ``quick`` α/β grid in ``source_quality``).
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
    ``keep`` among them). DATN and DATN_plus are single fits at the paper's
    α=2, β=1 (``ANALYSIS_ALPHA``), DATN without skdatn's extensions, except
    in ``source_quality``: there DATN_plus is the benchmark's, with the search
    of ``DATNClassifierCV``'s defaults (``quick``: the quick grid), one network."""
    methods = available_methods()
    searched = methods["DATN_plus"].build

    def build_searched(ctx: dict, seed: int):
        grid = "quick" if ctx.get("quick") else "small"
        return searched({**ctx, "grid": grid, "networks": 1}, seed)

    datn = Method(
        "DATN",
        _datn_factory(**PAPER_SETTINGS, alpha=ANALYSIS_ALPHA),
        _all_inputs,
    )
    plus = Method("DATN_plus", _datn_factory(alpha=ANALYSIS_ALPHA), _all_inputs)
    baselines = [m for m in methods.values() if m.baseline]
    plans = {
        "source_labels": [methods["DATN_sup"], methods["DNN"]]
        + [m for m in baselines if m.name in ("WSDTN", "CDLS")],
        "pairs": [datn, methods["DATN_sup"], methods["DATN_unsup"]] + baselines,
        "source_unlabeled": [datn, methods["DATN_sup"], plus],
        "target_unlabeled": [datn, methods["DATN_sup"], plus],
        "source_quality": [
            Method("DATN_plus", build_searched, _all_inputs),
            methods["SSDAE"],
            methods["SVM"],
        ],
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
        "source_quality": [("source_noise", level) for level in SOURCE_NOISE_LEVELS],
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
                search = functools.partial(
                    _sensitivity, split, ctx, seed, task, sens, bar
                )
                run = functools.partial(_picked, search)
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
                # Run only the fits of this point not done before (their rows
                # come in the order of ``todo``), and keep the others' rows.
                todo = [i for i, row in enumerate(before) if row is None]
                _report_reused(bar, task, seed, analysis, settings[0], before, todo)
                fresh = dict(zip(todo, run(todo) if todo else [], strict=True))
                for i, row in enumerate(before):
                    row = fresh.get(i, row)
                    row["analysis"] = analysis
                    if i in fresh and on_row is not None:
                        on_row(row)
                    rows.append(row)
    return rows


def _picked(run_all, todo: list[int]) -> list[dict]:
    """The rows ``todo`` of ``run_all()``, which gives every row of a point at once
    (the sensitivity search): it runs again whole for the missing ones."""
    rows = run_all()
    return [rows[i] for i in todo]


def _report_reused(bar, task, seed, analysis, setting, rows, todo) -> None:
    """Count the fits of one point done before: each method's, and the source
    DNN and the sensitivity search (one fit each) unless they run again for
    the fits in ``todo``."""
    if analysis == "sensitivity":
        if not todo:
            bar(f"{task} seed={seed} DATN sensitivity (done before)")
        return
    if "source_labels" in setting and not todo:
        bar(f"{task} seed={seed} source DNN (done before)")
    for row in rows:
        if row is not None:
            _report_done(bar, task, seed, row)


def _sweep_point(
    methods, task, data, split, ctx, seed, setting, bar, todo
) -> list[dict]:
    """The rows of the methods ``todo`` (indices into ``methods``) at one point
    of a sweep: the split with that size (or with that many labelled source
    rows, and the source DNN's accuracy on them; or with its source mixed with
    that share of noise)."""
    ((key, value),) = setting.items()
    src_acc = None
    if key == "source_labels":
        sub = _subsample_source_labels(split, value, seed)
        src_acc = _source_accuracy(sub, ctx, seed, task, bar)
    elif key == "source_noise":
        sub = degrade_source(split, seed, value)
    else:
        sub = build_task(task, data, seed, **setting)
    rows = []
    for m in [methods[i] for i in todo]:
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
    params = _datn_factory(**PAPER_SETTINGS)(ctx, seed).get_params()
    del params["alpha"], params["beta"]
    search = DATNClassifierCV(
        alphas=alphas,
        betas=betas,
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
