"""The loss terms of DATN, one function per equation of the paper.

Scale convention (METHOD.md, resolution 7): sums over rows are replaced by
per-row means so that α and β in {0, ..., 10} weigh terms of comparable size.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F


def recon_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L_*,recon (Eq. 1): squared reconstruction error, mean over rows."""
    return (x_hat - x).pow(2).sum(dim=1).mean()


def soft_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L_*,soft (Eq. 2): mean negative log-likelihood of the softmax over labelled rows."""
    return F.cross_entropy(logits, y)


def reg_loss(weights: Iterable[torch.Tensor], lambda_reg: float) -> torch.Tensor:
    """L_reg (Eq. 3, 4): λ Σ_l (||W^(l)||_F² + ||b^(l)||²) over encoder parameters."""
    return lambda_reg * sum(w.pow(2).sum() for w in weights)


def ridge_map(
    z_source: torch.Tensor, z_target: torch.Tensor, lambda_pair: float
) -> torch.Tensor:
    """The closed form of G (Alg. 1, line 11), the minimiser of :func:`pair_loss`.

    G = (Z_T^c' Z_T^c + λ0 I)^-1 Z_T^c' Z_S^c, solved in float64.
    """
    zt = z_target.detach().double()
    zs = z_source.detach().double()
    gram = zt.T @ zt
    gram.diagonal().add_(lambda_pair)
    return torch.linalg.solve(gram, zt.T @ zs).to(z_target.dtype)


def pair_loss(
    z_source: torch.Tensor,
    z_target: torch.Tensor,
    G: torch.Tensor,
    lambda_pair: float,
) -> torch.Tensor:
    """L_pair (Eq. 4): (||Z_S^c - Z_T^c G||_F² + λ0 ||G||_F²) / n_c.

    Dividing the paper's sum by the number of pairs keeps :func:`ridge_map` the
    exact minimiser over G while putting the term on a per-row scale.
    """
    n = z_source.shape[0]
    residual = (z_source - z_target @ G).pow(2).sum()
    return (residual + lambda_pair * G.pow(2).sum()) / n


def trans_loss(
    z_target: torch.Tensor,
    G: torch.Tensor,
    classifier: torch.nn.Module,
    y: torch.Tensor,
) -> torch.Tensor:
    """L_trans (Eq. 4's classifier adaptation): softmax(f_T(x) G ϑ_S) on labelled target rows.

    The source classifier ϑ_S, reached through G, classifies target rows: the
    asymmetric part of DATN.
    """
    return F.cross_entropy(classifier(z_target @ G), y)


def mmd_loss(z_source: torch.Tensor, z_target: torch.Tensor) -> torch.Tensor:
    """L_unsup (Eq. 4): linear-kernel MMD, ||mean z_S - mean z_T||²."""
    return (z_source.mean(dim=0) - z_target.mean(dim=0)).pow(2).sum()
