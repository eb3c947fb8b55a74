"""Row stores: dense and CSR rows served batch by batch, the same either way."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_array_equal

from skdatn._preprocessing import InputScaler, iter_chunks
from skdatn._torch.data import DenseRows, SparseRows, build_rows


def matrix(n=30, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.random((n, d)) < 0.7] = 0.0
    X[[0, 4, 29]] = 0.0  # empty rows, the last one included
    return X


def store(X, kind="standard", sparse=False, chunk_rows=7):
    scaler = InputScaler(kind).fit(X)
    M = sp.csr_matrix(X) if sparse else X
    return build_rows(
        iter_chunks(M, chunk_rows=chunk_rows),
        n_rows=X.shape[0],
        sparse=sparse,
        scale_rows=scaler.scale_rows,
        offset=scaler.offset_,
        n_features=X.shape[1],
        device="cpu",
        storage="cpu",
    )


INDICES = [
    None,
    slice(0, 30),
    slice(3, 11),
    slice(29, 30),
    slice(5, 5),
    torch.tensor([4, 0, 29, 7, 7, 12]),  # empty rows, a repeated row
    torch.tensor([], dtype=torch.long),
]


@pytest.mark.parametrize("kind", ["standard", "l2", "maxabs", "none"])
def test_sparse_rows_densify_to_the_dense_rows(kind):
    X = matrix()
    dense, sparse = store(X, kind), store(X, kind, sparse=True)
    assert isinstance(dense, DenseRows) and isinstance(sparse, SparseRows)
    assert (sparse.n_rows, sparse.n_features) == (dense.n_rows, dense.n_features)
    for index in INDICES:
        a, b = dense.take(index), sparse.take(index)
        assert a.dtype == b.dtype == torch.float32
        assert torch.equal(a, b), index


def test_dense_rows_are_the_scaled_rows_in_float32():
    X = matrix()
    expected = InputScaler("standard").fit(X).transform(X)
    got = store(X).take(None).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert_array_equal(store(X, chunk_rows=100).take(None).numpy(), got)


def test_sparse_store_holds_only_the_non_zeros():
    X = matrix()
    s = store(X, "l2", sparse=True)
    assert s.val.numel() == np.count_nonzero(X)
    assert s.offset is None
    assert store(X, "standard", sparse=True).offset.shape == (X.shape[1],)
