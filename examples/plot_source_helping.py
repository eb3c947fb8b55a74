"""
Is my source helping?
=====================

A transfer model fitted on a source that tells nothing about the target can be far
worse than a model of the target alone: DATN classifies target rows through the
*source* classifier. :class:`~skdatn.DATNClassifierCV` therefore scores, in the same
folds as its (α, β) candidates, the target-only model (the target pathway with its own
classifier, the paper's SSDAE), and falls back to it with a
:class:`~skdatn.exceptions.NegativeTransferWarning` when it scores best.

This example fits the search twice on mfeat fac→fou: once with the real source, once
with the source replaced by noise of the same per-feature mean and standard deviation
(the benchmark's ``NoiseSource`` control). To run in seconds it searches α alone
(``betas=[1]``) and trains briefly (``pretrain_epochs=40, finetune_epochs=20`` instead of
200 and 30), so its figures are rougher than the benchmark's.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

from skdatn import (
    DATNClassifierCV,
    Domain,
    NegativeTransferWarning,
    Pairs,
)
from skdatn.datasets import load_mfeat, make_transfer_task

views, y = load_mfeat(return_X_y=True)
task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)

# %%
# A source of noise
# -----------------
# Every source row and the source side of the pairs become Gaussian noise with the
# source's per-feature mean and standard deviation; the source labels are kept. The
# target rows, labelled and unlabelled, are untouched.
rng = np.random.default_rng(0)
real_rows = np.vstack([task.X_source.X, task.pairs.source])
mean, std = real_rows.mean(axis=0), real_rows.std(axis=0)
noise = {
    "X_source": Domain(rng.normal(mean, std, task.X_source.X.shape), task.X_source.y),
    "pairs": Pairs(rng.normal(mean, std, task.pairs.source.shape), task.pairs.target),
    "X_unlabeled": task.X_unlabeled,
}

# %%
# The same search on both sources
# -------------------------------
short = {"pretrain_epochs": 40, "finetune_epochs": 20, "random_state": 0}
fitted = {}
for name, inputs in [("real source", task.fit_params), ("noise source", noise)]:
    clf = DATNClassifierCV(betas=[1.0], **short)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NegativeTransferWarning)
        clf.fit(task.X, task.y, **inputs)
    fell_back = any(w.category is NegativeTransferWarning for w in caught)
    fitted[name] = clf
    print(
        f"{name}: transfer {clf.transfer_score_:.3f}, target-only "
        f"{clf.target_only_score_:.3f} (calibrated log-loss score, CV) -> {clf.variant_}"
        f"{' (NegativeTransferWarning)' if fell_back else ''}; "
        f"test accuracy {clf.score(task.X_test, task.y_test):.3f}"
    )

# %%
# The scores compare the selected (α, β) with the target-only model on the held-out
# predictions of all folds, after calibrating each model's confidence
# (:func:`~skdatn.calibrated_log_loss`): closer to 0 is better, ``-log(10)`` ≈ -2.30
# is chance for these ten classes.
#
# What the guard bought
# ---------------------
# Without the guard (``fallback=False``) the search keeps its best transfer model even
# on the noise source.
kept = DATNClassifierCV(betas=[1.0], fallback=False, **short)
kept.fit(task.X, task.y, **noise)
print(f"noise source without the guard: {kept.score(task.X_test, task.y_test):.3f}")

fig, ax = plt.subplots(figsize=(6, 3.4))
names = list(fitted)
x = np.arange(len(names))
ax.bar(
    x - 0.2, [fitted[n].transfer_score_ for n in names], 0.4, label="selected (α, β)"
)
ax.bar(x + 0.2, [fitted[n].target_only_score_ for n in names], 0.4, label="target-only")
ax.set_xticks(x, names)
ax.set_ylabel("calibrated log-loss score (CV)")
ax.axhline(0, color="k", linewidth=0.8)
ax.axhline(-np.log(10), color="gray", linestyle="--", label="chance")
ax.legend(loc="lower left")
ax.set_title("fac → fou: closer to 0 is better")
fig.tight_layout()
plt.show()
