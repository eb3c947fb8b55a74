"""The benchmark page's result tables and plots, read from the committed result files.

Sphinx extension. ``.. results-table:: benchmark/dev_reuters.json`` renders, from the
rows of a result file of ``python -m skdatn.benchmark``, the mean ± standard deviation
over seeds of each method on each task (the best of a task in bold), and
``.. results-plot:: benchmark/dev_reuters.json`` the same figures as a plot, one panel
per task. ``.. controls-table:: benchmark/dev_controls.json`` renders the controls'
table from the rows of the controls' script (``task``, ``seed``, ``cond``, ``acc``,
``acc_transfer``, ``variant``), with the rows of further methods from benchmark result
files named in its ``:extra:`` option; ``.. pivot-table::`` a file's rows as a task ×
setting table; ``.. analysis-table:: benchmark/figures_mfeat.json`` with
``:analysis: pairs`` the table that ``python -m skdatn.benchmark --plots`` prints for
one of the paper's analyses (Figures 3-6). A figure of the benchmark is thus typed
nowhere: it changes with its file.
"""

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from docutils import nodes  # noqa: E402
from docutils.parsers.rst import Directive, directives  # noqa: E402

from skdatn.benchmark._summary import format_analyses, mean_and_error  # noqa: E402

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "_figures"


def _summary(path: Path, methods=None):
    """{task: {method: [accuracies over seeds]}}, tasks and methods in file order."""
    rows = [r for r in json.loads(path.read_text()) if not r.get("error")]
    rows = [r for r in rows if not r.get("analysis")]
    out: dict = {}
    for r in rows:
        if methods and r["method"] not in methods:
            continue
        task = f"{r['dataset']} {r['source']}→{r['target']}"
        out.setdefault(task, {}).setdefault(r["method"], []).append(r["accuracy"])
    return out


def _methods(option):
    return option.split() if option else None


class ResultsTable(Directive):
    """``:methods:`` keeps the named methods; ``:mean:`` adds a column with each
    method's mean over the tasks (of its means over the seeds; a method missing
    from a task gets none)."""

    required_arguments = 1
    option_spec = {"methods": directives.unchanged, "mean": directives.flag}

    def run(self):
        summary = _summary(
            DOCS / self.arguments[0], _methods(self.options.get("methods"))
        )
        self.state.document.settings.env.note_dependency(str(DOCS / self.arguments[0]))
        tasks = list(summary)
        methods = list(dict.fromkeys(m for t in tasks for m in summary[t]))
        mean = "mean" in self.options
        best = {t: max(np.mean(v) for v in summary[t].values()) for t in tasks}
        lines = []
        for m in methods:
            cells = [m]
            for t in tasks:
                values = summary[t].get(m)
                if values is None:
                    cells.append("")
                    continue
                text = f"{np.mean(values):.3f} ± {np.std(values):.3f}"
                cells.append((text, np.isclose(np.mean(values), best[t])))
            if mean:
                means = [np.mean(summary[t][m]) for t in tasks if m in summary[t]]
                cells.append(
                    f"{np.mean(means):.3f}" if len(means) == len(tasks) else ""
                )
            lines.append(cells)
        header = ["method", *tasks] + ([f"mean of {len(tasks)}"] if mean else [])
        return [_table(header, lines)]


def _row(cells):
    """A table row of ``cells``; a cell ``(text, True)`` is bold."""
    row = nodes.row()
    for cell in cells:
        bold = False
        if isinstance(cell, tuple):
            cell, bold = cell
        entry = nodes.entry()
        paragraph = nodes.paragraph()
        paragraph += nodes.strong(text=cell) if bold else nodes.Text(cell)
        entry += paragraph
        row += entry
    return row


class ResultsPlot(Directive):
    required_arguments = 1
    option_spec = {"methods": directives.unchanged, "alt": directives.unchanged}

    def run(self):
        source = DOCS / self.arguments[0]
        summary = _summary(source, _methods(self.options.get("methods")))
        OUT.mkdir(exist_ok=True)
        name = f"results_{source.stem}.png"
        _plot(summary, OUT / name)
        image = nodes.image(
            uri=f"/_figures/{name}",
            alt=self.options.get("alt", f"Accuracy per method, {source.stem}"),
        )
        self.state.document.settings.env.note_dependency(str(source))
        return [image]


def _plot(summary: dict, path: Path) -> None:
    tasks = list(summary)
    fig, axes = plt.subplots(
        1, len(tasks), figsize=(2.6 * len(tasks) + 1.2, 3.2), sharey=True, squeeze=False
    )
    methods = list(dict.fromkeys(m for t in tasks for m in summary[t]))
    y = np.arange(len(methods))
    for ax, task in zip(axes[0], tasks, strict=True):
        means = [np.mean(summary[task].get(m, [np.nan])) for m in methods]
        stds = [np.std(summary[task].get(m, [np.nan])) for m in methods]
        colors = ["#3182bd" if m.startswith("DATN") else "#bdbdbd" for m in methods]
        ax.barh(y, means, xerr=stds, color=colors, capsize=2)
        ax.set_title(task, fontsize=9)
        ax.set_xlabel("test accuracy", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0][0].set_yticks(y, methods)
    axes[0][0].invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _mean_std(values) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}" if values else "-"


#: The controls table's rows: label, the rows' ``cond``, the accuracy field.
_CONTROL_ROWS = (
    ("DATN (real source)", "real", "acc"),
    ("↳ without guard", "real", "acc_transfer"),
    ("NoiseSource", "noise", "acc"),
    ("↳ without guard", "noise", "acc_transfer"),
    ("ShuffledPairs", "shuffled", "acc"),
    ("↳ without guard", "shuffled", "acc_transfer"),
)


class ControlsTable(Directive):
    """The controls' rows, the rows of ``:extra:`` methods, the target-only SVC
    (``cond == "svc"``) and the number of splits each fitted model fell back on."""

    required_arguments = 1
    option_spec = {"extra": directives.unchanged}

    def run(self):
        env = self.state.document.settings.env
        path = DOCS / self.arguments[0]
        env.note_dependency(str(path))
        rows = json.loads(path.read_text())
        tasks = list(dict.fromkeys(r["task"] for r in rows))
        lines = []
        for label, cond, field in _CONTROL_ROWS:
            cells = [label]
            for task in tasks:
                values = [
                    r[field] for r in rows if (r["task"], r["cond"]) == (task, cond)
                ]
                cells.append(_mean_std(values))
            lines.append(cells)
        extra = (self.options.get("extra") or "").split()
        for name, method in zip(extra[::2], extra[1::2], strict=True):
            env.note_dependency(str(DOCS / name))
            summary = _summary(DOCS / name, [method])
            lines.append(
                [method]
                + [
                    _mean_std(summary.get(_as_summary_task(t), {}).get(method))
                    for t in tasks
                ]
            )
        lines.append(
            ["SVM"]
            + [
                _mean_std(
                    [r["acc"] for r in rows if (r["task"], r["cond"]) == (t, "svc")]
                )
                for t in tasks
            ]
        )
        fallbacks = ["fallbacks real/noise/shuffled"]
        for task in tasks:
            counts = []
            for cond in ("real", "noise", "shuffled"):
                fits = [r for r in rows if (r["task"], r["cond"]) == (task, cond)]
                fell = sum(r["variant"] == "SSDAE" for r in fits)
                counts.append(f"{fell}/{len(fits)}")
            fallbacks.append(" ".join(counts))
        lines.append(fallbacks)
        header = ["method", *(t.replace(">", "→") for t in tasks)]
        return [_table(header, lines)]


class PivotTable(Directive):
    """Rows of a result file as a task × setting table: the mean ± standard error
    over seeds of ``accuracy`` for each ``task`` and each value of ``:key:``, and a
    last row with the mean over all rows of each setting.

    ``:columns:`` lists the settings, ``value=heading`` separated by ``;``.
    """

    required_arguments = 1
    option_spec = {"key": directives.unchanged, "columns": directives.unchanged}

    def run(self):
        path = DOCS / self.arguments[0]
        self.state.document.settings.env.note_dependency(str(path))
        rows = json.loads(path.read_text())
        key = self.options["key"]
        columns = [
            item.strip().split("=", 1)
            for item in self.options["columns"].split(";")
            if item.strip()
        ]
        tasks = list(dict.fromkeys(r["task"] for r in rows))
        lines = []
        for task in tasks:
            cells = [task.replace(">", "→")]
            for value, _ in columns:
                acc = [
                    r["accuracy"] for r in rows if (r["task"], r[key]) == (task, value)
                ]
                sem = np.std(acc, ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else 0.0
                cells.append(f"{np.mean(acc):.3f} ± {sem:.3f}" if acc else "-")
            lines.append(cells)
        n = {value: sum(r[key] == value for r in rows) for value, _ in columns}
        lines.append(
            [f"all {max(n.values())} splits"]
            + [
                f"{np.mean([r['accuracy'] for r in rows if r[key] == value]):.3f}"
                for value, _ in columns
            ]
        )
        return [_table(["task", *(heading for _, heading in columns)], lines)]


#: What the columns of each analysis's table sweep, for the table's title.
_SWEPT = {
    "source_labels": "columns: labelled source rows",
    "pairs": "columns: pairs",
    "source_unlabeled": "columns: unlabelled source rows",
    "target_unlabeled": "columns: unlabelled target rows",
    "sensitivity": "rows: α, columns: β",
}

#: Fig. 6's derived figures give the span of the mean surface over the corner of the
#: grid α, β ≤ ``_CORNER`` and over the whole grid.
_CORNER = 2


def _analysis_section(rows, analysis: str):
    """The table of ``format_analyses`` for one analysis, as its title line, its
    header cells and its rows of cells (cut at the columns of its rule line)."""
    text = format_analyses([r for r in rows if r.get("analysis") == analysis])
    if not text:
        return None
    title, header, rule, *lines = text.splitlines()
    spans = [m.span() for m in re.finditer(r"-+", rule)]

    def cells(line):
        return [line[start:end].strip() for start, end in spans]

    return title, cells(header), [cells(line) for line in lines]


def _source_accuracy_row(rows, header) -> list[str]:
    """The mean over the seeds of the source DNN's accuracy at each source label
    budget (one value per seed and budget), under the header's columns."""
    by_budget: dict = {}
    for r in rows:
        if (
            r.get("analysis") == "source_labels"
            and r.get("source_accuracy") is not None
        ):
            (budget,) = r["setting"].values()
            by_budget.setdefault(f"{budget:g}", {})[r["seed"]] = r["source_accuracy"]
    return [
        "source DNN accuracy",
        *(
            f"{np.mean(list(by_budget[c].values())):.3f}" if c in by_budget else ""
            for c in header[1:]
        ),
    ]


def _sensitivity_ranges(rows) -> list[list[str]]:
    """Fig. 6's derived figures: the span (min-max) of the mean surface over the
    grid's corner α, β ≤ ``_CORNER`` and over the whole grid; per seed, the range
    over α of the β-averaged accuracy and the range over β of the α-averaged one,
    and their paired difference (mean ± standard error over the seeds)."""
    acc = {
        (r["setting"]["alpha"], r["setting"]["beta"], r["seed"]): r["accuracy"]
        for r in rows
        if r.get("analysis") == "sensitivity" and r["accuracy"] is not None
    }
    alphas, betas, seeds = (sorted({key[i] for key in acc}) for i in range(3))
    grid = np.array([[[acc[a, b, s] for s in seeds] for b in betas] for a in alphas])
    mean = grid.mean(axis=2)
    corner = mean[np.ix_([a <= _CORNER for a in alphas], [b <= _CORNER for b in betas])]
    over_alpha = np.ptp(grid.mean(axis=1), axis=0)
    over_beta = np.ptp(grid.mean(axis=0), axis=0)

    def cell(values, signed=False):
        m, e = mean_and_error(values)
        return f"{m:+.3f} ± {e:.3f}" if signed else f"{m:.3f} ± {e:.3f}"

    return [
        [
            f"mean accuracy, α, β ≤ {_CORNER:g}",
            f"{corner.min():.3f}-{corner.max():.3f}",
        ],
        ["mean accuracy, whole grid", f"{mean.min():.3f}-{mean.max():.3f}"],
        ["range over α", cell(over_alpha)],
        ["range over β", cell(over_beta)],
        ["range over α − over β (paired)", cell(over_alpha - over_beta, signed=True)],
    ]


def _table(header, lines, title: str | None = None):
    """A docutils table: the ``header`` row, then ``lines`` (see :func:`_row`)."""
    table = nodes.table()
    if title is not None:
        table += nodes.title(text=title)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += _row(header)
    body = nodes.tbody()
    group += body
    for cells in lines:
        body += _row(cells)
    return table


class AnalysisTable(Directive):
    """The table that ``format_analyses`` prints for the analysis ``:analysis:`` of
    a result file of ``python -m skdatn.benchmark --plots``: mean ± standard error
    over the seeds per method and swept setting, the paired change from the first
    to the last setting, and each method minus the analysis's reference, seed by
    seed. ``source_labels`` adds the mean accuracy of the source DNN per budget;
    ``sensitivity`` adds a second table of the derived figures of Fig. 6."""

    required_arguments = 1
    option_spec = {"analysis": directives.unchanged_required}

    def run(self):
        path = DOCS / self.arguments[0]
        self.state.document.settings.env.note_dependency(str(path))
        analysis = self.options.get("analysis")
        if not analysis:
            raise self.error("analysis-table needs the option :analysis:")
        rows = [r for r in json.loads(path.read_text()) if not r.get("error")]
        section = _analysis_section(rows, analysis)
        if section is None:
            raise self.error(f"{path.name} has no rows of the analysis {analysis!r}")
        title, header, lines = section
        tasks = {
            f"{r['dataset']} {r['source']}→{r['target']}"
            for r in rows
            if r.get("analysis") == analysis
        }
        if len(tasks) != 1:
            raise self.error(f"{path.name}: {analysis} has {len(tasks)} tasks, not 1")
        (task,) = tasks
        _, _, what = title.partition(": ")
        swept = _SWEPT.get(analysis, analysis)
        out = []
        if analysis == "source_labels":
            lines = [_source_accuracy_row(rows, header), *lines]
        out.append(_table(header, lines, f"{task} ({swept}): {what}"))
        if analysis == "sensitivity":
            out.append(
                _table(
                    ["", task],
                    _sensitivity_ranges(rows),
                    f"{task}: the mean surface, and the ranges per seed "
                    "(mean ± s.e. over the seeds)",
                )
            )
        return out


def _as_summary_task(task: str) -> str:
    """``"mfeat:fac>fou"`` as ``_summary`` names it, ``"mfeat fac→fou"``."""
    dataset, _, direction = task.partition(":")
    return f"{dataset} {direction.replace('>', '→')}"


def setup(app):
    app.add_directive("analysis-table", AnalysisTable)
    app.add_directive("controls-table", ControlsTable)
    app.add_directive("pivot-table", PivotTable)
    app.add_directive("results-table", ResultsTable)
    app.add_directive("results-plot", ResultsPlot)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
