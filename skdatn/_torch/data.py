"""A domain's training rows, stored once in float32 and served batch by batch.

:class:`DenseRows` holds a dense float32 matrix; :class:`SparseRows` holds a
CSR matrix as three tensors and serves the rows of the batch asked for either
densified or, where that is cheaper (:func:`~skdatn._torch.sparse.sparse_batches_pay`),
as a :class:`~skdatn._torch.sparse.SparseBatch` that the networks use as it is. Either lives on the training device when it fits there ("storage" device
= training device), else on the CPU, and then each batch is moved on its own.
Indices of batches live on the storage device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import scipy.sparse as sp
import torch

from .sparse import SparseBatch, sparse_batches_pay

#: An index into the rows: all rows (None), a contiguous range, or long indices.
Index = slice | torch.Tensor | None


class DenseRows:
    """Dense float32 rows on ``storage``, served on ``device``."""

    def __init__(self, X: torch.Tensor, device: torch.device | str) -> None:
        self.X = X
        self.device = torch.device(device)

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def storage(self) -> torch.device:
        return self.X.device

    @property
    def dense_width(self) -> int:
        """Columns of a batch as the networks receive it."""
        return self.X.shape[1]

    def take(self, index: Index = None) -> torch.Tensor:
        """The rows ``index`` as a dense float32 tensor on the training device."""
        if index is None:
            x = self.X
        elif isinstance(index, slice):
            x = self.X[index]
        else:
            x = self.X.index_select(0, index)
        return x.to(self.device, non_blocking=True)


class SparseRows:
    """CSR rows (float32 values) on ``storage``; batches are densified on ``device``,
    where the per-feature ``offset`` (the centring of standard scaling) is added,
    or served sparse (``sparse_batches``), the offset beside them."""

    def __init__(
        self,
        crow: torch.Tensor,
        col: torch.Tensor,
        val: torch.Tensor,
        n_features: int,
        offset: torch.Tensor | None,
        device: torch.device | str,
        sparse_batches: bool = False,
    ) -> None:
        self.crow, self.col, self.val = crow, col, val
        self._n_features = n_features
        self.device = torch.device(device)
        self.offset = None if offset is None else offset.to(self.device)
        self.sparse_batches = sparse_batches
        self._ranges: dict[tuple[int, int], SparseBatch] = {}

    @property
    def n_rows(self) -> int:
        return self.crow.shape[0] - 1

    @property
    def n_features(self) -> int:
        return self._n_features

    @property
    def storage(self) -> torch.device:
        return self.val.device

    @property
    def dense_width(self) -> int:
        """Columns of a batch as the networks receive it (0 when sparse)."""
        return 0 if self.sparse_batches else self._n_features

    def take(self, index: Index = None) -> torch.Tensor | SparseBatch:
        """The rows ``index`` on the training device: a :class:`SparseBatch` when
        ``sparse_batches``, else densified as a float32 tensor."""
        if index is None:
            index = slice(0, self.n_rows)
        if isinstance(index, slice):
            start, stop, _ = index.indices(self.n_rows)
            stop = max(start, stop)
            if self.sparse_batches:  # a contiguous range is a view of the CSR
                return self._range(start, stop)
            first = self.crow[start:stop]
            counts = self.crow[start + 1 : stop + 1] - first
        else:
            first = self.crow.index_select(0, index)
            counts = self.crow.index_select(0, index + 1) - first
        n = counts.shape[0]
        total = int(counts.sum())
        # Entry k of the batch is entry first[r] + (k - (offset of row r)) of the CSR.
        row = torch.repeat_interleave(
            torch.arange(n, device=self.storage), counts, output_size=total
        )
        starts = torch.cumsum(counts, 0) - counts
        pos = torch.arange(total, device=self.storage) + (first - starts)[row]
        cols, vals = self.col[pos], self.val[pos]
        if self.sparse_batches:
            crow = torch.zeros(n + 1, dtype=torch.long, device=self.storage)
            torch.cumsum(counts, 0, out=crow[1:])
            return self._batch(SparseBatch(crow, cols, vals, self._n_features))
        dense = torch.zeros((n, self._n_features), device=self.device)
        dense.index_put_(
            (row.to(self.device), cols.to(self.device)),
            vals.to(self.device),
            accumulate=False,  # the CSR has no duplicate entries
        )
        if self.offset is not None:
            dense += self.offset
        return dense

    def _range(self, start: int, stop: int) -> SparseBatch:
        """Rows ``start:stop`` as a sparse batch; kept, when the rows live on the
        training device, so that the same range (a full batch, its chunks) is
        served as the same batch every epoch, its transpose built once."""
        batch = self._ranges.get((start, stop))
        if batch is None:
            whole = SparseBatch(self.crow, self.col, self.val, self._n_features)
            batch = self._batch(whole[start:stop])
            if self.storage == self.device:
                self._ranges[(start, stop)] = batch
        return batch

    def _batch(self, batch: SparseBatch) -> SparseBatch:
        """``batch`` (on the storage device) moved to the training device, with
        the offset."""
        return SparseBatch(
            *(t.to(self.device, non_blocking=True) for t in batch.csr),
            self._n_features,
            self.offset,
        )


RowStore = DenseRows | SparseRows


def build_rows(
    chunks: Iterable,
    n_rows: int,
    sparse: bool,
    scale_rows: Callable,
    offset: np.ndarray | None,
    n_features: int,
    device: torch.device | str,
    storage: torch.device | str,
    name: str = "rows",
    sparse_compute: tuple[int, int] | None = None,
) -> RowStore:
    """The scaled rows of ``chunks`` (dense arrays or CSR matrices, ``n_rows``
    rows in all, stacked in order) as one store, read chunk by chunk.

    ``scale_rows(chunk)`` scales a chunk in float64 without the offset
    (:meth:`skdatn._preprocessing.InputScaler.scale_rows`); the result is cast
    to float32 and the float32 offset added, to the whole matrix once when
    dense, to each densified batch when ``sparse``: the same arithmetic, so
    sparse and dense copies of the same rows give the same model.

    ``sparse_compute = (first_width, batch_rows)`` lets sparse rows be served
    as sparse batches where :func:`sparse_batches_pay` for a first layer of
    that width and steps of that many rows; ``None`` always densifies.

    Raises a ValueError naming the rows (``name``) when a scaled value
    overflows float32, the training precision.
    """
    offset32 = None if offset is None else torch.from_numpy(offset.astype(np.float32))

    def to32(values: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            out = values.astype(np.float32)
        if not np.isfinite(out).all():
            raise ValueError(
                f"The {name} are too large to train on: after input scaling some "
                f"values are not finite in float32 (|value| > 3.4e38). Rescale them "
                f"before fit (e.g. divide by a constant)."
            )
        return out

    if sparse:
        return _sparse_rows(
            chunks,
            scale_rows,
            to32,
            offset32,
            n_features,
            device,
            storage,
            sparse_compute,
        )
    X = torch.empty((n_rows, n_features), dtype=torch.float32, device=storage)
    start = 0
    for chunk in chunks:
        part = torch.from_numpy(to32(scale_rows(chunk)))
        if offset32 is not None:
            part += offset32
        X[start : start + part.shape[0]] = part
        start += part.shape[0]
    assert start == n_rows, (start, n_rows)
    return DenseRows(X, device)


def _sparse_rows(
    chunks, scale_rows, to32, offset32, n_features, device, storage, sparse_compute
):
    counts, cols, vals = [], [], []
    for chunk in chunks:
        scaled = scale_rows(sp.csr_matrix(chunk))
        counts.append(np.diff(scaled.indptr))
        cols.append(scaled.indices.astype(np.int64))
        vals.append(to32(scaled.data))
    crow = np.zeros(sum(len(c) for c in counts) + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=crow[1:])

    def as_tensor(parts, dtype):
        a = np.concatenate(parts) if parts else np.empty(0, dtype)
        return torch.from_numpy(a).to(storage)

    n_rows = len(crow) - 1
    sparse_batches = sparse_compute is not None and sparse_batches_pay(
        n_features, int(crow[-1]), n_rows, sparse_compute[0], sparse_compute[1]
    )
    return SparseRows(
        torch.from_numpy(crow).to(storage),
        as_tensor(cols, np.int64),
        as_tensor(vals, np.float32),
        n_features,
        offset32,
        device,
        sparse_batches,
    )
