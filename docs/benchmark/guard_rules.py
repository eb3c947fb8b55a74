"""Score rules of DATNClassifierCV's guard on the runs of ``guard_probe.py``.

Each rule turns the held-out predictions of the search's folds (the selected
transfer candidate's and a target-only model's, pooled over the folds) into a
weight ``w`` of the transfer model: 1 keeps it, 0 falls back to the target-only
model, and a value between blends their class probabilities. The rule's test
accuracy is that of the blend of the two refitted models' test probabilities
with that weight. Written per run to a JSON file, and summarised per task and
sweep level against the target-only SSDAE and SVM:

    python docs/benchmark/guard_rules.py PROBEDIR docs/benchmark/dev_guard_rules.json \
        docs/benchmark/source_quality_tables.inc

(PROBEDIR may be the JSON file itself: the tables again from the rows on file.)
"""

import glob
import json
import os
import sys

import numpy as np
from scipy.optimize import minimize_scalar

from skdatn import calibrated_log_loss
from skdatn import _guard

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
TOLERANCES = (0.0, 0.25, 0.75, 1.0)


def _codes(y, classes):
    return np.searchsorted(classes, y)


def accuracy(P, c):
    return float(np.mean(P.argmax(1) == c))


def log_loss(P, c):
    return float(-np.mean(np.log(np.clip(P[np.arange(len(c)), c], 1e-15, None))))


def brier(P, c):
    onehot = np.eye(P.shape[1])[c]
    return float(np.mean(np.sum((P - onehot) ** 2, axis=1)))


def temperature(P, c):
    """The log-temperature minimising the log-loss of softmax(log P / T)."""
    logp = np.log(np.clip(P, 1e-300, None))

    def loss(log_t):
        z = logp / np.exp(log_t)
        z = z - z.max(1, keepdims=True)
        z = z - np.log(np.exp(z).sum(1, keepdims=True))
        return -np.mean(z[np.arange(len(c)), c])

    return minimize_scalar(loss, bounds=(-4, 4), method="bounded").x


def calibrate(P, log_t):
    z = np.log(np.clip(P, 1e-300, None)) / np.exp(log_t)
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def cal_log_loss(P, c):
    """Minus the library's calibrated log-loss score (lower is better)."""
    return -calibrated_log_loss(c, P, np.arange(P.shape[1]))


def choose(T, O, c, metric, weights=WEIGHTS, lower=True, prefer=1.0, eps=0.0):
    """The weight of ``weights`` with the best ``metric`` of the blend; ties
    (within ``eps``) go to the weight nearest ``prefer``."""
    values = np.array([metric(_guard.blend(w, T, O), c) for w in weights])
    best = values.min() if lower else values.max()
    tied = [
        w for w, v in zip(weights, values, strict=True) if abs(v - best) <= eps + 1e-12
    ]
    return min(tied, key=lambda w: abs(w - prefer))


def rules(d) -> dict:
    """The weight of the transfer model, by rule, and the test probabilities
    each rule blends (``ssdae``: the standalone SSDAE; ``guard``: the search's
    own target-only model)."""
    classes = d["classes"]
    c = _codes(d["oof_y"], classes)
    T = d["oof_candidates"][int(d["best_index"])]
    out = {}
    # The folds' class-prior shift, corrected as the library's guard does: a
    # fold trains on all pooled rows but its held-out ones.
    starts = np.concatenate([[0], np.cumsum(d["fold_sizes"])])
    O = np.vstack(
        [
            _guard.correct_fold_prior(
                d["oof_ssdae"][a:b], np.concatenate([c[:a], c[b:]]), c
            )
            for a, b in zip(starts[:-1], starts[1:], strict=True)
        ]
    )
    d = {**d, "oof_prior": O, "test_prior": d["test_ssdae"]}
    for name in ("guard", "ssdae", "prior"):
        O = d[f"oof_{name}"]
        # Either/or rules: w in {0, 1}.
        out[f"{name}:cal_ll"] = float(cal_log_loss(O, c) >= cal_log_loss(T, c))
        out[f"{name}:ll"] = float(log_loss(O, c) >= log_loss(T, c))
        out[f"{name}:brier"] = float(brier(O, c) >= brier(T, c))
        n = len(c)
        for margin in (-2, -1, 0, 1, 2):
            # Fall back when the target-only model gets more than `margin` rows
            # right beyond the transfer model's.
            out[f"{name}:acc{margin:+d}"] = float(
                accuracy(O, c) * n < accuracy(T, c) * n + margin + 0.5
            )
        # Blends: w among WEIGHTS by the blend's held-out score.
        out[f"{name}:blend_acc"] = choose(T, O, c, accuracy, lower=False)
        out[f"{name}:blend_ll"] = choose(T, O, c, log_loss)
        out[f"{name}:blend_brier"] = choose(T, O, c, brier)
        out[f"{name}:blend_cal_ll"] = choose(T, O, c, cal_log_loss)
        # The library's rule (the blend within TOLERANCE standard errors of the
        # best that keeps the least of the transfer model), and its tolerance
        # moved.
        out[f"{name}:guard"] = _guard.choose_weight(c, T, O)[0]
        default = _guard.TOLERANCE
        for tolerance in TOLERANCES:
            _guard.TOLERANCE = tolerance
            try:
                weight = _guard.choose_weight(c, T, O)[0]
            finally:
                _guard.TOLERANCE = default
            out[f"{name}:guard_tol{tolerance:g}"] = weight
        for eps in (0.0, 0.002, 0.005, 0.01):
            out[f"{name}:blend_brier_to0_{eps:g}"] = choose(
                T, O, c, brier, prefer=0.0, eps=eps
            )
        for eps in (0.005, 0.01):
            out[f"{name}:blend_ll_to0_{eps:g}"] = choose(
                T, O, c, log_loss, prefer=0.0, eps=eps
            )
        out[f"{name}:blend_half"] = 0.5
        # The blend of the two models each calibrated by its own temperature.
        tT, tO = temperature(T, c), temperature(O, c)
        Tc, Oc = calibrate(T, tT), calibrate(O, tO)
        out[f"{name}:cblend_ll"] = choose(Tc, Oc, c, log_loss)
        out[f"{name}:cblend_brier"] = choose(Tc, Oc, c, brier)
        out[f"{name}:cblend_acc"] = choose(Tc, Oc, c, accuracy, lower=False)
        out[f"_{name}:temps"] = (float(tT), float(tO))
    return out


def score_run(path: str) -> dict:
    d = dict(np.load(path))
    classes = d["classes"]
    c = _codes(d["y_test"], classes)
    base = os.path.basename(path)[: -len(".npz")]
    task, seed, level = base.rsplit("_", 2)
    row = {
        "task": task,
        "seed": int(seed[1:]),
        "level": float(level[1:]),
        "fell_back": bool(d["fell_back"]),
        "svm": float(d["svm_accuracy"]),
        "ssdae": accuracy(d["test_ssdae"], c),
        "guard_model": accuracy(d["test_guard"], c),
        "transfer": accuracy(d["test_transfer"], c),
        # The guard of the library that ran the probe (files of the previous,
        # either/or rule have no test_today).
        "today": accuracy(
            d["test_today"]
            if "test_today" in d
            else d["test_guard" if d["fell_back"] else "test_transfer"],
            c,
        ),
        "rules": {},
        "weights": {},
    }
    chosen = rules(d)
    d["test_prior"] = d["test_ssdae"]
    for rule, w in chosen.items():
        if rule.startswith("_"):
            continue
        name = rule.split(":")[0]
        T, O = d["test_transfer"], d[f"test_{name}"]
        if "cblend" in rule:
            tT, tO = chosen[f"_{name}:temps"]
            T, O = calibrate(T, tT), calibrate(O, tO)
        row["weights"][rule] = w
        row["rules"][rule] = accuracy(_guard.blend(w, T, O), c)
    return row


def table(rows: list[dict], names: list[str]) -> None:
    """Mean test accuracy per task and level: the references and ``names``."""
    keys = sorted({(r["task"], r["level"]) for r in rows})
    print(
        f"{'task':22s} lvl  n  svm   ssdae transf today "
        + " ".join(f"{n.split(':')[1][:9]:>9s}" for n in names)
    )
    for t, lv in keys:
        g = [r for r in rows if r["task"] == t and r["level"] == lv]
        m = lambda f: np.mean([f(r) for r in g])  # noqa: E731
        ref = max(m(lambda r: r["svm"]), m(lambda r: r["ssdae"]))
        cells = [m(lambda r, n=n: r["rules"][n]) for n in names]
        print(
            f"{t:22s} {lv:4.2f} {len(g)} {m(lambda r: r['svm']):.3f} "
            f"{m(lambda r: r['ssdae']):.3f} {m(lambda r: r['transfer']):.3f} "
            f"{m(lambda r: r['today']):.3f} "
            + " ".join(
                f"{c:.3f}{'!' if c < ref - 0.02 else ' '}".rjust(9) for c in cells
            )
        )


def summarise(rows: list[dict]) -> None:
    tasks = sorted({r["task"] for r in rows})
    levels = sorted({r["level"] for r in rows})
    names = list(rows[0]["rules"])
    print(f"{'rule':24s} viol worst  real-mean  Δtoday(real) noise-vs-svm  sweep-mean")
    stats = {}
    for name in ["today"] + names:
        worst, viol, real, real_today, noise, every = 1.0, 0, [], [], [], []
        for t in tasks:
            for lv in levels:
                group = [r for r in rows if r["task"] == t and r["level"] == lv]
                if not group:
                    continue
                get = (
                    (lambda r: r["today"])
                    if name == "today"
                    else (lambda r: r["rules"][name])
                )
                mean = np.mean([get(r) for r in group])
                ref = max(
                    np.mean([r["ssdae"] for r in group]),
                    np.mean([r["svm"] for r in group]),
                )
                worst = min(worst, mean - ref)
                every.append(mean)
                viol += mean < ref - 0.02
                if lv == 0 and "image-text" not in t:
                    real.append(mean)
                    real_today.append(np.mean([r["today"] for r in group]))
                if lv == 1:
                    noise.append(mean - np.mean([r["svm"] for r in group]))
        stats[name] = (viol, worst)
        print(
            f"{name:24s} {viol:4d} {worst:+.3f} {np.mean(real):.4f}  "
            f"{np.mean(real) - np.mean(real_today):+.4f}  "
            f"{min(noise) if noise else float('nan'):+.3f}        {np.mean(every):.4f}"
        )


#: The rules the docs compare (user guide, "Is my source helping?"), by label.
#: "prior:" is the standalone SSDAE's held-out probabilities corrected for the
#: folds' class shares; "guard:" the search's own target-only model before
#: (its pretrained target pathway, with the pairs' target rows).
DOC_RULES = {
    "before: calibrated log-loss, either/or": "today",
    "calibrated log-loss, either/or": "prior:cal_ll",
    "accuracy, either/or": "prior:acc+0",
    "Brier score, either/or": "prior:brier",
    "even blend (w = 0.5)": "prior:blend_half",
    "blend by accuracy": "prior:blend_acc",
    "blend by log-loss": "prior:blend_ll",
    "blend by Brier score": "prior:blend_brier",
    "blend by calibrated log-loss, uncorrected folds": "ssdae:blend_cal_ll",
    "blend by calibrated log-loss, the best": "prior:blend_cal_ll",
    "... the least transfer within 0.25 standard errors": "prior:guard_tol0.25",
    "... within 0.5 standard errors (the guard)": "prior:guard",
    "... within 0.75 standard errors": "prior:guard_tol0.75",
    "... within 1 standard error": "prior:guard_tol1",
}
CHOSEN = "prior:guard"


def _value(row: dict, rule: str) -> float:
    return row["today"] if rule == "today" else row["rules"][rule]


def _groups(rows: list[dict]) -> dict:
    keys = sorted({(r["task"], r["level"]) for r in rows})
    return {k: [r for r in rows if (r["task"], r["level"]) == k] for k in keys}


def rst_rules(rows: list[dict]) -> str:
    """The rules' summary as an RST list-table."""
    groups = _groups(rows)
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - rule",
        "     - points below the bar",
        "     - worst gap to the better target-only model",
        "     - noise control: worst gap to the SVC",
        "     - real source, mean (6 tasks)",
        "     - sweep mean",
    ]
    for label, rule in DOC_RULES.items():
        gaps, noise, real, every = [], [], [], []
        for (task, level), group in groups.items():
            mean = np.mean([_value(r, rule) for r in group])
            bar = max(
                np.mean([r["ssdae"] for r in group]), np.mean([r["svm"] for r in group])
            )
            gaps.append(mean - bar)
            every.append(mean)
            if level == 1:
                noise.append(mean - np.mean([r["svm"] for r in group]))
            if level == 0 and task != "wikipedia_image-text":
                real.append(mean)
        below = sum(g < -0.02 for g in gaps)
        lines += [
            f"   * - {label}",
            f"     - {below} of {len(gaps)}",
            f"     - {min(gaps):+.3f}",
            f"     - {min(noise):+.3f}",
            f"     - {np.mean(real):.3f}",
            f"     - {np.mean(every):.3f}",
        ]
    return "\n".join(lines)


def rst_sweep(rows: list[dict]) -> str:
    """Per task and level: SVC, SSDAE, the transfer model alone, the guard
    before and the guard now; mean ± standard deviation over the seeds."""
    cols = [
        ("SVC", lambda r: r["svm"]),
        ("SSDAE", lambda r: r["ssdae"]),
        ("transfer alone", lambda r: r["transfer"]),
        ("guard before", lambda r: r["today"]),
        ("guard now", lambda r: r["rules"][CHOSEN]),
    ]
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - task",
        "     - noise",
        "     - seeds",
        *[f"     - {name}" for name, _ in cols],
        "     - weights now",
    ]
    for (task, level), group in _groups(rows).items():
        lines += [
            f"   * - {task.replace('_', ' ').replace('-', '→')}",
            f"     - {level:g}",
            f"     - {len(group)}",
        ]
        bar = max(
            np.mean([r["ssdae"] for r in group]), np.mean([r["svm"] for r in group])
        )
        for name, get in cols:
            values = [get(r) for r in group]
            mark = (
                " (below)"
                if name == "guard now" and np.mean(values) < bar - 0.02
                else ""
            )
            lines.append(f"     - {np.mean(values):.3f} ± {np.std(values):.3f}{mark}")
        weights = [r["weights"][CHOSEN] for r in group]
        lines.append(f"     - {', '.join(f'{w:g}' for w in weights)}")
    return "\n".join(lines)


def main() -> None:
    probe_dir, out = sys.argv[1], sys.argv[2]
    if probe_dir.endswith(".json"):  # the tables again from the rows on file
        rows = json.load(open(probe_dir))
    else:
        rows = [
            score_run(p) for p in sorted(glob.glob(os.path.join(probe_dir, "*.npz")))
        ]
    kept = set(DOC_RULES.values())
    with open(out, "w") as f:  # the rules of the docs
        json.dump(
            [
                {
                    **r,
                    "rules": {k: v for k, v in r["rules"].items() if k in kept},
                    "weights": {k: v for k, v in r["weights"].items() if k in kept},
                }
                for r in rows
            ],
            f,
            indent=1,
        )
    summarise(rows)
    table(rows, [n for n in rows[0]["rules"] if n.startswith("prior:")])
    if len(sys.argv) > 3:  # the tables of the benchmark page
        with open(sys.argv[3], "w") as f:
            f.write(
                ".. Written by docs/benchmark/guard_rules.py from its JSON file: "
                "do not edit.\n\n"
                + rst_rules(rows)
                + "\n\n"
                + SWEEP_INTRO
                + rst_sweep(rows)
                + "\n"
            )


SWEEP_INTRO = """Per task and level of noise, the mean test accuracy ± its standard deviation over
the seeds: the target-only SVC and SSDAE, the selected transfer model alone
(``fallback=False``), the guard's previous rule, and the guard now, with its weight of the
transfer model on each seed. "(below)" marks a mean more than 0.02 under the better
target-only model.

"""


if __name__ == "__main__":
    main()
