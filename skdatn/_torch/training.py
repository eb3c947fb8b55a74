"""DATN's training: intra-domain pretraining (Eq. 3), then block coordinate descent (Alg. 1)."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from .._progress import say
from ..exceptions import TrainingDivergedError
from .data import RowStore
from .losses import (
    class_pair_loss,
    mmd_loss,
    pair_loss,
    recon_loss,
    reg_loss,
    soft_loss,
    solve_ridge,
    trans_loss,
)
from .networks import Pathway
from .sparse import SparseBatch, sparse_recon_loss


@dataclass
class DomainTensors:
    """One domain's training rows and labels.

    ``rows`` holds every row used for reconstruction and MMD, in the order
    labelled rows, unlabelled rows, pair rows: the first ``n_labeled`` rows are
    labelled (class codes ``y``) and the last ``n_pairs`` are the pairs, whose
    order is aligned across the two domains.
    """

    rows: RowStore
    y: torch.Tensor  # class codes of the labelled rows, on rows.storage
    n_pairs: int = 0

    @property
    def n_rows(self) -> int:
        return self.rows.n_rows

    @property
    def n_labeled(self) -> int:
        return self.y.numel()

    @property
    def has_labels(self) -> bool:
        return self.n_labeled > 0

    @property
    def pair_start(self) -> int:
        return self.n_rows - self.n_pairs


@dataclass(kw_only=True)
class StageConfig:
    """The knobs of one stage's loop (:func:`run_stage`): the optimiser, early
    stopping and the progress lines."""

    solver: str
    learning_rate: float
    tol: float
    n_iter_no_change: int | None
    verbose: int = 0
    mixed_precision: str | None = None  # None, "bfloat16" or "float16" (autocast)
    #: Called with the stage's name when a stage runs all of its epochs with its
    #: loss still improving (early stopping on, and not triggered).
    on_limit: Callable[[str], None] | None = None


@dataclass(kw_only=True)
class TrainingConfig(StageConfig):
    """Every knob of DATN's training (the estimator's parameters, resolved)."""

    pretrain_epochs: int
    finetune_epochs: int
    batch_size: int | None
    alpha: float
    beta: float
    intra_weight: float
    recon_weight: float
    lambda_reg: float
    lambda_pair: float
    mmd_target: str  # "encoded": MMD(f_S, f_T); "mapped": MMD(f_S, f_T G)
    asymmetric: bool
    generator: torch.Generator


#: What each stage name of ``history_`` means, for error messages.
STAGES = {
    "pretrain_source": "pretraining of the source pathway",
    "pretrain_target": "pretraining of the target pathway",
    "finetune": "fine-tuning",
    "pretrain_target_pseudo": "pretraining of the target pathway with pseudo-labels",
    "finetune_pseudo": "fine-tuning with pseudo-labelled target rows",
}


def diverged(
    stage: str, epoch: int, what: str, cfg: StageConfig, history: list[dict]
) -> TrainingDivergedError:
    """The error for a non-finite ``what`` in ``stage`` at ``epoch``."""
    return TrainingDivergedError(
        f"Training diverged in the {STAGES.get(stage, stage)} (stage {stage!r}) at "
        f"epoch {epoch}: {what}. Try a smaller learning_rate (it is "
        f"{cfg.learning_rate:g}), or check the scale of the inputs. "
        f"history_ holds the losses up to this epoch.",
        stage,
        epoch,
        list(history),
    )


def _all_finite(params: list[torch.Tensor]) -> bool:
    # A sum is NaN or infinite when an entry is (one read of each weight; it
    # also flags float32 overflow of the sum itself, weights near 1e34).
    return bool(torch.stack([p.detach().sum() for p in params]).isfinite().all())


def make_optimizer(params, solver: str, learning_rate: float) -> torch.optim.Optimizer:
    """The optimiser; ``"rmsprop"`` is the paper's (TensorFlow decay 0.8, momentum 0.8).

    Adam and SGD use torch's fused kernels (one call updates every parameter;
    the per-parameter loop costs as much as a small network's backward pass),
    RMSprop, which has none, its multi-tensor version.
    """
    params = list(params)
    if solver == "adam":
        return _fused(torch.optim.Adam, params, lr=learning_rate)
    if solver == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=learning_rate, alpha=0.8, momentum=0.8, foreach=True
        )
    if solver == "sgd":
        return _fused(torch.optim.SGD, params, lr=learning_rate, momentum=0.9)
    raise ValueError(f"Unknown solver {solver!r}.")


def _fused(cls, params, **kwargs) -> torch.optim.Optimizer:
    """``cls(params, fused=True)``, or the default version where torch has no fused
    kernel for the parameters' device (CPU before torch 2.4)."""
    try:
        return cls(params, fused=True, **kwargs)
    except RuntimeError:
        return cls(params, **kwargs)


def _batches(
    n: int, batch_size: int | None, n_steps: int, generator: torch.Generator, device
) -> list[torch.Tensor | None]:
    """Index batches for ``n_steps`` steps over ``n`` rows (``None``: all rows).

    A block smaller than the number of rows an epoch visits is cycled through
    fresh permutations, so every step sees a batch of every block. The
    permutations are drawn on the CPU (``generator``) and moved to ``device``
    once per epoch.
    """
    if batch_size is None or n <= batch_size:
        return [None] * n_steps
    needed = n_steps * batch_size
    order = torch.cat(
        [torch.randperm(n, generator=generator) for _ in range(math.ceil(needed / n))]
    )[:needed]
    return list(order.to(device).split(batch_size))


def _steps_per_epoch(n: int, batch_size: int | None) -> int:
    return 1 if batch_size is None else max(1, math.ceil(n / batch_size))


@dataclass
class _Batch:
    """The rows of one step of one domain, encoded together: ``x[rows]`` is the
    batch of rows (reconstruction, MMD), ``x[lab]`` the batch of labelled rows
    (labels ``y``) and ``x[pairs]`` the batch of pairs."""

    x: torch.Tensor | SparseBatch | None
    rows: slice | None = None
    lab: slice | None = None
    y: torch.Tensor | None = None
    pairs: slice | None = None


def _gather(
    dom: DomainTensors,
    row_b: torch.Tensor | None,
    lab_b: torch.Tensor | None,
    pair_b: torch.Tensor | None,
    *,
    rows: bool,
    labeled: bool,
    pairs: bool,
) -> _Batch:
    """Gather the parts of a step that are needed into one tensor, so that each
    pathway runs once per step. ``None`` batches mean all rows of the block;
    with all rows, the labelled rows and the pairs are slices of them."""
    labeled = labeled and dom.has_labels
    pairs = pairs and dom.n_pairs > 0
    if rows and row_b is None:
        # Every row (full batch, or a domain no larger than a batch).
        batch = _Batch(dom.rows.take(None), rows=slice(0, dom.n_rows))
        if labeled:
            batch.lab, batch.y = slice(0, dom.n_labeled), dom.y
        if pairs:
            batch.pairs = slice(dom.pair_start, dom.n_rows)
    else:
        batch = _Batch(x=None)
        pieces: list[torch.Tensor | slice] = []
        at = 0

        def add(piece, length):
            nonlocal at
            pieces.append(piece)
            at += length
            return slice(at - length, at)

        if rows:
            batch.rows = add(row_b, row_b.numel())
        if labeled:
            if lab_b is None:
                batch.lab = add(slice(0, dom.n_labeled), dom.n_labeled)
                batch.y = dom.y
            else:
                batch.lab = add(lab_b, lab_b.numel())
                batch.y = dom.y[lab_b]
        if pairs:
            if pair_b is None:
                piece = slice(dom.pair_start, dom.n_rows)
                batch.pairs = add(piece, dom.n_pairs)
            else:
                batch.pairs = add(pair_b + dom.pair_start, pair_b.numel())
        batch.x = dom.rows.take(_concat(pieces, dom.rows.storage))
    if batch.y is not None:
        batch.y = batch.y.to(dom.rows.device, non_blocking=True)
    return batch


def _concat(pieces: list, device) -> slice | torch.Tensor:
    if len(pieces) == 1 and isinstance(pieces[0], slice):
        return pieces[0]
    return torch.cat(
        [
            torch.arange(p.start, p.stop, device=device) if isinstance(p, slice) else p
            for p in pieces
        ]
    )


class _Plateau:
    """Stops a stage when its epoch loss has not improved by ``tol`` (relative)
    for ``n_iter_no_change`` consecutive epochs."""

    def __init__(self, tol: float, n_iter_no_change: int | None) -> None:
        self.tol, self.patience = tol, n_iter_no_change
        self.best, self.bad = math.inf, 0

    def should_stop(self, loss: float) -> bool:
        if not math.isfinite(self.best) or loss < self.best - self.tol * abs(self.best):
            self.best, self.bad = loss, 0
        else:
            self.bad += 1
        return self.patience is not None and self.bad >= self.patience


def _autocast(cfg: StageConfig, device: torch.device):
    """The mixed-precision context of the forward passes (none in float32)."""
    if cfg.mixed_precision is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=getattr(torch, cfg.mixed_precision))


def run_stage(
    stage: str,
    params: list[torch.Tensor],
    n_epochs: int,
    step_fn: Callable[[int], Iterator[dict[str, torch.Tensor]]],
    cfg: StageConfig,
    history: list[dict],
    device: torch.device | None = None,
    before_epoch: Callable[[], None] | None = None,
) -> int:
    """Run the epochs of one stage. ``step_fn(epoch)`` yields the steps; a step is
    an iterable of ``(loss, terms)``, one per pass (the chunks of a full batch):
    each ``loss`` is back-propagated as it comes, the gradients add up, then the
    optimiser steps once. ``terms`` are summed over the passes and logged (key
    ``"loss"`` is the objective). Returns the number of epochs run.

    The terms are summed on the device and read once per epoch (one
    synchronisation per epoch on a GPU).
    """
    device = params[0].device if device is None else device
    optimizer = make_optimizer(params, cfg.solver, cfg.learning_rate)
    # float16 gradients underflow without loss scaling; bfloat16 needs none.
    scaler = (
        torch.amp.GradScaler(device.type) if cfg.mixed_precision == "float16" else None
    )
    plateau = _Plateau(cfg.tol, cfg.n_iter_no_change)
    epoch, start = 0, time.perf_counter()
    for epoch in range(1, n_epochs + 1):
        if before_epoch is not None:
            before_epoch()
        keys: list[str] = []
        values: list[torch.Tensor] = []
        for step in step_fn(epoch):
            if isinstance(step, dict):  # a step of one pass given as its terms
                step = [(step["loss"], step)]
            optimizer.zero_grad(set_to_none=True)
            sums: dict[str, torch.Tensor] = {}
            for loss, terms in step:  # one pass, or the chunks of a full batch
                if loss.requires_grad:
                    (loss if scaler is None else scaler.scale(loss)).backward()
                for key, value in terms.items():
                    value = value.detach().float()
                    sums[key] = value if key not in sums else sums[key] + value
            if scaler is None:
                optimizer.step()
            else:
                scaler.step(optimizer)
                scaler.update()
            keys = list(sums)
            values.append(torch.stack(list(sums.values())))
        means = torch.stack(values).mean(dim=0).tolist()
        record = {"stage": stage, "epoch": epoch, **dict(zip(keys, means, strict=True))}
        history.append(record)
        if cfg.verbose >= 2:
            parts = " ".join(
                f"{k}={v:.4g}" for k, v in record.items() if k not in ("stage", "epoch")
            )
            say(f"{stage} epoch {epoch}/{n_epochs} ({_since(start)}): {parts}")
        if not math.isfinite(record["loss"]):
            raise diverged(
                stage, epoch, f"the loss became {record['loss']}", cfg, history
            )
        if not _all_finite(params):
            raise diverged(
                stage, epoch, "a weight became NaN or infinite", cfg, history
            )
        if plateau.should_stop(record["loss"]):
            stop = f"no progress in {plateau.patience} epochs"
            break
    else:
        stop = "epoch limit"
        if cfg.on_limit is not None and plateau.patience is not None and epoch:
            cfg.on_limit(stage)
    if cfg.verbose and epoch:
        first = history[-epoch]["loss"]
        say(
            f"{STAGES[stage]}: {epoch}/{n_epochs} epochs in {_since(start)} "
            f"({stop}), loss {first:.4g} -> {history[-1]['loss']:.4g}"
        )
    return epoch


def _since(start: float) -> str:
    return f"{time.perf_counter() - start:.1f} s"


#: Most activations (rows x widest layer) that one pass of a full batch keeps:
#: a full batch of a larger domain is processed in chunks of rows whose gradients
#: add up before the one optimiser step (the same step; memory bounded by the
#: chunk, not by the data). 2**24 float32 values are 64 MiB per layer.
CHUNK_ELEMENTS = 2**24


def _chunk_rows(dom: DomainTensors, path: Pathway) -> int:
    """Rows per chunk of ``dom``'s full batch through ``path`` (the widest dense
    layer: sparse batches never hold a dense row of the input's width)."""
    width = max(dom.rows.dense_width, *(m.out_features for m in path.encoder))
    return max(1, CHUNK_ELEMENTS // width)


def _weights(cfg: TrainingConfig, intra_weight: float = 1.0) -> dict[str, float]:
    """The weight of every loss term, by the term's name: the intra losses of
    Eq. 3 (unsuffixed in a pretraining, per domain in fine-tuning, where
    ``intra_weight`` scales them), then Eq. 4's transfer terms: α for L_trans
    and β for L_unsup (the MMD)."""
    intra = {
        f"{loss}{domain}": weight
        for domain in ("", "_source", "_target")
        for loss, weight in (
            ("recon", intra_weight * cfg.recon_weight),
            ("soft", intra_weight),
        )
    }
    return {**intra, "pair": 1.0, "trans": cfg.alpha, "mmd": cfg.beta, "reg": 1.0}


def _objective(
    terms: dict[str, torch.Tensor], weights: dict[str, float], device=None
) -> torch.Tensor:
    """Σ weight * term (Eq. 3 or Eq. 4 with the intra losses); a zero on
    ``device`` when a chunk has no term."""
    if not terms:
        return torch.zeros((), device=device)
    return sum(weights[key] * value for key, value in terms.items())


def _one(terms: dict[str, torch.Tensor], weights: dict[str, float]) -> list[tuple]:
    """A step of one pass: its loss to back-propagate, and the terms to report."""
    terms["loss"] = _objective(terms, weights)
    return [(terms["loss"], terms)]


def _intra_terms(
    path: Pathway,
    batch: _Batch,
    z: torch.Tensor,
    cfg: TrainingConfig,
    suffix: str,
    n_rows: int | None = None,
    n_lab: int | None = None,
) -> dict[str, torch.Tensor]:
    """L_recon (Eq. 1) on the batch of rows and L_soft (Eq. 2) on the batch of
    labelled rows: means, or sums over ``n_rows`` and ``n_lab`` for a chunk."""
    terms = {}
    if cfg.recon_weight > 0:
        rows, x = batch.rows, batch.x[batch.rows]
        if isinstance(x, SparseBatch):  # the same loss, from the non-zeros
            u = path.decode_hidden(z[rows])
            terms["recon" + suffix] = sparse_recon_loss(u, path.decoder[-1], x, n_rows)
        else:
            terms["recon" + suffix] = recon_loss(path.decode(z[rows]), x, n_rows)
    if batch.lab is not None:
        logits = path.logits(z[batch.lab])
        terms["soft" + suffix] = soft_loss(logits, batch.y, n_lab)
    return terms


def _chunk_batch(dom: DomainTensors, part: slice) -> _Batch:
    """Rows ``part`` of a full batch, with the labelled rows among them."""
    batch = _Batch(dom.rows.take(part), rows=slice(0, part.stop - part.start))
    if part.start < dom.n_labeled:
        stop = min(part.stop, dom.n_labeled)
        batch.lab = slice(0, stop - part.start)
        batch.y = dom.y[part.start : stop].to(dom.rows.device, non_blocking=True)
    return batch


def _slices(n: int, size: int) -> list[slice]:
    return [slice(a, min(a + size, n)) for a in range(0, n, size)]


def pretrain(
    path: Pathway,
    dom: DomainTensors,
    cfg: TrainingConfig,
    history: list[dict],
    stage: str,
) -> int:
    """Intra-domain representation learning (Eq. 3) for one domain."""
    if cfg.recon_weight == 0 and not dom.has_labels:
        return 0  # nothing to learn from in this domain
    n_steps = _steps_per_epoch(dom.n_rows, cfg.batch_size)
    storage, device = dom.rows.storage, dom.rows.device
    weights = _weights(cfg)
    chunk = _chunk_rows(dom, path)

    def reg() -> dict[str, torch.Tensor]:
        return {"reg": reg_loss(path.encoder_parameters(), cfg.lambda_reg)}

    def chunked_step():
        """A full batch too large for one pass, chunk by chunk."""
        for i, part in enumerate(_slices(dom.n_rows, chunk)):
            batch = _chunk_batch(dom, part)
            with _autocast(cfg, device):
                z = path.encode(batch.x)
                terms = _intra_terms(path, batch, z, cfg, "", dom.n_rows, dom.n_labeled)
                if i == 0:
                    terms.update(reg())
                terms["loss"] = _objective(terms, weights)
            yield terms["loss"], terms

    def steps(epoch: int):
        g = cfg.generator
        rows = _batches(dom.n_rows, cfg.batch_size, n_steps, g, storage)
        labs = _batches(dom.n_labeled, cfg.batch_size, n_steps, g, storage)
        for row_b, lab_b in zip(rows, labs, strict=True):
            needs_rows = cfg.recon_weight > 0
            if needs_rows and row_b is None and dom.n_rows > chunk:
                yield chunked_step()
                continue
            batch = _gather(
                dom, row_b, lab_b, None, rows=needs_rows, labeled=True, pairs=False
            )
            with _autocast(cfg, device):
                z = path.encode(batch.x)
                terms = _intra_terms(path, batch, z, cfg, "")
                terms.update(reg())
                step = _one(terms, weights)
            yield step

    params = [p for p in path.parameters() if p.requires_grad]
    return run_stage(stage, params, cfg.pretrain_epochs, steps, cfg, history, device)


def finetune(
    source: Pathway,
    target: Pathway,
    S: DomainTensors,
    T: DomainTensors,
    cfg: TrainingConfig,
    history: list[dict],
    stage: str = "finetune",
) -> tuple[torch.Tensor | None, int]:
    """Unbalanced domain adaptation (Eq. 4) by block coordinate descent (Alg. 1).

    Each epoch first refreshes G in closed form from all pairs with the encoders
    fixed (line 11), then takes gradient steps on J_cross with G fixed (line 13).
    Returns the final G (recomputed from the final encoders) and the epochs run.

    With mini-batches each step sees a batch of rows of each domain, a batch
    of labelled rows of each domain and a batch of pairs (smaller blocks are
    cycled), and L_unsup is the MMD between the two batches of rows: its
    expectation is the full MMD plus the variances of the two batch means
    (trace of each domain's covariance of z over the batch size), a bias that
    vanishes as the batch grows. G is still refreshed from all pairs once per
    epoch. A full batch too large for one pass is processed in chunks (the
    same gradient; the MMD's through the two means, computed first).
    """
    run = _CrossDomainSteps(source, target, S, T, cfg)
    params = list(source.parameters()) + list(target.parameters())
    n_epochs = run_stage(
        stage,
        params,
        cfg.finetune_epochs,
        run.steps,
        cfg,
        history,
        T.rows.device,
        before_epoch=run.refresh_G if run.asym else None,
    )
    if not run.asym:
        return None, n_epochs
    run.refresh_G()  # Alg. 1 line 15: G of the final encoders
    if not bool(run.G.isfinite().all()):
        raise diverged(stage, n_epochs, "the final map G is not finite", cfg, history)
    return run.G, n_epochs


class _CrossDomainSteps:
    """The steps of one fine-tuning (J_cross of Eq. 4 with G fixed, Alg. 1
    line 13), and G's refresh between epochs (line 11).

    A step is one pass over a batch of each domain (:meth:`one_pass`), or, for
    a full batch too large for one pass, the chunks of both domains and then
    of the pairs (:meth:`chunked_step`). Every term is weighted by one table,
    :func:`_weights`; DATN_unsup (``asymmetric=False``) is the intra losses
    at full weight plus β MMD.
    """

    def __init__(self, source, target, S: DomainTensors, T: DomainTensors, cfg):
        self.source, self.target, self.S, self.T, self.cfg = source, target, S, T, cfg
        self.asym = cfg.asymmetric
        # Without pairs, L_pair pairs the class means of the labelled rows.
        self.by_class = self.asym and S.n_pairs == 0
        self.n_classes = source.classifier.out_features
        self.intra_weight = cfg.intra_weight if self.asym else 1.0
        self.weights = _weights(cfg, self.intra_weight)
        self.need_rows = (
            self.intra_weight > 0 and cfg.recon_weight > 0
        ) or cfg.beta > 0
        self.s_chunk, self.t_chunk = _chunk_rows(S, source), _chunk_rows(T, target)
        self.n_steps = _steps_per_epoch(max(S.n_rows, T.n_rows), cfg.batch_size)
        self.device = T.rows.device
        self.G: torch.Tensor | None = None

    def refresh_G(self) -> None:
        self.G = _pair_map(self.source, self.target, self.S, self.T, self.cfg)

    def reg(self) -> dict[str, torch.Tensor]:
        params = self.source.encoder_parameters() + self.target.encoder_parameters()
        return {"reg": reg_loss(params, self.cfg.lambda_reg)}

    def mapped(self, zt: torch.Tensor) -> torch.Tensor:
        """The target codes that the MMD compares with the source codes."""
        if self.asym and self.cfg.mmd_target == "mapped":
            return zt @ self.G
        return zt

    def steps(self, epoch: int):
        """The epoch's steps: one batch of each block of each domain per step."""
        S, T, cfg = self.S, self.T, self.cfg
        g, bs, storage = cfg.generator, cfg.batch_size, T.rows.storage
        blocks = [
            _batches(n, bs, self.n_steps, g, storage)
            for n in (S.n_rows, T.n_rows, S.n_labeled, T.n_labeled, S.n_pairs)
        ]
        for s_b, t_b, sl_b, tl_b, p_b in zip(*blocks, strict=True):
            if self.need_rows and s_b is None and t_b is None:
                if S.n_rows > self.s_chunk or T.n_rows > self.t_chunk:
                    yield self.chunked_step()
                    continue
            intra, asym = self.intra_weight > 0, self.asym
            bs_ = _gather(
                S,
                s_b,
                sl_b,
                p_b,
                rows=self.need_rows,
                labeled=intra or self.by_class,
                pairs=asym,
            )
            bt_ = _gather(
                T,
                t_b,
                tl_b,
                p_b,
                rows=self.need_rows,
                labeled=intra or asym,
                pairs=asym,
            )
            yield self.one_pass(bs_, bt_)

    def one_pass(self, bs_: _Batch, bt_: _Batch) -> list[tuple]:
        """The terms of Eq. 4 on one batch of each domain."""
        cfg, source, target = self.cfg, self.source, self.target
        with _autocast(cfg, self.device):
            zs, zt = source.encode(bs_.x), target.encode(bt_.x)
            terms: dict[str, torch.Tensor] = {}
            if self.intra_weight > 0:
                terms.update(_intra_terms(source, bs_, zs, cfg, "_source"))
                terms.update(_intra_terms(target, bt_, zt, cfg, "_target"))
            if self.by_class:
                terms["pair"] = class_pair_loss(
                    zs[bs_.lab],
                    bs_.y,
                    zt[bt_.lab],
                    bt_.y,
                    self.G,
                    cfg.lambda_pair,
                    self.n_classes,
                )
            elif self.asym:
                terms["pair"] = pair_loss(
                    zs[bs_.pairs], zt[bt_.pairs], self.G, cfg.lambda_pair
                )
            if self.asym:
                terms["trans"] = trans_loss(
                    zt[bt_.lab], self.G, source.classifier, bt_.y
                )
            if cfg.beta > 0:
                terms["mmd"] = mmd_loss(zs[bs_.rows], self.mapped(zt[bt_.rows]))
            terms.update(self.reg())
            return _one(terms, self.weights)

    def chunked_step(self):
        """A full batch too large for one pass: chunks of rows of both domains,
        then the pairs, gradients summed. The MMD's gradient goes through the
        means of the codes, computed first without gradients."""
        diff = self._mean_code_difference() if self.cfg.beta > 0 else None
        S, T = self.S, self.T
        s_parts, t_parts = (
            _slices(S.n_rows, self.s_chunk),
            _slices(T.n_rows, self.t_chunk),
        )
        for i in range(max(len(s_parts), len(t_parts))):
            yield self._rows_chunk(
                s_parts[i] if i < len(s_parts) else None,
                t_parts[i] if i < len(t_parts) else None,
                diff,
                first=i == 0,
            )
        if self.by_class:
            yield from self._class_pair_chunks()
        elif self.asym:
            yield from self._pair_chunks()

    def _mean_code_difference(self) -> torch.Tensor:
        """mean z_S - mean mapped(z_T) over every row, without gradients."""
        with torch.no_grad():
            zs = _mean_code(self.source, self.S, self.s_chunk, self.cfg)
            zt = _mean_code(self.target, self.T, self.t_chunk, self.cfg)
            return zs - self.mapped(zt)

    def _domain_chunk(self, net, D: DomainTensors, part, suffix: str, terms: dict):
        """One chunk of a domain: its batch and codes; adds its intra terms."""
        batch = _chunk_batch(D, part)
        z = net.encode(batch.x)
        if self.intra_weight > 0:
            terms.update(
                _intra_terms(net, batch, z, self.cfg, suffix, D.n_rows, D.n_labeled)
            )
        return batch, z

    def _rows_chunk(self, s_part, t_part, diff, first: bool) -> tuple:
        """The loss and terms of one chunk of rows of each domain (either may be
        None). β MMD enters through a surrogate whose gradient is the MMD's:
        2 (mean z_S - mean z_T) times each chunk's share of the codes; its value
        is logged once, with the first chunk."""
        S, T, cfg, w = self.S, self.T, self.cfg, self.weights
        terms: dict[str, torch.Tensor] = {}
        surrogate = 0.0
        with _autocast(cfg, self.device):
            if s_part is not None:
                _, zs = self._domain_chunk(self.source, S, s_part, "_source", terms)
                if diff is not None:
                    surrogate = surrogate + 2 * (diff * zs).sum() / S.n_rows
            if t_part is not None:
                bt_, zt = self._domain_chunk(self.target, T, t_part, "_target", terms)
                if self.asym and bt_.lab is not None:
                    terms["trans"] = trans_loss(
                        zt[bt_.lab], self.G, self.source.classifier, bt_.y, T.n_labeled
                    )
                if diff is not None:
                    surrogate = (
                        surrogate - 2 * (diff * self.mapped(zt)).sum() / T.n_rows
                    )
            if first:
                terms.update(self.reg())
            objective = _objective(terms, w, self.device)
        loss = objective
        if diff is not None:
            loss = loss + w["mmd"] * surrogate
            if first:
                terms["mmd"] = diff.pow(2).sum()
                objective = objective + w["mmd"] * terms["mmd"]
        terms["loss"] = objective
        return loss, terms

    def _pair_chunks(self):
        """L_pair over the pairs, chunk by chunk (the λ0 term with the first)."""
        S, T, cfg = self.S, self.T, self.cfg
        for j, part in enumerate(_slices(S.n_pairs, min(self.s_chunk, self.t_chunk))):
            with _autocast(cfg, self.device):
                zs = self.source.encode(S.rows.take(_shift(part, S.pair_start)))
                zt = self.target.encode(T.rows.take(_shift(part, T.pair_start)))
                terms = {
                    "pair": pair_loss(
                        zs, zt, self.G, cfg.lambda_pair, S.n_pairs, j == 0
                    )
                }
                terms["loss"] = _objective(terms, self.weights)
            yield terms["loss"], terms

    def _class_pair_chunks(self):
        """L_pair over the pairs of class means (no pairs given), chunk by chunk
        of labelled rows: the class means first, without gradients, then per
        chunk a surrogate whose gradient is L_pair's (each row's share of its
        class mean); L_pair's value is logged with the first chunk."""
        S, T, cfg, G = self.S, self.T, self.cfg, self.G
        means_s, n_s = _class_mean_codes(
            self.source, S, self.s_chunk, cfg, self.n_classes
        )
        means_t, n_t = _class_mean_codes(
            self.target, T, self.t_chunk, cfg, self.n_classes
        )
        both = ((n_s > 0) & (n_t > 0)).to(means_s.dtype).unsqueeze(1)
        n = both.sum().clamp(min=1)
        diff = (means_s - means_t @ G.double()) * both
        value = (diff.pow(2).sum() + cfg.lambda_pair * G.double().pow(2).sum()) / n
        # d L_pair / d z_i for a row i of class c: 2 diff_c / n / n_c (source),
        # -2 diff_c G' / n / n_c (target).
        grads = (
            (
                self.source,
                S,
                self.s_chunk,
                2 * diff / n / n_s.clamp(min=1).unsqueeze(1),
            ),
            (
                self.target,
                T,
                self.t_chunk,
                -2 * (diff @ G.double().T) / n / n_t.clamp(min=1).unsqueeze(1),
            ),
        )
        first = True
        for net, D, chunk, grad in grads:
            grad = grad.float()
            for part in _slices(D.n_labeled, chunk):
                with _autocast(cfg, self.device):
                    z = net.encode(D.rows.take(part)).float()
                y = D.y[part].to(z.device, non_blocking=True)
                surrogate = (grad[y] * z).sum()
                terms = {"pair": value.float()} if first else {}
                terms["loss"] = terms.get("pair", torch.zeros((), device=z.device))
                first = False
                yield surrogate, terms


def _class_mean_codes(
    path: Pathway, dom: DomainTensors, chunk: int, cfg: TrainingConfig, n_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class, the mean of ``path.encode`` over the labelled rows of ``dom``
    (float64, ``n_classes`` x d; zero for a class without rows) and their number,
    chunk by chunk, without gradients."""
    device = dom.rows.device
    sums = torch.zeros((n_classes, path.top_width), dtype=torch.float64, device=device)
    counts = torch.zeros(n_classes, dtype=torch.float64, device=device)
    with torch.no_grad():
        for part in _slices(dom.n_labeled, chunk):
            with _autocast(cfg, device):
                z = path.encode(dom.rows.take(part))
            y = dom.y[part].to(device, non_blocking=True)
            sums.index_add_(0, y, z.double())
            counts.index_add_(0, y, torch.ones_like(y, dtype=torch.float64))
    return sums / counts.clamp(min=1).unsqueeze(1), counts


def _shift(part: slice, offset: int) -> slice:
    return slice(part.start + offset, part.stop + offset)


def _mean_code(
    path: Pathway, dom: DomainTensors, chunk: int, cfg: TrainingConfig
) -> torch.Tensor:
    """Mean of ``path.encode`` over every row of ``dom``, chunk by chunk (float32)."""
    total = torch.zeros(path.top_width, device=dom.rows.device)
    for part in _slices(dom.n_rows, chunk):
        with _autocast(cfg, dom.rows.device):
            z = path.encode(dom.rows.take(part))
        total += z.float().sum(dim=0)
    return total / dom.n_rows


def _pair_map(
    source: Pathway,
    target: Pathway,
    S: DomainTensors,
    T: DomainTensors,
    cfg: TrainingConfig,
) -> torch.Tensor:
    """G (Alg. 1, line 11) from every pair, with the encoders fixed; the pairs are
    encoded in chunks and their Gram matrices summed in float64. Without pairs,
    G is the same closed form over the pairs of class means (the mean codes of
    each class present among both domains' labelled rows)."""
    d = target.top_width
    device = T.rows.device
    if S.n_pairs == 0:
        n_classes = source.classifier.out_features
        ms, n_s = _class_mean_codes(source, S, _chunk_rows(S, source), cfg, n_classes)
        mt, n_t = _class_mean_codes(target, T, _chunk_rows(T, target), cfg, n_classes)
        both = (n_s > 0) & (n_t > 0)
        ms, mt = ms[both], mt[both]
        return solve_ridge(mt.T @ mt, mt.T @ ms, cfg.lambda_pair).float()
    gram = torch.zeros((d, d), dtype=torch.float64, device=device)
    cross = torch.zeros((d, d), dtype=torch.float64, device=device)
    chunk = min(_chunk_rows(S, source), _chunk_rows(T, target))
    with torch.no_grad():
        for part in _slices(S.n_pairs, chunk):
            with _autocast(cfg, device):
                zs = source.encode(S.rows.take(_shift(part, S.pair_start)))
                zt = target.encode(T.rows.take(_shift(part, T.pair_start)))
            zs, zt = zs.double(), zt.double()
            gram += zt.T @ zt
            cross += zt.T @ zs
    return solve_ridge(gram, cross, cfg.lambda_pair).float()


def class_probabilities(
    encoder: Pathway,
    classifier: Pathway,
    G: torch.Tensor | None,
    dom: DomainTensors,
    cfg: TrainingConfig,
    start: int = 0,
) -> torch.Tensor:
    """Class probabilities of the rows of ``dom`` from ``start`` on, by pathways
    in training: the softmax of ``classifier.logits(encoder.encode(x) G)``
    (``G`` left out when None); float32, chunk by chunk, on the CPU."""
    out = []
    with torch.no_grad():
        for part in _slices(dom.n_rows - start, _chunk_rows(dom, encoder)):
            with _autocast(cfg, dom.rows.device):
                z = encoder.encode(dom.rows.take(_shift(part, start)))
                if G is not None:
                    z = z.float() @ G
                logits = classifier.logits(z)
            out.append(torch.softmax(logits.float(), dim=1).cpu())
    return torch.cat(out)
