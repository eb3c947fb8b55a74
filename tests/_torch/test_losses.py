"""The loss terms match the paper's equations."""

import torch
import torch.nn.functional as F
from torch.testing import assert_close

from skdatn._torch.losses import (
    mmd_loss,
    pair_loss,
    recon_loss,
    reg_loss,
    soft_loss,
    solve_ridge,
    trans_loss,
)


def randn(*shape, seed=0):
    return torch.randn(
        *shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )


def test_solve_ridge_minimises_pair_loss():
    zs, zt = randn(50, 4, seed=1), randn(50, 4, seed=2)
    G = solve_ridge(zt.T @ zt, zt.T @ zs, 0.1).requires_grad_(True)
    pair_loss(zs, zt, G, 0.1).backward()
    assert_close(G.grad, torch.zeros_like(G), atol=1e-10, rtol=0)
    closed = torch.linalg.inv(zt.T @ zt + 0.1 * torch.eye(4)) @ zt.T @ zs
    assert_close(G.detach(), closed)


def test_pair_loss_is_the_paper_sum_per_pair():
    zs, zt, G = randn(10, 3, seed=1), randn(10, 3, seed=2), randn(3, 3, seed=3)
    expected = (
        torch.linalg.norm(zs - zt @ G) ** 2 + 0.5 * torch.linalg.norm(G) ** 2
    ) / 10
    assert_close(pair_loss(zs, zt, G, 0.5), expected)


def test_recon_and_soft_and_reg():
    x, x_hat = randn(8, 5, seed=1), randn(8, 5, seed=2)
    assert_close(recon_loss(x_hat, x), ((x_hat - x) ** 2).sum() / 8)
    logits, y = randn(8, 3), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    manual = -torch.log_softmax(logits, 1)[torch.arange(8), y].mean()
    assert_close(soft_loss(logits, y), manual)
    w, b = randn(3, 2), randn(3)
    assert_close(reg_loss([w, b], 1e-4), 1e-4 * ((w**2).sum() + (b**2).sum()))


def test_trans_loss_uses_the_source_classifier_through_G():
    zt, G = randn(6, 4, seed=1), randn(4, 4, seed=2)
    classifier = torch.nn.Linear(4, 3, bias=False).double()
    y = torch.tensor([0, 1, 2, 2, 1, 0])
    assert_close(
        trans_loss(zt, G, classifier, y),
        F.cross_entropy(zt @ G @ classifier.weight.T, y),
    )


def test_mmd_loss():
    z = randn(20, 3)
    assert (
        float(
            mmd_loss(
                z, z[torch.randperm(20, generator=torch.Generator().manual_seed(0))]
            )
        )
        < 1e-20
    )
    assert_close(mmd_loss(z, z + 2.0), torch.tensor(12.0, dtype=torch.float64))
