"""
Is my source helping?
=====================

A transfer model fitted on a source that tells nothing about the target can be far
worse than a model of the target alone: DATN classifies target rows through the
*source* classifier. :class:`~skdatn.DATNClassifierCV` therefore also fits, in the same
folds as its (α, β) candidates, the target-only model (``DATNClassifier()`` without the
source, the paper's SSDAE), and weighs the two: the fitted model's probabilities are
``w * transfer + (1 - w) * target-only`` with the weight ``w`` (1, 0.75, 0.5, 0.25 or
0): the smallest whose held-out calibrated log-loss is within half a standard error of
the best blend's. At ``w = 0`` it falls back to the target-only model with a :class:`~skdatn.exceptions.NegativeTransferWarning`.

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
    DATNClassifier,
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
        f"{name}: weight of the transfer model {clf.transfer_weight_:g} "
        f"({clf.variant_}{', NegativeTransferWarning' if fell_back else ''}); "
        f"test accuracy {clf.score(task.X_test, task.y_test):.3f}"
    )

# %%
# ``blend_scores_`` holds the guard's score of each weight: minus the calibrated
# log-loss of the blend's held-out predictions, pooled over the folds (closer to 0 is
# better). The guard keeps the smallest weight whose score is within half a standard
# error of the best (a lead smaller than that is noise of a few rows); the star marks
# the weight it kept.
#
# What the guard bought
# ---------------------
# Without the guard (``fallback=False``) the search keeps its best transfer model even
# on the noise source. With it, the noise source's model predicts as well as the
# target-only model (``DATNClassifier()`` fitted without the source) alone.
kept = DATNClassifierCV(betas=[1.0], fallback=False, **short)
kept.fit(task.X, task.y, **noise)
print(f"noise source without the guard: {kept.score(task.X_test, task.y_test):.3f}")
alone = DATNClassifier(**short).fit(task.X, task.y, X_unlabeled=task.X_unlabeled)
print(f"the target-only model alone: {alone.score(task.X_test, task.y_test):.3f}")

fig, ax = plt.subplots(figsize=(6, 3.4))
for name, clf in fitted.items():
    weights = sorted(clf.blend_scores_)
    (line,) = ax.plot(
        weights, [clf.blend_scores_[w] for w in weights], "o-", label=name
    )
    ax.plot(
        clf.transfer_weight_,
        clf.blend_scores_[clf.transfer_weight_],
        "*",
        markersize=16,
        color=line.get_color(),
    )
ax.set_xlabel("weight of the transfer model (0: target-only, 1: transfer alone)")
ax.set_ylabel("minus the calibrated log-loss (CV)")
ax.legend(loc="lower left")
ax.set_title("fac → fou: the star is the guard's choice")
fig.tight_layout()
plt.show()
