"""
Transfer with your own arrays
=============================

The other examples cut their tasks with :func:`~skdatn.datasets.make_transfer_task`.
Here the inputs are built by hand from plain arrays, as you would from your own data:

- a **source domain**, rows in its own feature space, with labels (``-1`` for rows
  without one): :class:`~skdatn.Domain`;
- **pairs**, items seen in both domains, row ``i`` of one side being row ``i`` of the
  other (no labels needed): :class:`~skdatn.Pairs`;
- a few **labelled target rows**, and **unlabelled target rows**.

The two domains are two views of the UCI digits: Zernike moments (47 columns) as the
source and Fourier coefficients (76 columns) as the target, so that the same digit can
be looked up in both.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skdatn import DATNClassifierCV, Domain, Pairs
from skdatn.datasets import load_mfeat

views, y = load_mfeat(return_X_y=True)
source_view, target_view = views["zer"], views["fou"]
rng = np.random.default_rng(0)
order = rng.permutation(len(y))

# %%
# Cutting the rows
# ----------------
# Disjoint sets of digits: 500 source rows (half of them labelled), 300 pairs, and the
# target's rows: 3 labelled per class, 500 unlabelled, the rest for testing.
source_rows, pair_rows, target_rows = order[:500], order[500:800], order[800:]
labels_source = y[source_rows].copy()
labels_source[250:] = -1  # unlabelled source rows
labelled = np.concatenate([target_rows[y[target_rows] == c][:3] for c in np.unique(y)])
others = np.setdiff1d(target_rows, labelled)
unlabelled, test = others[:500], others[500:]

X_source = Domain(source_view[source_rows], labels_source)
pairs = Pairs(source_view[pair_rows], target_view[pair_rows])
X, y_train = target_view[labelled], y[labelled]
X_unlabeled = target_view[unlabelled]
print(f"{len(y_train)} labelled target rows, {len(pair_rows)} pairs")

# %%
# Fitting
# -------
# :class:`~skdatn.DATNClassifierCV` with its defaults selects α and β by
# cross-validation on the 30 labelled target rows, and checks that the source helps
# (``transfer_weight_``: 1 keeps the transfer model alone).
clf = DATNClassifierCV(random_state=0)
clf.fit(X, y_train, X_source=X_source, pairs=pairs, X_unlabeled=X_unlabeled)
print(
    f"selected alpha={clf.alpha_:g}, beta={clf.beta_:g}; weight {clf.transfer_weight_:g}"
)

svc = make_pipeline(StandardScaler(), SVC()).fit(X, y_train)
scores = {
    "SVC, target rows only": svc.score(target_view[test], y[test]),
    "DATNClassifierCV": clf.score(target_view[test], y[test]),
}
for name, score in scores.items():
    print(f"{name}: {score:.3f}")

fig, ax = plt.subplots(figsize=(5, 2.4))
ax.barh(list(scores), list(scores.values()))
ax.set_xlabel(f"test accuracy ({len(test)} target rows)")
ax.set_xlim(0, 1)
fig.tight_layout()
plt.show()
