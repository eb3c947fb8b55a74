"""
Quick start: digits seen through two different feature extractors
==================================================================

The UCI Multiple Features digits come in six views of the same 2000 digits. Here the
source domain is the ``fac`` view (216 profile correlations, many labels) and the target
domain is the ``fou`` view (76 Fourier coefficients, 3 labels per class). A few hundred
digits seen in both views (the *pairs*) let DATN carry the source's knowledge over to the
target, although the two views share no feature.
"""

import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skdatn import DATNClassifier
from skdatn.datasets import load_mfeat, make_transfer_task

views, y = load_mfeat(return_X_y=True)
task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
print("labelled target rows:", task.X.shape, "test rows:", task.X_test.shape)
print(
    "source:",
    task.X_source,
    "pairs:",
    task.pairs,
    "unlabelled target:",
    task.X_unlabeled,
)

# %%
# DATN uses the source rows, the pairs and the unlabelled target rows; the target-only
# baselines see the 30 labelled target rows alone.
datn = DATNClassifier(random_state=0).fit(task.X, task.y, **task.fit_params)
ssdae = DATNClassifier(random_state=0).fit(task.X, task.y, X_unlabeled=task.X_unlabeled)
svc = make_pipeline(StandardScaler(), SVC()).fit(task.X, task.y)

scores = {
    "SVC (target only)": svc.score(task.X_test, task.y_test),
    f"{ssdae.variant_} (target only)": ssdae.score(task.X_test, task.y_test),
    datn.variant_: datn.score(task.X_test, task.y_test),
}
for name, score in scores.items():
    print(f"{name:>20}: {score:.3f}")

# %%
# The training curves of the two stages are in ``history_``.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
ax1.barh(list(scores), list(scores.values()))
ax1.set_xlabel("target test accuracy")
for stage in ("pretrain_source", "pretrain_target", "finetune"):
    losses = [r["loss"] for r in datn.history_ if r["stage"] == stage]
    ax2.plot(losses, label=stage)
ax2.set_yscale("log")
ax2.set_xlabel("epoch")
ax2.set_ylabel("training loss")
ax2.legend()
fig.tight_layout()
plt.show()
