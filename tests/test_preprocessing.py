"""InputScaler: the per-domain scalings, fitted over blocks, dense or sparse alike."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

from skdatn import DATNClassifier
from skdatn._preprocessing import InputScaler, iter_chunks, make_scaler, resolve_scaling


def rows(seed=0, n=40, d=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(loc=3.0, size=(n, d)) * rng.uniform(0.5, 5, size=d)
    X[rng.random((n, d)) < 0.6] = 0.0  # sparse-like
    X[5] = 0.0  # an empty row
    return X


@pytest.mark.parametrize("kind", ["standard", "l2", "maxabs", "none", None])
def test_sparse_and_dense_rows_scale_the_same(kind):
    X = rows()
    dense = make_scaler(kind).fit(X)
    sparse = make_scaler(kind).fit(sp.csr_matrix(X))
    # The statistics are summed in the same order: the same bits.
    assert_array_equal(sparse.scale_, dense.scale_)
    assert_array_equal(sparse.transform(sp.csr_matrix(X)), dense.transform(X))
    # One fitted scaler gives exactly the same rows from either input.
    assert_array_equal(
        dense.scale_rows(sp.csr_matrix(X)).toarray(), dense.scale_rows(X)
    )
    assert_array_equal(dense.transform(sp.csr_matrix(X)), dense.transform(X))


def test_matches_scikit_learn_scalers():
    X = rows()
    assert_allclose(
        InputScaler("standard").fit(X).transform(X),
        StandardScaler().fit_transform(X),
        atol=1e-12,
    )
    assert_allclose(
        InputScaler("maxabs").fit(X).transform(X),
        MaxAbsScaler().fit_transform(X),
        atol=1e-12,
    )
    l2 = InputScaler("l2").fit(X).transform(X)
    norms = np.linalg.norm(l2, axis=1)
    assert_allclose(norms[norms > 0], np.sqrt(X.shape[1]))
    assert norms[5] == 0.0  # an empty row stays empty
    assert_array_equal(InputScaler("none").fit(X).transform(X), X)


@pytest.mark.parametrize("sparse", [False, True])
def test_constant_features_are_left_unscaled(sparse):
    X = rows()
    X[:, 2] = 0.1  # not exactly representable: its variance is rounding noise
    X[:, 3] = 0.0
    M = sp.csr_matrix(X) if sparse else X
    standard = InputScaler("standard").fit(M)
    assert standard.scale_[2] == standard.scale_[3] == 1.0
    assert_allclose(standard.transform(M)[:, [2, 3]], 0.0, atol=1e-15)
    assert InputScaler("maxabs").fit(M).scale_[3] == 1.0


def test_fit_blocks_equals_fit_on_the_stacked_rows():
    A, B = rows(0), rows(1, n=25)
    pick = np.array([3, 0, 7, 7, 11])
    stacked = np.vstack([A, B[pick]])
    for kind in ["standard", "maxabs"]:
        whole = InputScaler(kind).fit(stacked)
        for blocks in (
            [(A, None), (B, pick)],
            [(sp.csr_matrix(A), None), (sp.csr_matrix(B), pick)],
        ):
            parts = InputScaler(kind).fit_blocks(blocks)
            assert_allclose(parts.scale_, whole.scale_, rtol=1e-12)
            if kind == "standard":
                assert_allclose(parts.offset_, whole.offset_, rtol=1e-10)


def test_duplicate_sparse_entries_are_summed():
    X = sp.csr_matrix(
        (np.array([1.0, 2.0, 4.0]), np.array([0, 0, 1]), np.array([0, 2, 3])),
        shape=(2, 2),
    )
    assert not X.has_canonical_format
    for kind in ["standard", "l2"]:
        dense = InputScaler(kind).fit(X.toarray())
        sparse = InputScaler(kind).fit(X)
        assert_allclose(sparse.transform(X), dense.transform(X.toarray()))
    assert X.data.tolist() == [1.0, 2.0, 4.0]  # the input is untouched


def test_inputs_are_not_modified():
    X = rows()
    Xs = sp.csr_matrix(X)
    before = X.copy(), Xs.data.copy()
    for kind in ["standard", "l2", "maxabs"]:
        scaler = InputScaler(kind).fit(X)
        scaler.transform(X)
        scaler.transform(Xs)
        scaler.scale_rows(Xs)
    assert_array_equal(X, before[0])
    assert_array_equal(Xs.data, before[1])


def test_float32_rows_are_scaled_in_float64():
    X = rows().astype(np.float32)
    out = InputScaler("standard").fit(X).transform(X)
    assert out.dtype == np.float64
    assert_allclose(out, StandardScaler().fit_transform(X.astype(np.float64)))


def test_errors():
    scaler = InputScaler("standard").fit(rows())
    with pytest.raises(ValueError, match="X has 3 features, but this scaler"):
        scaler.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="input_scaling must be one of"):
        make_scaler("minmax")
    with pytest.raises(ValueError, match="input_scaling must be one of"):
        InputScaler("minmax").fit(rows())


def test_iter_chunks_covers_the_rows_in_order():
    X = np.arange(20.0).reshape(10, 2)
    chunks = list(iter_chunks(X, chunk_rows=4))
    assert [c.shape[0] for c in chunks] == [4, 4, 2]
    assert_array_equal(np.vstack(chunks), X)
    pick = np.array([9, 1, 1, 4, 0])
    chunks = list(iter_chunks(sp.csr_matrix(X), pick, chunk_rows=2))
    assert_array_equal(sp.vstack(chunks).toarray(), X[pick])
    assert list(iter_chunks(X, np.array([], dtype=int))) == []


# ---------------------------------------------------------------- auto scaling
def _bag_of_words(rng, n=60, d=200, density=0.03):
    return sp.random(n, d, density=density, random_state=rng, format="csr") * 5


def test_auto_scales_sparse_nonnegative_data_by_max_abs():
    rng = np.random.RandomState(0)
    counts = _bag_of_words(rng)
    assert resolve_scaling("auto", counts) == "maxabs"
    assert resolve_scaling("auto", counts.toarray()) == "maxabs"
    assert make_scaler("auto", counts.toarray()).kind == "maxabs"
    assert make_scaler("auto").fit(counts).kind_ == "maxabs"


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
    assert make_scaler("auto", X).kind == "standard"
    assert make_scaler("auto").fit(X).kind_ == "standard"


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
    assert clf.source_scaler_.kind_ == "maxabs"
    assert clf.target_scaler_.kind_ == "standard"


def test_auto_reads_every_block_of_a_domain():
    rng = np.random.RandomState(0)
    words = _bag_of_words(rng).toarray()
    signed = rng.normal(size=(5, words.shape[1]))
    assert resolve_scaling("auto", [(words, None)]) == "maxabs"
    assert resolve_scaling("auto", [(words, None), (signed, None)]) == "standard"
    assert resolve_scaling("auto", [(words, None), (signed, np.array([], int))]) == (
        "maxabs"
    )
    assert resolve_scaling("auto", [(words, None), (sp.csr_matrix(signed), None)]) == (
        "maxabs"  # a sparse block: centring would densify it
    )
