"""Sparse rows through a pathway at the cost of their non-zeros, exactly.

A bag of words has d columns and a few dozen non-zeros per row. Densified, a
batch of b rows costs b·d·h multiply-adds in the first encoder layer and as
many again in the last decoder layer, whatever the non-zeros. Kept sparse:

* the first encoder layer sums, for each row, the columns of W picked by its
  non-zeros (``embedding_bag``): nnz·h;
* L_recon (Eq. 1) of the last decoder layer is computed without forming x̂,
  from the identity in :func:`sparse_recon_loss`: nnz·h, plus 2·d·h² once
  per batch.

The loss and its gradients are those of the dense computation (the same
function, rounded differently); nothing is sampled. Whether a domain's rows
take this path is decided by :func:`sparse_batches_pay`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

#: How many times a multiply-add reached through an index (a gathered or
#: scattered row of W) costs one inside a dense matrix product, on a CPU; from
#: speed/width_speed.py at 1,000 to 5,000 columns.
GATHER_COST = 32


@dataclass
class SparseBatch:
    """Rows ``X_s + offset``: CSR rows ``X_s`` (``crow`` from 0) plus a dense
    per-feature ``offset`` (the centring of standard scaling) or none."""

    crow: torch.Tensor
    col: torch.Tensor
    val: torch.Tensor
    n_features: int
    offset: torch.Tensor | None = None
    _columns: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def csr(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.crow, self.col, self.val

    @property
    def shape(self) -> tuple[int, int]:
        return self.crow.shape[0] - 1, self.n_features

    def __getitem__(self, rows: slice) -> SparseBatch:
        """A contiguous range of rows (the only indexing training needs)."""
        start, stop, step = rows.indices(self.shape[0])
        if step != 1:
            raise IndexError("A SparseBatch takes contiguous slices of rows only.")
        stop = max(start, stop)
        if (start, stop) == (0, self.shape[0]):
            return self  # keeps the cached columns
        first, last = self.crow[start], self.crow[stop]
        return SparseBatch(
            self.crow[start : stop + 1] - first,
            self.col[first:last],
            self.val[first:last],
            self.n_features,
            self.offset,
        )

    def row_ids(self) -> torch.Tensor:
        """The row of each stored entry."""
        n = self.shape[0]
        return torch.repeat_interleave(
            torch.arange(n, device=self.col.device), self.crow.diff()
        )

    def to_dense(self) -> torch.Tensor:
        """The rows as a dense tensor, offset added (for checks, not training)."""
        dense = torch.zeros(self.shape, dtype=self.val.dtype, device=self.val.device)
        dense[self.row_ids(), self.col] = self.val
        return dense if self.offset is None else dense + self.offset

    def matmul(self, W: torch.Tensor) -> torch.Tensor:
        """``X_s @ W`` for ``W`` of shape (n_features, h), offset left out."""
        return _SparseMatmul.apply(W, self)

    def columns(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The transpose of ``X_s`` in CSR form (column pointers, row of each
        entry, value of each entry, entries sorted by column), computed once."""
        if self._columns is None:
            d = self.n_features
            order = torch.argsort(self.col, stable=True)
            ptr = torch.zeros(d + 1, dtype=torch.long, device=self.col.device)
            torch.cumsum(torch.bincount(self.col, minlength=d), 0, out=ptr[1:])
            self._columns = (ptr, self.row_ids()[order], self.val[order])
        return self._columns


def _bag_sums(index, table, ptr, weights) -> torch.Tensor:
    """Row b of the result: Σ_k weights[k] table[index[k]] over the entries k of
    bag b (``ptr[b]`` to ``ptr[b + 1]``): a sparse-by-dense product."""
    return F.embedding_bag(
        index,
        table,
        ptr,
        mode="sum",
        per_sample_weights=weights.to(table.dtype),
        include_last_offset=True,
    )


class _SparseMatmul(torch.autograd.Function):
    """``X_s @ W`` whose gradient ``X_sᵀ G`` is the same gather-and-sum over the
    columns of ``X_s`` (its transpose, cached on the batch: a full batch's is
    built once for the whole fit). torch's own backward of ``embedding_bag``
    scatters into W instead, several times slower."""

    @staticmethod
    def forward(ctx, W: torch.Tensor, x: SparseBatch) -> torch.Tensor:
        ctx.x = x
        return _bag_sums(x.col, W, x.crow, x.val)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        ptr, row, val = ctx.x.columns()
        return _bag_sums(row, grad.contiguous(), ptr, val), None


def linear(x: torch.Tensor | SparseBatch, layer: nn.Linear) -> torch.Tensor:
    """``layer(x)``; for sparse rows ``X_s W'`` + ``b + W offset``."""
    if not isinstance(x, SparseBatch):
        return layer(x)
    weight, bias = layer.weight, layer.bias
    if x.offset is not None:
        bias = bias + weight @ x.offset.to(weight.dtype)
    # The rows of Wᵀ are gathered: contiguous, they are read in one stride.
    return x.matmul(weight.t().contiguous()) + bias


def sparse_recon_loss(
    u: torch.Tensor, layer: nn.Linear, x: SparseBatch, n: int | None = None
) -> torch.Tensor:
    """L_*,recon (Eq. 1) of x̂ = ``layer(u)`` against sparse rows ``x``, exactly.

    With x_i = s_i + o (``s`` the sparse part, ``o`` the offset) and
    b' = b - o, the sum over rows of ||W u_i + b - x_i||² is

        Σ_i ||W u_i + b'||²  -  2 Σ_i s_i · (W u_i + b')  +  Σ_i ||s_i||²,

    where only the first term touches every column (:class:`_SquaredOutputs`);
    the others cost the non-zeros. Computed in float32 (or the weights' wider
    type) and divided by ``n`` (default: the number of rows), as
    :func:`~skdatn._torch.losses.recon_loss`.
    """
    n = x.shape[0] if n is None else n
    with torch.autocast(u.device.type, enabled=False):
        W, b = layer.weight, layer.bias
        u = u.to(W.dtype)
        b_prime = b if x.offset is None else b - x.offset.to(W.dtype)
        val = x.val.to(W.dtype)
        cross = (u * x.matmul(W)).sum() + (val * b_prime[x.col]).sum()
        loss = _SquaredOutputs.apply(W, b_prime, u) - 2 * cross + val.dot(val)
    return loss / n


class _SquaredOutputs(torch.autograd.Function):
    """Σ_i ||W u_i + b||² over the rows u_i of U, without forming W U' (n x d).

    It is <WᵀW, UᵀU> + 2 bᵀW Σ_i u_i + n ||b||²: one (d x h) by (h x h)
    product each way, where the dense outputs would cost n·d·h.
    """

    @staticmethod
    def forward(ctx, W: torch.Tensor, b: torch.Tensor, U: torch.Tensor):
        S, total, M, v = U.T @ U, U.sum(dim=0), W.T @ W, W.T @ b
        ctx.save_for_backward(W, b, U, S, total, M, v)
        return (M * S).sum() + 2 * v.dot(total) + U.shape[0] * b.dot(b)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        W, b, U, S, total, M, v = ctx.saved_tensors
        grad_W = grad_b = grad_U = None
        if ctx.needs_input_grad[0]:  # 2 (W S + b Σuᵀ)
            grad_W = (W @ S).addr_(b, total).mul_(2 * grad)
        if ctx.needs_input_grad[1]:  # 2 (W Σu + n b)
            grad_b = torch.addmv(b, W, total, beta=U.shape[0]).mul_(2 * grad)
        if ctx.needs_input_grad[2]:  # 2 (U M + 1 vᵀ)
            grad_U = torch.addmm(v.expand_as(U), U, M).mul_(2 * grad)
        return grad_W, grad_b, grad_U


def sparse_batches_pay(
    n_features: int, nnz: int, n_rows: int, first_width: int, batch_rows: int
) -> bool:
    """Whether training on sparse batches costs less than densifying them.

    Per row and step, densified: 3·d·2h multiply-adds (first and last layer,
    forward and backward); sparse: ``GATHER_COST``·k·2h for the k non-zeros of
    the row, plus the 2·d·h² of <WᵀW, UᵀU> shared by the ``batch_rows`` rows.
    """
    if n_rows == 0:
        return False
    h = first_width
    dense = 3 * n_features * 2 * h
    sparse = GATHER_COST * (nnz / n_rows) * 2 * h + 2 * n_features * h * h / max(
        1, batch_rows
    )
    return sparse < dense
