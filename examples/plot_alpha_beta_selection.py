"""
Choosing α and β by cross-validation
=====================================

α weighs the classifier adaptation loss :math:`L_{trans}` (the source classifier applied
to mapped labelled target rows) and β the unsupervised transfer loss :math:`L_{unsup}`
(the MMD between the two domains' mean representations). The paper picks both from
{0, 0.5, 1, 2, 5, 10} by 5-fold cross-validation on the labelled target rows.

``DATNClassifier`` is a scikit-learn estimator, so
:class:`~sklearn.model_selection.GridSearchCV` does this search. The transfer data goes to
``fit`` as keyword arguments; wrapped in :class:`~skdatn.Domain` and
:class:`~skdatn.Pairs` it reaches every fold whole, whatever its number of rows.

To run in a few seconds, this example searches a **3 x 3 grid with 3 folds and short
training** (``pretrain_epochs=40, finetune_epochs=20`` instead of 200 and 30). The numbers
it shows are therefore rougher than those of the default settings.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from skdatn import DATNClassifier, DATNClassifierCV
from skdatn.datasets import load_mfeat, make_transfer_task

views, y = load_mfeat(return_X_y=True)
task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
print("labelled target rows:", task.X.shape)

# %%
# The grid search
# ---------------
# With 3 labelled rows per class, a stratified split of 3 folds leaves 2 rows of each
# class for training. A shuffled :class:`~sklearn.model_selection.KFold` is used as in
# the paper (the source domain provides every class, so a fold that misses one is fine).
alphas = [0.0, 1.0, 5.0]
betas = [0.0, 1.0, 5.0]
short = {"pretrain_epochs": 40, "finetune_epochs": 20, "random_state": 0}
cv = KFold(3, shuffle=True, random_state=0)

search = GridSearchCV(DATNClassifier(**short), {"alpha": alphas, "beta": betas}, cv=cv)
start = time.perf_counter()
search.fit(task.X, task.y, **task.fit_params)
grid_seconds = time.perf_counter() - start
print(f"GridSearchCV: {grid_seconds:.1f} s, best {search.best_params_}")
print(
    f"test accuracy of the refitted model: {search.score(task.X_test, task.y_test):.3f}"
)

# %%
# The α/β heat map
# ----------------
# ``cv_results_`` lists the grid points with ``alpha`` varying slowest (the keys of the
# grid are sorted), so the mean scores reshape into an (α, β) table. ``beta=0`` is
# DATN_sup, which also leaves the unlabelled rows out; ``alpha=0`` drops the classifier
# adaptation, so that only the pairs tie the target to the source classifier.
#
# Read the map with care: each validation fold holds 10 labelled rows, so a score moves
# in steps of 1/30 and one or two rows decide between neighbouring cells. The accuracy
# surface of DATN is flat over most of the paper's grid: in the benchmark's Fig. 6 (five
# seeds, full training; the benchmark page has its figures) it moves little for α, β ≤ 2
# and drops only at α = 10 or β = 10. The default ``alpha=1, beta=1`` lies in :class:`~skdatn.DATNClassifierCV`'s
# grid, for a single fit when a search is too costly.
mean = search.cv_results_["mean_test_score"].reshape(len(alphas), len(betas))
fig, ax = plt.subplots(figsize=(4.8, 4))
image = ax.imshow(mean, cmap="viridis", origin="lower")
ax.set_xticks(range(len(betas)), [str(b) for b in betas])
ax.set_yticks(range(len(alphas)), [str(a) for a in alphas])
ax.set_xlabel("β (weight of L_unsup)")
ax.set_ylabel("α (weight of L_trans)")
for i in range(len(alphas)):
    for j in range(len(betas)):
        ax.text(j, i, f"{mean[i, j]:.2f}", ha="center", va="center", color="w")
fig.colorbar(image, ax=ax, label="mean CV accuracy (3 folds)")
ax.set_title("fac → fou, short training")
fig.tight_layout()
plt.show()

# %%
# The same search with DATNClassifierCV
# -------------------------------------
# Pretraining does not depend on α, and depends on β only through whether the
# unlabelled rows are used. :class:`~skdatn.DATNClassifierCV` therefore pretrains once
# per fold for the ``beta=0`` points and once for the others, and fine-tunes every
# (α, β) from there. With an int ``random_state`` and the same folds its scores are
# those of ``GridSearchCV``; it just gets there with fewer pretrainings. Its default
# scorer is the held-out log-loss; ``scoring="accuracy"`` is GridSearchCV's default, for
# equal scores here. The two estimators share their defaults (skdatn's two extensions
# beyond the paper on, user guide, "Self-training and labels through the pairs"), so it
# searches the same model as the grid search above.
clf = DATNClassifierCV(alphas=alphas, betas=betas, cv=cv, scoring="accuracy", **short)
start = time.perf_counter()
clf.fit(task.X, task.y, **task.fit_params)
cv_seconds = time.perf_counter() - start
print(f"DATNClassifierCV: {cv_seconds:.1f} s, best {clf.best_params_}")
n_fits = len(alphas) * len(betas) * cv.get_n_splits() + 1  # and the refit
print(
    f"pathway pretrainings: {clf.n_pretrainings_}, against {2 * n_fits} for "
    f"GridSearchCV (two pathways in each of its {n_fits} fits)"
)
print(
    "same CV scores as GridSearchCV:",
    np.allclose(
        clf.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    ),
)
print(f"test accuracy: {clf.score(task.X_test, task.y_test):.3f}")
