"""Sparse rows through a pathway: the dense computation's values and gradients,
from the non-zeros."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import FAST
from numpy.testing import assert_allclose
from torch import nn

from skdatn import DATNClassifier, Domain, Pairs
from skdatn._torch import data as data_module
from skdatn._torch.data import SparseRows
from skdatn._torch.losses import recon_loss
from skdatn._torch.networks import InputLayer, Pathway
from skdatn._torch.sparse import (
    SparseBatch,
    linear,
    sparse_batches_pay,
    sparse_recon_loss,
)
from tests._torch.test_data import INDICES, matrix, store


def batch_of(X: torch.Tensor, offset=None) -> SparseBatch:
    counts = (X != 0).sum(dim=1)
    crow = torch.zeros(X.shape[0] + 1, dtype=torch.long)
    crow[1:] = torch.cumsum(counts, 0)
    rows, cols = X.nonzero(as_tuple=True)
    return SparseBatch(crow, cols, X[rows, cols], X.shape[1], offset)


@pytest.fixture
def rows():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(9, 13, generator=g)
    X[torch.rand(9, 13, generator=g) < 0.7] = 0.0
    X[[0, 4]] = 0.0  # empty rows
    return X


@pytest.mark.parametrize("centred", [False, True])
@pytest.mark.parametrize("part", [slice(None), slice(3, 7), slice(4, 5), slice(2, 2)])
def test_first_layer_of_sparse_rows_is_the_dense_layer(rows, centred, part):
    offset = torch.randn(13) if centred else None
    x = batch_of(rows, offset)[part]
    dense = (rows if offset is None else rows + offset)[part]
    assert torch.equal(x.to_dense(), dense)
    torch.manual_seed(0)
    for layer in (nn.Linear(13, 5), InputLayer(13, 5)):
        nn.init.normal_(
            layer.weight_t if isinstance(layer, InputLayer) else layer.weight
        )
        nn.init.normal_(layer.bias)
        out_dense = layer(dense)
        out_sparse = linear(x, layer)
        assert_allclose(out_sparse.detach(), out_dense.detach(), atol=1e-5)
        g_dense = torch.autograd.grad(out_dense.pow(2).sum(), list(layer.parameters()))
        g_sparse = torch.autograd.grad(
            out_sparse.pow(2).sum(), list(layer.parameters())
        )
        for a, b in zip(g_dense, g_sparse, strict=True):
            assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("centred", [False, True])
@pytest.mark.parametrize("n", [None, 20])
def test_sparse_reconstruction_loss_is_eq1_with_its_gradients(rows, centred, n):
    offset = torch.randn(13) if centred else None
    dense = rows if offset is None else rows + offset
    layer = nn.Linear(6, 13)
    u = torch.randn(9, 6).relu().requires_grad_()
    wrt = [u, layer.weight, layer.bias]
    expected = recon_loss(layer(u), dense, n)
    got = sparse_recon_loss(u, layer, batch_of(rows, offset), n)
    assert_allclose(got.item(), expected.item(), rtol=1e-5)
    for a, b in zip(
        torch.autograd.grad(expected, wrt), torch.autograd.grad(got, wrt), strict=True
    ):
        assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["standard", "maxabs"])
def test_sparse_batches_hold_the_rows_asked_for(kind):
    X = matrix()
    dense = store(X, kind)
    sparse = store(X, kind, sparse=True)
    sparse.sparse_batches = True
    assert sparse.dense_width == 0 and dense.dense_width == X.shape[1]
    for index in INDICES:
        batch = sparse.take(index)
        assert isinstance(batch, SparseBatch)
        assert torch.equal(batch.to_dense(), dense.take(index)), index


def test_sparse_batches_pay_for_wide_sparse_rows_only():
    # A bag of words: 50 non-zeros in 20,000 columns, full batches.
    assert sparse_batches_pay(20_000, 50 * 1000, 1000, 128, 1000)
    # Half the entries non-zero: densifying is cheaper.
    assert not sparse_batches_pay(200, 100 * 1000, 1000, 128, 1000)
    # Steps of 8 rows: the once-per-step d h² term outweighs the savings.
    assert not sparse_batches_pay(20_000, 50 * 1000, 1000, 128, 8)
    assert not sparse_batches_pay(20_000, 0, 0, 128, 1)


def test_input_layer_saves_the_layout_of_nn_linear():
    g = torch.Generator().manual_seed(0)
    net = Pathway(11, (6, 3), 2, g)
    state = net.state_dict()
    assert state["encoder.0.weight"].shape == (6, 11)
    assert "encoder.0.weight_t" not in state
    other = Pathway(11, (6, 3), 2, torch.Generator().manual_seed(1))
    other.load_state_dict(state)
    x = torch.randn(4, 11)
    assert torch.equal(other.encode(x), net.encode(x))
    # The initial weights are those nn.Linear would hold from the same draws.
    linear_first = torch.empty(6, 11).uniform_(
        -np.sqrt(6 / 11), np.sqrt(6 / 11), generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(net.encoder[0].weight, linear_first)


@pytest.fixture
def taken(monkeypatch):
    """The types of the batches that sparse row stores serve."""
    types = []
    take = SparseRows.take

    def spy(self, index=None):
        out = take(self, index)
        types.append(type(out))
        return out

    monkeypatch.setattr(SparseRows, "take", spy)
    return types


@pytest.fixture
def always_sparse(monkeypatch, taken):
    """Sparse rows are served as sparse batches (and encoded sparse at
    inference), whatever their width."""
    import skdatn._datn

    monkeypatch.setattr(data_module, "sparse_batches_pay", lambda *a: True)
    monkeypatch.setattr(skdatn._datn, "sparse_batches_pay", lambda *a: True)
    return taken


def sparse_inputs(task):
    return {
        "X_source": Domain(sp.csr_matrix(task.X_source.X), task.X_source.y),
        "pairs": Pairs(
            sp.csr_matrix(task.pairs.source), sp.csr_matrix(task.pairs.target)
        ),
        "X_unlabeled": Domain(sp.csr_matrix(task.X_unlabeled.X)),
    }


@pytest.mark.parametrize(
    "input_scaling, batch_size", [("maxabs", None), ("standard", None), ("l2", 32)]
)
def test_sparse_batches_train_the_dense_model(
    task, always_sparse, input_scaling, batch_size
):
    params = {**FAST, "input_scaling": input_scaling, "batch_size": batch_size}
    dense = DATNClassifier(**params).fit(task.X, task.y, **task.fit_params)
    assert not always_sparse
    sparse = DATNClassifier(**params).fit(
        sp.csr_matrix(task.X), task.y, **sparse_inputs(task)
    )
    assert set(always_sparse) == {SparseBatch}
    # The same function and gradients, rounded differently.
    assert_allclose(sparse.G_, dense.G_, atol=1e-3)
    assert_allclose(
        sparse.predict_proba(sp.csr_matrix(task.X_test)),
        dense.predict_proba(task.X_test),
        atol=1e-3,
    )
    losses = [[h["loss"] for h in m.history_] for m in (dense, sparse)]
    assert_allclose(losses[1], losses[0], rtol=1e-3)


def test_wide_sparse_text_trains_on_its_non_zeros(taken):
    # 200,000 columns: densified, the 240 rows alone would take 190 MB in
    # float32 and every epoch 200,000 x 16 weights per row.
    rng = np.random.default_rng(0)
    n, d = 240, 200_000
    y = np.arange(n) % 2

    def bags(words):
        noise = sp.random(n, d, density=20 / d, format="csr", random_state=rng)
        rows, cols = np.nonzero(y[:, None] * np.ones(5))  # words that tell the class
        signal = sp.csr_matrix((np.ones(rows.size), (rows, words[cols])), shape=(n, d))
        return (noise + signal).tocsr()

    Xs, Xt = bags(np.arange(5)), bags(np.arange(5, 10))
    clf = DATNClassifier(**FAST).fit(
        Xt[:40],
        y[:40],
        X_source=Domain(Xs[40:], y[40:]),
        pairs=Pairs(Xs[:40], Xt[:40]),
    )
    assert set(taken) == {SparseBatch}
    first, last = clf.history_[0], clf.history_[-1]
    assert first["stage"] == "pretrain_source" and last["stage"] == "finetune"
    assert last["soft_source"] < first["soft"]  # the labels' gradients went through
    assert np.isfinite(clf.predict_proba(Xt[40:])).all()
