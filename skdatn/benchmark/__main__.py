"""Command line of the benchmark: ``python -m skdatn.benchmark`` / ``skdatn-benchmark``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from .. import DATNClassifier
from ._analyses import ANALYSES, run_analyses
from ._methods import GRIDS, available_methods, resolve_methods
from ._runner import row_key, run_benchmark, torch_threads
from ._summary import format_analyses, format_table
from ._tasks import (
    _SIZE_ARGS,
    DATASETS,
    DEFAULT_DATASETS,
    UNPAIRED_TASKS,
    _check_sizes,
    default_tasks,
    parse_task,
)

#: Where the result rows go by default (relative to the current folder).
DEFAULT_OUT = "skdatn-benchmark.json"

#: The estimator's defaults, for --grid none.
_DEFAULTS = DATNClassifier().get_params()


def _split_list(values: Sequence[str] | None) -> list[str] | None:
    """Accept both ``--x a b`` and ``--x a,b``."""
    if values is None:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the benchmark command."""
    parser = argparse.ArgumentParser(
        prog="python -m skdatn.benchmark",
        description=(
            "Benchmark DATN and the baselines on heterogeneous transfer tasks "
            "(the paper's Table 4 protocol). With no arguments: the three mfeat "
            "development tasks (embedded data), one seed, one torch thread per "
            "process; a progress line per fit."
        ),
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        metavar="NAME",
        help=f"data sets whose default tasks to run (default: mfeat); one of "
        f"{sorted(DATASETS)}",
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        metavar="TASK",
        help="tasks like mfeat:fac>fou (quote the '>' in a shell); overrides --datasets",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help="methods to run (default: all but DATN_plus, DATN with skdatn's "
        "extensions beyond the paper as DATNClassifierCV has them by default, "
        "and the noise controls NoiseSource_plus and NoiseSource_<baseline>, which "
        f"run when named or with --unpaired; DATN is the paper's): "
        f"{', '.join(available_methods())}",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[0],
        metavar="SEED",
        help="seeds of the splits and models (default: 0)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder of the external data sets (default: $SKDATN_DATA_DIR or "
        "../shared/data); mfeat is embedded",
    )
    parser.add_argument(
        "--grid",
        choices=list(GRIDS),
        default=None,
        help="alpha/beta grid of DATN's 5-fold CV: small (default, alpha in "
        "{0.25,0.5,1}, beta in {0,1}; held-out log-loss), paper ({0,0.5,1,2,5,10}^2, slow), "
        "quick, none (DATNClassifier's defaults, "
        f"alpha={_DEFAULTS['alpha']:g}, beta={_DEFAULTS['beta']:g})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="seconds-long smoke run: first default task, tiny networks, 5 epochs, "
        "quick grid; baselines only when named in --methods",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        default=DEFAULT_OUT,
        help=f"JSON file of the result rows, written after every fit (default: "
        f"{DEFAULT_OUT} in the current folder); a rerun of the same command "
        f"resumes from it, skipping the fits it holds",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="ignore the rows already in --out and run every fit again",
    )
    parser.add_argument(
        "--plots",
        metavar="DIR",
        help="also run the analyses (Figures 3-6, and beyond them the source "
        "quality sweep) on the first task and save "
        "their figures in DIR (needs matplotlib: pip install matplotlib)",
    )
    parser.add_argument(
        "--analyses",
        nargs="+",
        metavar="NAME",
        help=f"analyses to run with --plots (default: all): {', '.join(ANALYSES)}",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="parallel jobs of DATN's grid search (default: 1)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per process (default: 1, the fastest for these small "
        "networks, and safe when other processes share the cores)",
    )
    parser.add_argument(
        "--networks",
        type=int,
        default=None,
        help="networks averaged by DATN and its variants (default: 5, 1 with "
        "--quick); 1 fits single networks",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        metavar="KEY=VALUE",
        help="split sizes that replace the data sets' own for every task, e.g. "
        "pairs=0.05 target_unlabeled=0.3 (an int is a count, a float a fraction of "
        f"all items; the --plots analyses keep their own); keys: "
        f"{', '.join(_SIZE_ARGS)}",
    )
    parser.add_argument(
        "--unpaired",
        action="store_true",
        help="the unpaired protocol: every task's pairs withheld; default tasks the "
        f"unpaired development tasks ({', '.join(UNPAIRED_TASKS)}), default "
        "methods those that need no pairs ("
        f"{', '.join(m.name for m in resolve_methods(None, unpaired=True))})",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress lines on stderr"
    )
    return parser


def _parse_sizes(items: Sequence[str] | None) -> dict | None:
    """``["pairs=100", "test=0.25"]`` as ``{"pairs": 100, "test": 0.25}``."""
    if not items:
        return None
    sizes = {}
    for item in _split_list(items):
        key, sep, text = item.partition("=")
        try:
            value = int(text) if text.strip().lstrip("+").isdigit() else float(text)
        except ValueError:
            value = None
        if not sep or not key.strip() or value is None:
            raise ValueError(
                f"--sizes takes KEY=VALUE items with a number as VALUE, e.g. "
                f"pairs=100 or test=0.25; got {item!r}."
            )
        sizes[key.strip()] = value
    return sizes


class _Results:
    """The result rows in ``path``, rewritten whole after every new row (a
    stopped run keeps what it finished); rows of an earlier run with the same
    settings (``run``) are reused."""

    def __init__(self, path: Path, run: dict, restart: bool) -> None:
        self.path, self.run = path, run
        self.rows: list[dict] = []
        if path.exists() and not restart:
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise ValueError(
                    f"--out {path} exists but is not a results file of this "
                    f"benchmark ({exc}); pass --restart to overwrite it or another --out."
                ) from exc
            other = [r for r in old if r.get("run") != run]
            if other:
                raise ValueError(
                    f"--out {path} holds results of other settings "
                    f"({other[0].get('run')}, this run: {run}); pass --restart to "
                    f"overwrite it or another --out to keep both."
                )
            self.rows = [r for r in old if not r.get("error")]
        self.done = {row_key(r): r for r in self.rows}

    def add(self, row: dict) -> None:
        row["run"] = self.run
        self.rows.append(row)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.rows, indent=1))
        tmp.replace(self.path)


def _run(args, tasks, methods, analyses, grid, progress, results) -> list[dict]:
    rows = run_benchmark(
        tasks,
        methods,
        args.seeds,
        data_dir=args.data_dir,
        grid=grid,
        quick=args.quick,
        n_jobs=args.n_jobs,
        threads=args.threads,
        networks=args.networks,
        sizes=_parse_sizes(args.sizes),
        unpaired=args.unpaired,
        progress=progress,
        on_row=results.add,
        done=results.done,
    )
    if args.plots:
        rows += run_analyses(
            tasks[0],
            args.seeds,
            analyses=analyses,
            methods=methods,
            data_dir=args.data_dir,
            quick=args.quick,
            progress=progress,
            on_row=results.add,
            done=results.done,
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    progress = None if args.quiet else sys.stderr
    try:
        if args.tasks:
            tasks = [parse_task(t) for t in _split_list(args.tasks)]
        elif args.unpaired and not args.datasets:
            tasks = [parse_task(t) for t in UNPAIRED_TASKS]
            if args.quick:
                tasks = tasks[:1]
        else:
            names = _split_list(args.datasets) or list(DEFAULT_DATASETS)
            tasks = default_tasks([n.lower() for n in names])
            if args.quick:
                tasks = tasks[:1]
        methods = _split_list(args.methods)
        analyses = _split_list(args.analyses) or list(ANALYSES)
        grid = args.grid or ("quick" if args.quick else "small")
        if args.plots:  # fail before the long run when matplotlib is missing
            from ._plots import require_matplotlib

            require_matplotlib()
        sizes = _parse_sizes(args.sizes)
        _check_sizes(sizes)  # before the results file: a typo is not other settings
        run = {
            "grid": grid,
            "networks": args.networks,
            "quick": args.quick,
            "sizes": sizes,
        }
        if args.unpaired:  # (a key of its own: earlier files' settings unchanged)
            run["unpaired"] = True
        out = Path(args.out).resolve()
        results = _Results(out, run, args.restart)
        if progress:
            print(
                f"skdatn benchmark: {len(tasks)} task(s), seeds {args.seeds}, "
                f"{args.threads} torch thread(s) per process ({os.cpu_count()} "
                f"cores here; --threads); results in {out}, saved after every fit"
                + (
                    f" ({len(results.rows)} fits already there are not run again; "
                    f"--restart to run them)"
                    if results.rows
                    else ""
                ),
                file=progress,
                flush=True,
            )
        start = time.perf_counter()
        # The benchmark runs fixed settings and reports accuracy: a pretraining
        # that stops at its epoch limit is part of those settings, not news.
        with torch_threads(args.threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            rows = _run(args, tasks, methods, analyses, grid, progress, results)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    print(format_table(rows))
    if any(r.get("analysis") for r in rows):
        print()
        print(format_analyses(rows))
    footer = f"wall time {time.perf_counter() - start:.0f}s; rows in {out}"
    if any(r["method"] == "DATN" and r.get("analysis") is None for r in rows):
        footer = f"DATN grid: {grid} {GRIDS[grid]}; " + footer
    print(footer)
    if args.plots:
        from ._plots import plot_analyses

        for path in plot_analyses(rows, args.plots):
            if progress:
                print(f"wrote {path}", file=progress)
    failed = [r for r in rows if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
