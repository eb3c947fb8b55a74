"""Figures of the paper's analyses (Figures 3-6) from benchmark rows."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._summary import mean_and_error, summarize

_XLABEL = {
    "pairs": ("n_pairs", "number of pairs |D_C|"),
    "source_unlabeled": ("n_source_unlabeled", "unlabelled source rows |D_S^uL|"),
    "target_unlabeled": ("n_target_unlabeled", "unlabelled target rows |D_T^uL|"),
    "source_labels": ("source_labels", "labelled source rows |D_S^L|"),
    "source_quality": ("source_noise", "share of noise in the source rows"),
}
_TITLE = {
    "source_labels": "Fig. 3: source label budget",
    "pairs": "Fig. 4: number of pairs",
    "source_unlabeled": "Fig. 5: unlabelled source size",
    "target_unlabeled": "Beyond Fig. 5: unlabelled target size",
    "sensitivity": "Fig. 6: sensitivity to alpha and beta (DATN)",
    "source_quality": "Beyond the paper: source quality (noise mixed in)",
}
_FILES = {
    "source_labels": "fig3_source_labels.png",
    "pairs": "fig4_pairs.png",
    "source_unlabeled": "fig5_source_unlabeled.png",
    "target_unlabeled": "fig5_target_unlabeled.png",
    "sensitivity": "fig6_sensitivity.png",
    "source_quality": "source_quality.png",
}


def require_matplotlib():
    """Import matplotlib (Agg backend) or raise a clear ImportError."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "The benchmark's plots need matplotlib, an optional dependency: "
            "pip install matplotlib (or, from the clone, pip install -e '.[plots]')."
        ) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _task_name(rows) -> str:
    r = rows[0]
    return f"{r['dataset']}:{r['source']}>{r['target']}"


def _curves(rows, key):
    """method -> sorted list of (x, mean, standard error over the seeds, source
    accuracy mean, number of seeds)."""
    by = {}
    for r in rows:
        x = r["setting"][key]
        by.setdefault(r["method"], {}).setdefault(x, []).append(r)
    out = {}
    for method, points in by.items():
        line = []
        for x in sorted(points):
            accuracies = [r["accuracy"] for r in points[x] if r["accuracy"] is not None]
            mean, error = mean_and_error(accuracies)
            n = len(accuracies)
            error = error if n > 1 else 0.0
            src, _ = summarize(r.get("source_accuracy") for r in points[x])
            line.append((x, mean, error, src, n))
        out[method] = line
    return out


def plot_analyses(rows: Sequence[dict], out_dir: str | os.PathLike) -> list[Path]:
    """Save one figure per analysis found in ``rows`` into ``out_dir``.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`~skdatn.benchmark.run_analyses` (other rows are ignored).
    out_dir : str or path-like
        Folder of the figures (created if needed).

    Returns
    -------
    paths : list of Path
        The PNG files written.
    """
    plt = require_matplotlib()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for analysis, filename in _FILES.items():
        sub = [r for r in rows if r.get("analysis") == analysis]
        if not sub:
            continue
        fig, ax = plt.subplots(figsize=(5.5, 4.2))
        if analysis == "sensitivity":
            _heatmap(fig, ax, sub)
        else:
            key, label = _XLABEL[analysis]
            curves = _curves(sub, key)
            for method, line in curves.items():
                xs = np.array([p[0] for p in line], dtype=float)
                ys = np.array([p[1] for p in line])
                es = np.array([p[2] for p in line])
                (drawn,) = ax.plot(xs, ys, marker="o", label=method)
                # The band: mean ± standard error over the seeds.
                ax.fill_between(
                    xs, ys - es, ys + es, color=drawn.get_color(), alpha=0.2
                )
            _honest_scale(ax, curves)
            ax.set_xlabel(label)
            if analysis != "source_quality":  # noise levels from 0: linear
                ax.set_xscale("log", base=2)
            # After the log scale, which would replace the tick labels: ticks
            # at the sizes used, not at powers of two.
            if analysis == "source_labels":
                _annotate_source_accuracy(ax, curves)
            else:
                _ticks_at_sizes(ax, curves)
            ax.set_ylabel("target test accuracy")
            # Beside the axes: inside, it hid points of the curves.
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
            ax.grid(alpha=0.3)
        seeds = len({r["seed"] for r in sub})
        spread = "mean ± s.e." if seeds > 1 else "one split"
        ax.set_title(
            f"{_TITLE[analysis]}\n{_task_name(sub)}, {spread} over {seeds} seed(s)",
            fontsize="medium",
        )
        path = out / filename
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


#: Smallest span of accuracy a curve figure shows: differences of a point or two
#: then look as small as they are, not like effects.
MIN_SPAN = 0.2


def _honest_scale(ax, curves) -> None:
    """A y axis at least ``MIN_SPAN`` tall around the curves, within [0, 1]."""
    values = [
        v for line in curves.values() for p in line for v in (p[1] - p[2], p[1] + p[2])
    ]
    values = [v for v in values if np.isfinite(v)]
    if not values:
        return
    center = (min(values) + max(values)) / 2
    half = max(MIN_SPAN, max(values) - min(values)) / 2
    low, high = center - half, center + half
    # Shifted, not shrunk, where it would leave [0, 1].
    low, high = low - max(0.0, high - 1.0), high - max(0.0, high - 1.0)
    low, high = low + max(0.0, -low), high + max(0.0, -low)
    ax.set_ylim(low, high)


def _ticks_at_sizes(ax, curves) -> None:
    """One x tick at each size that a curve was measured at."""
    xs = sorted({p[0] for line in curves.values() for p in line})
    ax.minorticks_off()
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{x:g}" for x in xs])


def _annotate_source_accuracy(ax, curves) -> None:
    """Label the x ticks with the source DNN accuracy, as in the paper's Fig. 3."""
    line = next(iter(curves.values()))
    xs = [p[0] for p in line]
    ax.minorticks_off()
    ax.set_xticks(xs)
    ax.set_xticklabels(
        [
            f"{x}\n{p[3]:.2f}" if not np.isnan(p[3]) else str(x)
            for x, p in zip(xs, line, strict=True)
        ],
        fontsize="small",
    )
    ax.set_xlabel("labelled source rows / source DNN accuracy")


def _heatmap(fig, ax, rows) -> None:
    """Mean accuracy per (α, β) over the seeds, with its standard error when
    there are several, on a colour scale at least ``MIN_SPAN`` wide."""
    alphas = sorted({r["setting"]["alpha"] for r in rows})
    betas = sorted({r["setting"]["beta"] for r in rows})
    mean = np.full((len(alphas), len(betas)), np.nan)
    error = np.full_like(mean, np.nan)
    for i, a in enumerate(alphas):
        for j, b in enumerate(betas):
            accs = [
                r["accuracy"]
                for r in rows
                if r["setting"]["alpha"] == a
                and r["setting"]["beta"] == b
                and r["accuracy"] is not None
            ]
            mean[i, j], error[i, j] = mean_and_error(accs)
    finite = mean[np.isfinite(mean)]
    center = (finite.min() + finite.max()) / 2 if finite.size else 0.5
    half = max(MIN_SPAN, np.ptp(finite) if finite.size else 0.0) / 2
    image = ax.imshow(
        mean,
        origin="lower",
        cmap="viridis",
        aspect="auto",
        vmin=center - half,
        vmax=center + half,
    )
    ax.set_xticks(range(len(betas)), [f"{b:g}" for b in betas])
    ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
    ax.set_xlabel("beta")
    ax.set_ylabel("alpha")
    for i in range(len(alphas)):
        for j in range(len(betas)):
            if np.isnan(mean[i, j]):
                continue
            text = f"{mean[i, j]:.3f}"
            if np.isfinite(error[i, j]):
                text += f"\n±{error[i, j]:.3f}"
            # Dark text on the light (high) half of viridis.
            color = "k" if mean[i, j] > center else "w"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=6)
    fig.colorbar(image, ax=ax, label="target test accuracy")
