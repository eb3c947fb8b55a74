"""
Heterogeneous transfer between two views of the same digits
=============================================================

The UCI Multiple Features data describes 2000 handwritten digits with six feature
extractors that share no feature: the ``pix`` view holds 240 pixel averages, the ``fou``
view 76 Fourier coefficients of the character contours. Here ``pix`` is the data-rich
source domain and ``fou`` the data-poor target domain.

We vary the number of labelled target rows per class and compare DATN, which also sees the
source rows, the pairs (digits seen in both views) and unlabelled target rows, with a
scaled support vector machine trained on the labelled target rows alone. The transfer
helps most where the target has the fewest labels.
"""

import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skdatn import DATNClassifier
from skdatn.datasets import load_mfeat, make_transfer_task

views, y = load_mfeat(return_X_y=True)
print(
    "source view 'pix':", views["pix"].shape, " target view 'fou':", views["fou"].shape
)

# %%
# One task per label budget
# -------------------------
# :func:`~skdatn.datasets.make_transfer_task` cuts the 2000 digits into disjoint sets:
# the labelled target rows (``n_target_labeled_per_class`` of each digit), 400 pairs,
# 400 labelled and 300 unlabelled source rows, 200 unlabelled target rows and 500 test
# rows, whatever the budget (the counts leave room for 20 labelled rows per class).
budgets = [1, 3, 5, 10, 20]
scores = {"DATN": [], "SVC (target only)": []}
for n_per_class in budgets:
    task = make_transfer_task(
        views["pix"],
        views["fou"],
        y,
        n_target_labeled_per_class=n_per_class,
        n_pairs=400,
        n_source_labeled=400,
        n_source_unlabeled=300,
        n_target_unlabeled=200,
        n_test=500,
        random_state=0,
    )
    datn = DATNClassifier(random_state=0).fit(task.X, task.y, **task.fit_params)
    svc = make_pipeline(StandardScaler(), SVC()).fit(task.X, task.y)
    scores["DATN"].append(datn.score(task.X_test, task.y_test))
    scores["SVC (target only)"].append(svc.score(task.X_test, task.y_test))
    print(
        f"{n_per_class:>2} labelled rows per class: "
        f"DATN {scores['DATN'][-1]:.3f}, SVC {scores['SVC (target only)'][-1]:.3f}"
    )

# %%
# Accuracy against the number of labelled target rows
# ---------------------------------------------------
# The SVM's accuracy climbs with every label it gets; DATN starts much higher because
# the source classifier, reached through the map ``G`` learnt on the pairs, already
# knows the digits. The gap closes as the target gets more labels of its own. With one
# seed and 500 test rows, a point moves by a few hundredths from one split to the next:
# the benchmark (``python -m skdatn.benchmark``) averages over seeds.
fig, ax = plt.subplots(figsize=(6, 4))
for name, values in scores.items():
    ax.plot(budgets, values, marker="o", label=name)
ax.set_xscale("log")
ax.set_xticks(budgets, [str(b) for b in budgets])
ax.set_xlabel("labelled target rows per class (10 classes)")
ax.set_ylabel("target test accuracy")
ax.set_title("pix → fou, one seed")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
