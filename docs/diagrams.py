"""The documentation's diagrams, drawn with matplotlib when the docs are built.

``conf.py`` calls :func:`draw_all` before Sphinx reads the pages; the pages show the
PNG files it writes to ``docs/_figures/`` (not kept in git). Run it alone with
``python docs/diagrams.py`` to look at them.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

OUT = Path(__file__).resolve().parent / "_figures"

_SOURCE, _TARGET, _PAIR = "#9ecae1", "#fdae6b", "#a1d99b"


def _box(ax, x, y, w, h, text, color, **kw):
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.01,rounding_size=0.02",
            facecolor=color,
            edgecolor="#333333",
            linewidth=1,
        )
    )
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9, **kw)


def _arrow(ax, start, end, style="-|>", **kw):
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle=style, mutation_scale=12, color="#333333", **kw
        )
    )


def data_blocks(path: Path) -> None:
    """The six blocks of rows of a fit and the pairs that tie the two domains."""
    fig, ax = plt.subplots(figsize=(8.6, 3.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4.2)
    ax.axis("off")
    ax.text(0.1, 3.85, "source domain: its own features", fontsize=10, weight="bold")
    ax.text(0.1, 1.55, "target domain: other features", fontsize=10, weight="bold")
    # Source: labelled rows, unlabelled rows, the pairs' source side.
    _box(ax, 0.1, 2.5, 3.2, 1.1, "labelled rows\nX_source, y_source", _SOURCE)
    _box(ax, 3.4, 2.5, 2.6, 1.1, "unlabelled rows\n(y_source = -1)", _SOURCE)
    _box(ax, 6.1, 2.5, 2.2, 1.1, "pairs,\nsource side", _PAIR)
    # Target: the pairs' target side, labelled rows, unlabelled rows.
    _box(ax, 6.1, 0.2, 2.2, 1.1, "pairs,\ntarget side", _PAIR)
    _box(ax, 0.1, 0.2, 1.9, 1.1, "a few labelled\nrows X, y", _TARGET)
    _box(ax, 2.1, 0.2, 3.9, 1.1, "unlabelled rows X_unlabeled", _TARGET)
    for x in (6.5, 7.2, 7.9):
        _arrow(ax, (x, 2.48), (x, 1.32), style="<->")
    ax.text(
        8.45,
        1.9,
        "row i of one side\nis row i of the other:\nthe same item\n(no labels needed)",
        fontsize=8.5,
        va="center",
    )
    ax.text(
        0.1,
        -0.15,
        "fit(X, y, X_source=Domain(X_source, y_source), "
        "pairs=Pairs(source side, target side), X_unlabeled=Domain(X_unlabeled))",
        fontsize=8,
        family="monospace",
    )
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def search_flow(path: Path) -> None:
    """DATNClassifierCV's fit: the three parallel rounds, the guard and the refit."""
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    steps = [
        (5.0, "1. source pretraining: once per β group (β = 0, β > 0)\n"
         "the source rows only, so the same in every fold", _SOURCE),
        (4.0, "2. target pretraining: once per fold and β group", _TARGET),
        (3.0, "3. fine-tuning of every (α, β) of every fold from its group's state\n"
         "(self-training included), and the guard's target-only model of every fold",
         _TARGET),
        (2.0, "best (α, β): the best mean held-out score (log-loss by default)", "#dddddd"),
        (1.0, "the guard: the best (α, β) against DATNClassifier() without the source;\n"
         "the least weight w (1, .75, .5, .25, 0) within ½ s.e. of the best blend",
         _PAIR),
        (0.0, "refit on all labelled rows: the transfer model (w = 1), the target-only\n"
         "model (w = 0, NegativeTransferWarning) or both, blended", "#dddddd"),
    ]
    for y, text, color in steps:
        _box(ax, 0.6, y + 0.1, 8.8, 0.75, text, color)
    for y, *_ in steps[:-1]:
        _arrow(ax, (5.0, y + 0.08), (5.0, y - 0.13))
    ax.text(
        9.55, 4.5, "rounds 1-3:\nparallel\n(n_jobs,\nDask, Ray)", fontsize=8,
        va="center", ha="left",
    )
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def draw_all(out: Path = OUT) -> None:
    out.mkdir(exist_ok=True)
    data_blocks(out / "data_blocks.png")
    search_flow(out / "search_flow.png")


if __name__ == "__main__":
    draw_all()
    print(f"written to {OUT}")
