"""
Averaging networks trained from different seeds
===============================================

With 3 labelled target rows per class, the network that DATN trains depends much on its
random initial weights: the same split and the same settings give a different network,
and a different accuracy, for each seed. :class:`~skdatn.SeedEnsembleClassifier` fits
copies of an estimator that differ only in their ``random_state`` and averages their
class probabilities.

Here, on three splits of the digits task pix → fou, each dot is one network and each bar
the average of the same five networks.
"""

import matplotlib.pyplot as plt
import numpy as np

from skdatn import DATNClassifier, SeedEnsembleClassifier
from skdatn.datasets import load_mfeat, make_transfer_task

views, y = load_mfeat(return_X_y=True)
net = DATNClassifier(pretrain_epochs=100)  # shorter pretraining keeps the example quick

singles, averaged = [], []
for split in range(3):
    task = make_transfer_task(views["pix"], views["fou"], y, random_state=split)
    ensemble = SeedEnsembleClassifier(net, n_estimators=5, random_state=split)
    ensemble.fit(task.X, task.y, **task.fit_params)
    # The copies are fitted networks in their own right.
    singles.append([m.score(task.X_test, task.y_test) for m in ensemble.estimators_])
    averaged.append(ensemble.score(task.X_test, task.y_test))
    print(
        f"split {split}: single networks {np.round(singles[-1], 3)}, "
        f"mean {np.mean(singles[-1]):.3f}; average of the five {averaged[-1]:.3f}"
    )

# %%
# The average of the five is above the mean of its members on each split, and usually
# above the best of them: their errors are partly independent.

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar(range(3), averaged, color="tab:blue", alpha=0.4, label="average of 5 networks")
for split, accs in enumerate(singles):
    ax.scatter(
        np.full(len(accs), split),
        accs,
        color="black",
        s=15,
        zorder=3,
        label="one network" if split == 0 else None,
    )
ax.set_xticks(range(3), [f"split {s}" for s in range(3)])
ax.set_ylim(0.6, 0.9)
ax.set_ylabel("target test accuracy")
ax.set_title("mfeat pix → fou, 3 labelled rows per class")
ax.legend(loc="upper center", ncol=2)
fig.tight_layout()
plt.show()
