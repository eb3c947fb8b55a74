"""make_unpaired_task: per-class draws, target sets, no pairs, seeds and errors."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import DATA_DIR, needs_data

from skdatn import Domain
from skdatn.datasets import load_office_caltech, make_unpaired_task

TARGET_SETS = ("target_labeled", "target_unlabeled", "test")


def _domains(n_source=120, n_target=60, n_classes=4):
    """Two domains whose first column is the row index, so rows can be traced:
    4 classes of 30 source rows and of 15 target rows."""
    source = np.column_stack(
        [np.arange(n_source), np.ones(n_source), -np.ones(n_source)]
    )
    target = np.column_stack([np.arange(n_target), np.zeros(n_target)])
    y_source = np.arange(n_source) % n_classes
    y_target = np.minimum(np.arange(n_target) * n_classes // n_target, n_classes - 1)
    return source.astype(float), y_source, target.astype(float), y_target


def test_per_class_counts_and_row_tracing():
    Xs, ys, Xt, yt = _domains()
    task = make_unpaired_task(
        Xs,
        ys,
        Xt,
        yt,
        n_source_labeled_per_class=5,
        n_target_labeled_per_class=2,
        random_state=0,
    )
    idx = task.indices
    assert np.array_equal(np.bincount(ys[idx["source_labeled"]]), [5, 5, 5, 5])
    assert np.array_equal(np.bincount(task.y), [2, 2, 2, 2])
    assert idx["source_unlabeled"].size == 0  # the other source rows are left out
    # every array holds the rows its indices name (column 0 is the row index)
    np.testing.assert_array_equal(task.X_source.X[:, 0], idx["source_labeled"])
    np.testing.assert_array_equal(task.X_source.y, ys[idx["source_labeled"]])
    np.testing.assert_array_equal(task.X[:, 0], idx["target_labeled"])
    np.testing.assert_array_equal(task.y, yt[idx["target_labeled"]])
    np.testing.assert_array_equal(task.X_test[:, 0], idx["test"])
    np.testing.assert_array_equal(task.y_test, yt[idx["test"]])
    np.testing.assert_array_equal(task.X_unlabeled.X[:, 0], idx["target_unlabeled"])
    assert task.X_unlabeled.y is None


def test_transductive_test_rows_are_the_rest_and_the_unlabeled_rows():
    Xs, ys, Xt, yt = _domains()
    task = make_unpaired_task(
        Xs, ys, Xt, yt, n_source_labeled_per_class=5, random_state=1
    )
    idx = task.indices
    assert np.intersect1d(idx["target_labeled"], idx["test"]).size == 0
    # labelled and test rows are all the target rows
    together = np.sort(np.concatenate([idx["target_labeled"], idx["test"]]))
    np.testing.assert_array_equal(together, np.arange(yt.size))
    np.testing.assert_array_equal(idx["target_unlabeled"], idx["test"])
    np.testing.assert_array_equal(task.X_unlabeled.X, task.X_test)


def test_inductive_sets_are_disjoint_and_sized():
    Xs, ys, Xt, yt = _domains()
    task = make_unpaired_task(
        Xs,
        ys,
        Xt,
        yt,
        n_source_labeled_per_class=5,
        n_target_labeled_per_class=2,
        n_test=20,
        n_target_unlabeled=0.25,
        transductive=False,
        random_state=2,
    )
    idx = task.indices
    assert idx["test"].size == 20 and idx["target_unlabeled"].size == 13  # 0.25 * 52
    together = np.concatenate([idx[k] for k in TARGET_SETS])
    assert np.unique(together).size == together.size, "target sets overlap"
    # by default the test rows and the unlabelled rows share the rest
    default = make_unpaired_task(
        Xs, ys, Xt, yt, n_source_labeled_per_class=5, transductive=False
    )
    sizes = [default.indices[k].size for k in TARGET_SETS]
    assert sizes == [12, 24, 24]
    only_test = make_unpaired_task(
        Xs, ys, Xt, yt, n_source_labeled_per_class=5, n_test=10, transductive=False
    )
    assert only_test.indices["target_unlabeled"].size == 38


def test_source_unlabeled_rows_are_kept_marked():
    Xs, ys, Xt, yt = _domains()
    task = make_unpaired_task(
        Xs, ys, Xt, yt, n_source_labeled_per_class=5, n_source_unlabeled=30
    )
    idx = task.indices
    assert idx["source_unlabeled"].size == 30
    assert np.intersect1d(idx["source_labeled"], idx["source_unlabeled"]).size == 0
    assert task.X_source.X.shape == (50, 3)
    np.testing.assert_array_equal(task.X_source.X[20:, 0], idx["source_unlabeled"])
    assert np.all(task.X_source.y[:20] >= 0) and np.all(task.X_source.y[20:] == -1)
    every = make_unpaired_task(
        Xs, ys, Xt, yt, n_source_labeled_per_class=5, n_source_unlabeled=1.0
    )
    assert every.X_source.X.shape == (120, 3)
    all_labeled = make_unpaired_task(Xs, ys, Xt, yt, n_source_labeled_per_class=None)
    np.testing.assert_array_equal(all_labeled.X_source.y, ys)


def test_no_pairs_are_given_to_fit():
    Xs, ys, Xt, yt = _domains()
    task = make_unpaired_task(Xs, ys, Xt, yt, n_source_labeled_per_class=5)
    assert task.fit_params == {
        "X_source": task.X_source,
        "X_unlabeled": task.X_unlabeled,
    }
    assert isinstance(task.X_source, Domain) and isinstance(task.X_unlabeled, Domain)
    assert "pairs" not in task


def test_string_labels_sparse_rows_and_seeds():
    Xs, ys, Xt, yt = _domains()
    names = np.array(["a", "b", "c", "d"])
    kwargs = dict(n_source_labeled_per_class=3, n_source_unlabeled=4, random_state=5)
    task = make_unpaired_task(sp.csr_matrix(Xs), names[ys], Xt, names[yt], **kwargs)
    assert sp.issparse(task.X_source.X) and task.X_source.X.shape == (16, 3)
    assert list(task.X_source.y[12:]) == [None] * 4
    assert sorted(set(task.y)) == ["a", "b", "c", "d"]
    again = make_unpaired_task(Xs, ys, Xt, yt, **kwargs)
    other = make_unpaired_task(Xs, ys, Xt, yt, **{**kwargs, "random_state": 6})
    for key, value in task.indices.items():
        np.testing.assert_array_equal(value, again.indices[key])
    assert not np.array_equal(task.indices["test"], other.indices["test"])
    assert not np.array_equal(
        task.indices["source_labeled"], other.indices["source_labeled"]
    )


def test_cdls_fits_the_task():
    """The recipe's output is what a baseline that needs no pairs takes."""
    from skdatn.baselines import CDLSClassifier

    rng = np.random.default_rng(0)
    ys, yt = np.repeat(np.arange(3), 30), np.repeat(np.arange(3), 20)
    Xs = np.eye(3)[ys] @ rng.normal(size=(3, 6)) * 3 + rng.normal(size=(90, 6))
    Xt = np.eye(3)[yt] @ rng.normal(size=(3, 4)) * 3 + rng.normal(size=(60, 4))
    task = make_unpaired_task(
        Xs, ys, Xt, yt, n_source_labeled_per_class=10, random_state=0
    )
    clf = CDLSClassifier(n_components=4, max_iter=2)
    clf.fit(task.X, task.y, **task.fit_params)
    assert clf.predict(task.X_test).shape == task.y_test.shape


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"n_source_labeled_per_class": 31},
            r"of y_source has 30 items.*n_source_labeled_per_class=31",
        ),
        (
            {"n_target_labeled_per_class": 16},
            r"of y_target has 15 items.*n_target_labeled_per_class=16",
        ),
        (
            {"n_target_unlabeled": 5},
            "n_target_unlabeled=5 was given with transductive=True",
        ),
        ({"n_test": 49}, "only 48 are left"),
        (
            {"n_test": 40, "n_target_unlabeled": 10, "transductive": False},
            "need 50 rows",
        ),
        ({"n_target_unlabeled": 60, "transductive": False}, "only 48 are left"),
        ({"n_source_unlabeled": 101}, "n_source_unlabeled=101 asks for 101"),
        ({"n_source_labeled_per_class": 0}, "n_source_labeled_per_class"),
        ({"n_test": 1.5}, "n_test"),
        ({"transductive": "yes"}, "transductive"),
    ],
)
def test_errors_name_the_argument(kwargs, match):
    Xs, ys, Xt, yt = _domains()
    kwargs = {"n_source_labeled_per_class": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_unpaired_task(Xs, ys, Xt, yt, **kwargs)


def test_errors_rows_and_labels():
    Xs, ys, Xt, yt = _domains()
    with pytest.raises(ValueError, match="X_target has 60 rows but y_target has 59"):
        make_unpaired_task(Xs, ys, Xt, yt[:59], n_source_labeled_per_class=5)
    with pytest.raises(ValueError, match="y_source must be 1-D"):
        make_unpaired_task(Xs, ys[:, None], Xt, yt, n_source_labeled_per_class=5)


@needs_data
def test_office_caltech_surf_amazon_to_googlenet_webcam():
    data = load_office_caltech(DATA_DIR)
    task = make_unpaired_task(
        data.views["surf_A"],
        data.targets["surf_A"],
        data.views["googlenet_W"],
        data.targets["googlenet_W"],
        random_state=0,
    )
    assert task.X_source.X.shape == (200, 800) and task.X.shape == (30, 1024)
    assert task.X_test.shape == (265, 1024)  # the 295 webcam rows but 30
    assert np.array_equal(np.bincount(task.X_source.y), [20] * 10)
    assert np.array_equal(np.bincount(task.y), [3] * 10)
    # dslr's classes have 8 to 24 images: 20 per class cannot be drawn
    with pytest.raises(ValueError, match="Class 0 of y_source has 12 items"):
        make_unpaired_task(
            data.views["surf_D"],
            data.targets["surf_D"],
            data.views["googlenet_W"],
            data.targets["googlenet_W"],
        )
