"""
The learned representation: source rows and mapped target rows
===============================================================

DATN classifies a target row ``x`` with the *source* classifier, applied to
``f_T(x) G``: the target row encoded by the target pathway and mapped by ``G`` into the
source's representation space. :meth:`~skdatn.DATNClassifier.transform` returns that
mapped representation, and :meth:`~skdatn.DATNClassifier.transform_source` returns
``f_S(x)`` for source rows. If the transfer works, a mapped target digit lands among the
source rows of the same digit.

We draw both in 2-D with t-SNE, for DATN and for DATN_unsup
(``asymmetric=False``), which has no pairs loss and no ``G`` (its ``transform`` is just
``f_T``) and only matches the domains' mean representations.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.manifold import TSNE

from skdatn import DATNClassifier
from skdatn.datasets import load_mfeat, make_transfer_task

views, y = load_mfeat(return_X_y=True)
task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)

# The labelled source rows (label -1 marks the unlabelled ones).
source_labeled = task.X_source.y != -1
Xs, ys = task.X_source.X[source_labeled], task.X_source.y[source_labeled]

models = {
    "DATN": DATNClassifier(random_state=0),
    "DATN_unsup": DATNClassifier(asymmetric=False, random_state=0),
}
for model in models.values():
    model.fit(task.X, task.y, **task.fit_params)

# %%
# How close are mapped target rows to the source rows of their class?
# -------------------------------------------------------------------
# A simple measure: classify each mapped test row by the nearest mean of the source
# rows of each class in the learned space.
for name, model in models.items():
    Zs = model.transform_source(Xs)
    Zt = model.transform(task.X_test)
    means = np.stack([Zs[ys == c].mean(axis=0) for c in model.classes_])
    nearest = model.classes_[
        np.argmin(((Zt[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
    ]
    print(
        f"{name:>10}: test accuracy {model.score(task.X_test, task.y_test):.3f}, "
        f"nearest source class mean {np.mean(nearest == task.y_test):.3f}, "
        f"representation width {Zt.shape[1]}"
    )

# %%
# Both domains in one picture
# ---------------------------
# One t-SNE embedding of the source rows and the mapped target test rows together.
# Dots are source rows, crosses mapped target test rows, coloured by digit. For DATN
# most crosses sit on the cluster of their digit; for DATN_unsup the two domains hardly
# mix: matching the mean representations does not align the classes.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
cmap = plt.get_cmap("tab10")
for ax, (name, model) in zip(axes, models.items(), strict=True):
    Zs = model.transform_source(Xs)
    Zt = model.transform(task.X_test)
    P = TSNE(n_components=2, init="pca", random_state=0).fit_transform(
        np.vstack([Zs, Zt])
    )
    Ps, Pt = P[: len(Zs)], P[len(Zs) :]
    ax.scatter(Ps[:, 0], Ps[:, 1], c=cmap(ys), s=10, alpha=0.35, linewidths=0)
    ax.scatter(
        Pt[:, 0], Pt[:, 1], c=cmap(task.y_test), s=14, marker="x", linewidths=0.8
    )
    ax.set_title(f"{name}: source (dots), mapped target (crosses)")
    ax.set_xticks([])
    ax.set_yticks([])
handles = [
    plt.Line2D([], [], marker="o", linestyle="", color=cmap(c), label=str(c))
    for c in range(10)
]
axes[1].legend(
    handles=handles, title="digit", loc="center left", bbox_to_anchor=(1, 0.5)
)
fig.tight_layout()
plt.show()
