"""The benchmark of the paper's protocol: ``python -m skdatn.benchmark``.

Runs DATN, its variants (DATN_sup, DATN_unsup), the controls NoiseSource and
ShuffledPairs (DATN on a useless source), the target-only SSDAE, DNN and
SVM, and every baseline of ``skdatn.baselines``, on transfer tasks cut by
:func:`skdatn.datasets.make_transfer_task`, and prints a table like the paper's
Table 4. ``--plots DIR`` adds the paper's analyses (Figures 3-6).
"""

from ._analyses import ANALYSES, run_analyses
from ._methods import GRIDS, available_methods, baseline_classes
from ._runner import run_benchmark
from ._summary import format_table
from ._tasks import DATASETS, TaskSpec, build_task, default_tasks, parse_task

__all__ = [
    "ANALYSES",
    "DATASETS",
    "GRIDS",
    "TaskSpec",
    "available_methods",
    "build_task",
    "default_tasks",
    "baseline_classes",
    "format_table",
    "parse_task",
    "plot_analyses",
    "run_analyses",
    "run_benchmark",
]


def plot_analyses(rows, out_dir):
    """Draw the analyses' figures (needs matplotlib); see ``_plots.plot_analyses``."""
    from ._plots import plot_analyses as _plot

    return _plot(rows, out_dir)
