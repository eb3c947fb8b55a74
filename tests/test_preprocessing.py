import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

from skdatn import DATNClassifier
from skdatn._preprocessing import make_scaler, resolve_scaling


def _bag_of_words(rng, n=60, d=200, density=0.03):
    return sp.random(n, d, density=density, random_state=rng, format="csr") * 5


def test_auto_scales_sparse_nonnegative_data_by_max_abs():
    rng = np.random.RandomState(0)
    counts = _bag_of_words(rng)
    assert resolve_scaling("auto", counts) == "maxabs"
    assert resolve_scaling("auto", counts.toarray()) == "maxabs"
    assert isinstance(make_scaler("auto", counts.toarray()), MaxAbsScaler)


@pytest.mark.parametrize(
    "X",
    [
        np.random.RandomState(0).normal(size=(50, 8)),  # dense, signed
        np.abs(np.random.RandomState(0).normal(size=(50, 8))),  # dense, non-negative
        -np.eye(20),  # sparse pattern but negative
    ],
    ids=["signed", "dense-nonnegative", "sparse-negative"],
)
def test_auto_standardises_everything_else(X):
    assert resolve_scaling("auto", X) == "standard"
    assert isinstance(make_scaler("auto", X), StandardScaler)


def test_explicit_scalings_are_kept():
    X = np.abs(np.random.RandomState(0).normal(size=(10, 3)))
    for kind in ("standard", "l2", "maxabs", "none", None):
        assert resolve_scaling(kind, X) == kind


def test_auto_decides_per_domain(task):
    rng = np.random.RandomState(0)
    # A bag-of-words source gets a different scaler from the dense target's.
    Xs = task.fit_params["X_source"].X
    words = _bag_of_words(rng, n=Xs.shape[0], d=40).toarray()
    clf = DATNClassifier(
        hidden_layer_sizes=(8,),
        pretrain_epochs=2,
        finetune_epochs=2,
        asymmetric=False,  # DATN_unsup: no pairs needed
        random_state=0,
    ).fit(task.X, task.y, X_source=words, y_source=task.fit_params["X_source"].y)
    assert isinstance(clf.source_scaler_, MaxAbsScaler)
    assert isinstance(clf.target_scaler_, StandardScaler)
