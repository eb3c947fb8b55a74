"""Tables of the paper's analyses (Figures 3-6): mean ± standard error over the
seeds, and each method's paired difference from the analysis's reference."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

#: The method each analysis compares the others with, seed by seed: the
#: non-transfer DNN in Fig. 3, DATN in Fig. 4, DATN_sup (no unlabelled rows)
#: in Fig. 5 and its target-side sweep, the target-only SSDAE (the search's
#: fallback) in source_quality.
REFERENCE = {
    "source_labels": "DNN",
    "pairs": "DATN",
    "source_unlabeled": "DATN_sup",
    "target_unlabeled": "DATN_sup",
    "source_quality": "SSDAE",
}


def mean_and_error(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (nan for one value)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return np.nan, np.nan
    error = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
    return float(v.mean()), float(error)


def _cell(values: Sequence[float], signed: bool = False) -> str:
    if not len(values):
        return "-"
    mean, error = mean_and_error(values)
    text = f"{mean:+.3f}" if signed else f"{mean:.3f}"
    return text if np.isnan(error) else f"{text} ± {error:.3f}"


def _setting(row: dict):
    """The swept value of a row (one key per analysis except sensitivity)."""
    setting = row["setting"]
    if "alpha" in setting:
        return (setting["alpha"], setting["beta"])
    (value,) = setting.values()
    return value


def _render(title: str, table: list[list[str]]) -> list[str]:
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [title]
    for i, line in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def format_analyses(rows: Sequence[dict]) -> str:
    """One table per analysis found in ``rows``: methods by swept setting
    (sensitivity: α by β), mean ± standard error over the seeds, then each
    method minus the reference method of the same seed (``REFERENCE``)."""
    out: list[str] = []
    for analysis in dict.fromkeys(r["analysis"] for r in rows if r.get("analysis")):
        sub = [
            r
            for r in rows
            if r.get("analysis") == analysis and r["accuracy"] is not None
        ]
        if not sub:
            continue
        acc = {(r["method"], _setting(r), r["seed"]): r["accuracy"] for r in sub}
        seeds = sorted({r["seed"] for r in sub})
        title = (
            f"{analysis}: target test accuracy, mean ± s.e. over {len(seeds)} seed(s)"
        )
        if analysis == "sensitivity":
            alphas = sorted({_setting(r)[0] for r in sub})
            betas = sorted({_setting(r)[1] for r in sub})
            table = [["alpha \\ beta", *(f"{b:g}" for b in betas)]]
            for a in alphas:
                cells = [
                    [acc[m, s, seed] for (m, s, seed) in acc if s == (a, b)]
                    for b in betas
                ]
                table.append([f"{a:g}", *(_cell(c) for c in cells)])
            out += _render(title, table) + [""]
            continue
        settings = sorted({_setting(r) for r in sub})
        methods = list(dict.fromkeys(r["method"] for r in sub))
        first, last = settings[0], settings[-1]
        table = [["method", *(f"{s:g}" for s in settings), f"{last:g} - {first:g}"]]
        for m in methods:
            cells = [[acc[key] for key in acc if key[:2] == (m, s)] for s in settings]
            # The change from the smallest to the largest setting, seed by seed.
            change = [
                acc[m, last, seed] - acc[m, first, seed]
                for seed in seeds
                if (m, last, seed) in acc and (m, first, seed) in acc
            ]
            table.append([m, *(_cell(c) for c in cells), _cell(change, signed=True)])
        ref = REFERENCE.get(analysis)
        if ref in methods:
            for m in methods:
                if m == ref:
                    continue
                cells = [
                    [
                        acc[m, s, seed] - acc[ref, s, seed]
                        for seed in seeds
                        if (m, s, seed) in acc and (ref, s, seed) in acc
                    ]
                    for s in settings
                ]
                table.append(
                    [f"{m} - {ref}", *(_cell(c, signed=True) for c in cells), ""]
                )
        out += _render(title, table) + [""]
    return "\n".join(out).rstrip()


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


def summarize(values: Iterable[float | None]) -> tuple[float, float]:
    """Mean and std of the non-missing values (nan, nan when there are none)."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return math.nan, math.nan
    return float(np.mean(vals)), float(np.std(vals))
