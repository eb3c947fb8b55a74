"""make_transfer_task: disjoint sets, sizes, pairing, seeds and errors."""

import numpy as np
import pytest

from skdatn import Domain, Pairs
from skdatn.datasets import load_mfeat, make_transfer_task

SETS = (
    "target_labeled",
    "test",
    "pairs",
    "source_labeled",
    "source_unlabeled",
    "target_unlabeled",
)


@pytest.fixture(scope="module")
def mfeat():
    return load_mfeat(return_X_y=True)


def _ids(n, n_classes=4):
    """Two views that encode the item index, so pairing can be checked exactly."""
    idx = np.arange(n, dtype=float)
    source = np.column_stack([idx, idx * 2, np.ones(n)])
    target = np.column_stack([idx + 0.5, -idx])
    y = np.arange(n) % n_classes
    return source, target, y


def test_sets_are_disjoint_and_sized(mfeat):
    views, y = mfeat
    task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    idx = task.indices
    assert set(idx) == set(SETS)
    all_idx = np.concatenate([idx[k] for k in SETS])
    assert np.unique(all_idx).size == all_idx.size, "sets overlap"
    assert all_idx.min() >= 0 and all_idx.max() < y.size
    n = y.size
    assert idx["target_labeled"].size == 3 * 10
    assert idx["pairs"].size == round(0.2 * n)
    assert idx["source_labeled"].size == round(0.2 * n)
    assert idx["source_unlabeled"].size == round(0.15 * n)
    assert idx["target_unlabeled"].size == round(0.15 * n)
    assert idx["test"].size == round(0.25 * n)
    # three labelled target rows of every class
    assert np.all(np.bincount(task.y) == 3)


def test_arrays_match_indices(mfeat):
    views, y = mfeat
    Xs, Xt = views["pix"], views["zer"]
    task = make_transfer_task(Xs, Xt, y, random_state=3)
    idx = task.indices
    np.testing.assert_array_equal(task.X, Xt[idx["target_labeled"]])
    np.testing.assert_array_equal(task.y, y[idx["target_labeled"]])
    np.testing.assert_array_equal(task.X_test, Xt[idx["test"]])
    np.testing.assert_array_equal(task.y_test, y[idx["test"]])
    assert isinstance(task.X_source, Domain) and isinstance(task.pairs, Pairs)
    src = np.concatenate([idx["source_labeled"], idx["source_unlabeled"]])
    np.testing.assert_array_equal(task.X_source.X, Xs[src])
    n_lab = idx["source_labeled"].size
    np.testing.assert_array_equal(task.X_source.y[:n_lab], y[idx["source_labeled"]])
    assert np.all(task.X_source.y[n_lab:] == -1)
    np.testing.assert_array_equal(task.X_unlabeled.X, Xt[idx["target_unlabeled"]])
    assert task.X_unlabeled.y is None
    assert task.fit_params == {
        "X_source": task.X_source,
        "pairs": task.pairs,
        "X_unlabeled": task.X_unlabeled,
    }


def test_pairs_are_the_same_items():
    source, target, y = _ids(200)
    task = make_transfer_task(
        source,
        target,
        y,
        n_pairs=40,
        n_source_labeled=30,
        n_source_unlabeled=30,
        n_target_unlabeled=30,
        n_test=40,
        random_state=1,
    )
    ps, pt = task.pairs.source, task.pairs.target
    assert ps.shape == (40, 3) and pt.shape == (40, 2)
    # row i of both sides encodes the same item index
    np.testing.assert_array_equal(ps[:, 0], pt[:, 0] - 0.5)
    np.testing.assert_array_equal(ps[:, 0], task.indices["pairs"])


def test_integer_counts_and_string_labels():
    source, target, _ = _ids(120)
    y = np.array(["a", "b", "c"])[np.arange(120) % 3]
    task = make_transfer_task(
        source,
        target,
        y,
        n_target_labeled_per_class=2,
        n_pairs=10,
        n_source_labeled=20,
        n_source_unlabeled=5,
        n_target_unlabeled=7,
        n_test=30,
        random_state=0,
    )
    assert task.X.shape == (6, 2) and sorted(task.y) == ["a", "a", "b", "b", "c", "c"]
    assert task.X_test.shape == (30, 2)
    assert task.X_source.X.shape == (25, 3)
    assert list(task.X_source.y[20:]) == [None] * 5
    assert task.X_unlabeled.X.shape == (7, 2)


def test_seed_reproducibility(mfeat):
    views, y = mfeat
    a = make_transfer_task(views["fac"], views["fou"], y, random_state=7)
    b = make_transfer_task(views["fac"], views["fou"], y, random_state=7)
    c = make_transfer_task(views["fac"], views["fou"], y, random_state=8)
    for key in SETS:
        np.testing.assert_array_equal(a.indices[key], b.indices[key])
    assert not np.array_equal(a.indices["test"], c.indices["test"])
    rng = np.random.RandomState(7)
    d = make_transfer_task(views["fac"], views["fou"], y, random_state=rng)
    np.testing.assert_array_equal(a.indices["test"], d.indices["test"])


def test_error_rows_mismatch():
    source, target, y = _ids(50)
    with pytest.raises(ValueError, match="X_target_view has 49 rows"):
        make_transfer_task(source, target[:49], y)


def test_error_too_few_class_members():
    source, target, y = _ids(20, n_classes=10)  # 2 items per class
    with pytest.raises(ValueError, match="fewer than n_target_labeled_per_class=3"):
        make_transfer_task(source, target, y)


def test_error_sets_too_large():
    source, target, y = _ids(100)
    with pytest.raises(ValueError, match="only 88 are left"):
        make_transfer_task(source, target, y, n_pairs=80, n_test=50)


@pytest.mark.parametrize(
    "kwargs", [{"n_pairs": -1}, {"n_test": 1.5}, {"n_target_labeled_per_class": 0}]
)
def test_error_bad_sizes(kwargs):
    source, target, y = _ids(100)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        make_transfer_task(source, target, y, **kwargs)
