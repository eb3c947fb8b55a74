"""The loss terms of DATN, one function per equation of the paper.

Scale convention (METHOD.md, resolution 7): sums over rows are replaced by
per-row means so that α and β in {0, ..., 10} weigh terms of comparable size.

Under mixed precision the networks' outputs may be float16 or bfloat16; every
reduction here runs in float32 (or the inputs' wider type).

The per-row losses take an optional denominator ``n``: a full batch processed
in chunks sums each chunk's rows and divides by the full batch's size, so that
the chunks' terms add up to the full batch's mean.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F


def recon_loss(
    x_hat: torch.Tensor, x: torch.Tensor, n: int | None = None
) -> torch.Tensor:
    """L_*,recon (Eq. 1): squared reconstruction error, mean over rows (sum / ``n``)."""
    # One fused kernel each way (a subtraction, a square and a sum would each
    # read the whole batch again).
    n = x.shape[0] if n is None else n
    return F.mse_loss(_wide(x_hat), _wide(x), reduction="sum") / n


def soft_loss(
    logits: torch.Tensor, y: torch.Tensor, n: int | None = None
) -> torch.Tensor:
    """L_*,soft (Eq. 2): mean negative log-likelihood of the softmax over labelled
    rows (sum / ``n``)."""
    if n is None:
        return F.cross_entropy(logits, y)
    return F.cross_entropy(logits, y, reduction="sum") / n


def reg_loss(weights: Iterable[torch.Tensor], lambda_reg: float) -> torch.Tensor:
    """L_reg (Eq. 3, 4): λ Σ_l (||W^(l)||_F² + ||b^(l)||²) over encoder parameters."""
    return lambda_reg * sum(_SquaredNorm.apply(w) for w in weights)


class _SquaredNorm(torch.autograd.Function):
    """||w||², with one temporary the size of ``w`` (for its gradient 2w) where
    ``w.pow(2).sum()`` makes three: a wide first layer has millions of weights."""

    @staticmethod
    def forward(ctx, w: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(w)
        flat = w.reshape(-1)
        return torch.dot(flat, flat)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (w,) = ctx.saved_tensors
        return w * (2 * grad)


def solve_ridge(
    gram: torch.Tensor, cross: torch.Tensor, lambda_pair: float
) -> torch.Tensor:
    """The closed form of G (Alg. 1, line 11), the minimiser of :func:`pair_loss`:
    G = (gram + λ0 I)^-1 cross, from ``gram = Z_T^c' Z_T^c`` and
    ``cross = Z_T^c' Z_S^c`` (which can be summed over chunks of pairs)."""
    gram = gram.clone()
    gram.diagonal().add_(lambda_pair)
    return torch.linalg.solve(gram, cross)


def pair_loss(
    z_source: torch.Tensor,
    z_target: torch.Tensor,
    G: torch.Tensor,
    lambda_pair: float,
    n: int | None = None,
    penalty: bool = True,
) -> torch.Tensor:
    """L_pair (Eq. 4): (||Z_S^c - Z_T^c G||_F² + λ0 ||G||_F²) / n_c.

    Dividing the paper's sum by the number of pairs keeps :func:`solve_ridge` the
    exact minimiser over G while putting the term on a per-row scale. For a
    chunk of the pairs, ``n`` is n_c and ``penalty`` says whether this chunk
    carries the λ0 term (one chunk does).
    """
    n = z_source.shape[0] if n is None else n
    loss = (_wide(z_source) - _wide(z_target @ G)).pow(2).sum()
    if penalty:
        loss = loss + lambda_pair * G.pow(2).sum()
    return loss / n


def class_means(
    z: torch.Tensor, y: torch.Tensor, n_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean code of each class among rows ``z`` (labels ``y``), float32 or
    wider (``n_classes`` x d; zero for an absent class), and the classes present."""
    z = _wide(z)
    onehot = F.one_hot(y, n_classes).to(z.dtype)
    counts = onehot.sum(dim=0)
    return (onehot.T @ z) / counts.clamp(min=1).unsqueeze(1), counts > 0


def class_pair_loss(
    z_source: torch.Tensor,
    y_source: torch.Tensor,
    z_target: torch.Tensor,
    y_target: torch.Tensor,
    G: torch.Tensor,
    lambda_pair: float,
    n_classes: int,
) -> torch.Tensor:
    """L_pair without pairs (beyond the paper): :func:`pair_loss` over the pairs of
    class means, the mean source code and the mean target code of each class
    present in both domains' labelled rows (none in a mini-batch that shares no
    class: then only the λ0 term)."""
    ms, present_s = class_means(z_source, y_source, n_classes)
    mt, present_t = class_means(z_target, y_target, n_classes)
    both = (present_s & present_t).to(ms.dtype)
    # Masked rather than indexed: the same sum, without a device synchronisation.
    residual = (ms - mt @ G.to(mt.dtype)).pow(2).sum(dim=1)
    n = both.sum().clamp(min=1)
    return ((residual * both).sum() + lambda_pair * G.pow(2).sum()) / n


def trans_loss(
    z_target: torch.Tensor,
    G: torch.Tensor,
    classifier: torch.nn.Module,
    y: torch.Tensor,
    n: int | None = None,
) -> torch.Tensor:
    """L_trans (Eq. 4's classifier adaptation): softmax(f_T(x) G ϑ_S) on labelled target rows.

    The source classifier ϑ_S, reached through G, classifies target rows: the
    asymmetric part of DATN.
    """
    return soft_loss(classifier(z_target @ G), y, n)


def mmd_loss(z_source: torch.Tensor, z_target: torch.Tensor) -> torch.Tensor:
    """L_unsup (Eq. 4): linear-kernel MMD, ||mean z_S - mean z_T||²."""
    return (_wide(z_source).mean(dim=0) - _wide(z_target).mean(dim=0)).pow(2).sum()


def _wide(t: torch.Tensor) -> torch.Tensor:
    """``t`` in float32 when it is a half-precision tensor (mixed precision), else as is."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t
