"""DATN's training: intra-domain pretraining (Eq. 3), then block coordinate descent (Alg. 1)."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from .losses import (
    mmd_loss,
    pair_loss,
    recon_loss,
    reg_loss,
    ridge_map,
    soft_loss,
    trans_loss,
)
from .networks import Pathway


@dataclass
class DomainTensors:
    """One domain's training rows on the training device.

    ``X`` holds every row used for reconstruction and MMD; ``labeled`` and
    ``pairs`` index into it. Pair indices are aligned across the two domains.
    """

    X: torch.Tensor
    labeled: torch.Tensor  # long indices of the labelled rows of X
    y: torch.Tensor  # class codes of those rows
    pairs: torch.Tensor | None = None  # long indices of the pair rows of X

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def has_labels(self) -> bool:
        return self.labeled.numel() > 0


@dataclass
class TrainingConfig:
    """Every knob of the training loop (the estimator's parameters, resolved)."""

    pretrain_epochs: int
    finetune_epochs: int
    solver: str
    learning_rate: float
    batch_size: int | None
    tol: float
    n_iter_no_change: int | None
    alpha: float
    beta: float
    intra_weight: float
    recon_weight: float
    lambda_reg: float
    lambda_pair: float
    mmd_target: str  # "encoded": MMD(f_S, f_T); "mapped": MMD(f_S, f_T G)
    asymmetric: bool
    verbose: int
    generator: torch.Generator


#: What each stage name of ``history_`` means, for error messages.
STAGES = {
    "pretrain_source": "pretraining of the source pathway",
    "pretrain_target": "pretraining of the target pathway",
    "finetune": "fine-tuning",
}


class TrainingDivergedError(FloatingPointError):
    """The training loss, or a weight, became NaN or infinite.

    Attributes
    ----------
    stage : str
        The stage that diverged: ``"pretrain_source"``, ``"pretrain_target"``
        or ``"finetune"``.
    epoch : int
        The epoch (1-based, within the stage) at which it was detected.
    history : list of dict
        The per-epoch records of the fit up to and including that epoch, as in
        ``history_``; the estimator's ``history_`` is set to it as well.

    Examples
    --------
    >>> import numpy as np
    >>> from skdatn import DATNClassifier, TrainingDivergedError
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 3)), np.arange(20) % 2
    >>> clf = DATNClassifier(hidden_layer_sizes=(8,), solver="sgd",
    ...                      learning_rate=1e6, random_state=0)
    >>> try:
    ...     clf.fit(X, y)
    ... except TrainingDivergedError as exc:
    ...     print(exc.stage, clf.history_ == exc.history, len(exc.history) == exc.epoch)
    pretrain_target True True
    """

    def __init__(self, message: str, stage: str, epoch: int, history: list[dict]):
        super().__init__(message)
        self.stage, self.epoch, self.history = stage, epoch, history

    def __reduce__(self):  # picklable across processes despite the extra arguments
        return type(self), (str(self), self.stage, self.epoch, self.history)


def diverged(
    stage: str, epoch: int, what: str, cfg: TrainingConfig, history: list[dict]
) -> TrainingDivergedError:
    """The error for a non-finite ``what`` in ``stage`` at ``epoch``."""
    return TrainingDivergedError(
        f"Training diverged in the {STAGES.get(stage, stage)} (stage {stage!r}) at "
        f"epoch {epoch}: {what}. Try a smaller learning_rate (it is "
        f"{cfg.learning_rate:g}), or check the scale of the inputs "
        f"(input_scaling). history_ holds the losses up to this epoch.",
        stage,
        epoch,
        list(history),
    )


def _all_finite(params: list[torch.Tensor]) -> bool:
    return bool(torch.stack([p.detach().isfinite().all() for p in params]).all())


def make_optimizer(params, solver: str, learning_rate: float) -> torch.optim.Optimizer:
    """The optimiser; ``"rmsprop"`` is the paper's (TensorFlow decay 0.8, momentum 0.8)."""
    params = list(params)
    if solver == "adam":
        return torch.optim.Adam(params, lr=learning_rate)
    if solver == "rmsprop":
        return torch.optim.RMSprop(params, lr=learning_rate, alpha=0.8, momentum=0.8)
    if solver == "sgd":
        return torch.optim.SGD(params, lr=learning_rate, momentum=0.9)
    raise ValueError(f"Unknown solver {solver!r}.")


def _batches(
    n: int, batch_size: int | None, n_steps: int, generator: torch.Generator, device
) -> list[torch.Tensor | None]:
    """Index batches for ``n_steps`` steps over ``n`` rows (``None``: all rows).

    A block smaller than the number of rows an epoch visits is cycled through
    fresh permutations, so every step sees a batch of every block.
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


def _take(X: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    return X if index is None else X[index]


def _sub(indices: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
    return indices if batch is None else indices[batch]


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


def _run_stage(
    stage: str,
    params: list[torch.Tensor],
    n_epochs: int,
    step_fn: Callable[[int], Iterator[dict[str, torch.Tensor]]],
    cfg: TrainingConfig,
    history: list[dict],
    before_epoch: Callable[[], None] | None = None,
) -> int:
    """Run the epochs of one stage; ``step_fn(epoch)`` yields each step's loss terms
    (key ``"loss"`` is the objective). Returns the number of epochs run."""
    optimizer = make_optimizer(params, cfg.solver, cfg.learning_rate)
    plateau = _Plateau(cfg.tol, cfg.n_iter_no_change)
    epoch = 0
    for epoch in range(1, n_epochs + 1):
        if before_epoch is not None:
            before_epoch()
        sums: dict[str, float] = {}
        n_steps = 0
        for terms in step_fn(epoch):
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            n_steps += 1
            for key, value in terms.items():
                sums[key] = sums.get(key, 0.0) + float(value.detach())
        record = {"stage": stage, "epoch": epoch}
        record.update({k: v / n_steps for k, v in sums.items()})
        history.append(record)
        if cfg.verbose:
            parts = " ".join(
                f"{k}={v:.4g}" for k, v in record.items() if k not in ("stage", "epoch")
            )
            print(
                f"[skdatn] {stage} epoch {epoch}: {parts}", file=sys.stderr, flush=True
            )
        if not math.isfinite(record["loss"]):
            raise diverged(
                stage, epoch, f"the loss became {record['loss']}", cfg, history
            )
        if not _all_finite(params):
            raise diverged(
                stage, epoch, "a weight became NaN or infinite", cfg, history
            )
        if plateau.should_stop(record["loss"]):
            break
    return epoch


def _intra_terms(
    path: Pathway,
    dom: DomainTensors,
    x: torch.Tensor,
    z: torch.Tensor,
    lab_batch: torch.Tensor | None,
    cfg: TrainingConfig,
    prefix: str,
) -> dict[str, torch.Tensor]:
    """L_recon (Eq. 1) on a batch of rows and L_soft (Eq. 2) on a batch of labelled rows."""
    suffix = f"_{prefix}" if prefix else ""
    terms = {}
    if cfg.recon_weight > 0:
        terms["recon" + suffix] = recon_loss(path.decode(z), x)
    if dom.has_labels:
        x_lab = dom.X[_sub(dom.labeled, lab_batch)]
        logits = path.logits(path.encode(x_lab))
        terms["soft" + suffix] = soft_loss(logits, _sub(dom.y, lab_batch))
    return terms


def _intra_objective(
    terms: dict[str, torch.Tensor], cfg: TrainingConfig
) -> torch.Tensor:
    """J_intra without L_reg (Eq. 3): recon_weight * L_recon + L_soft."""
    return sum(
        cfg.recon_weight * value if key.startswith("recon") else value
        for key, value in terms.items()
    )


def pretrain(
    path: Pathway,
    dom: DomainTensors,
    cfg: TrainingConfig,
    history: list[dict],
    stage: str,
) -> int:
    """Intra-domain representation learning (Eq. 3) for one domain."""
    n_steps = _steps_per_epoch(dom.n_rows, cfg.batch_size)
    device = dom.X.device

    def steps(epoch: int):
        rows = _batches(dom.n_rows, cfg.batch_size, n_steps, cfg.generator, device)
        labs = _batches(
            dom.labeled.numel(), cfg.batch_size, n_steps, cfg.generator, device
        )
        for row_b, lab_b in zip(rows, labs, strict=True):
            x = _take(dom.X, row_b)
            terms = _intra_terms(path, dom, x, path.encode(x), lab_b, cfg, "")
            objective = _intra_objective(terms, cfg)
            terms["reg"] = reg_loss(path.encoder_parameters(), cfg.lambda_reg)
            terms["loss"] = objective + terms["reg"]
            yield terms

    params = [p for p in path.parameters() if p.requires_grad]
    if cfg.recon_weight == 0 and not dom.has_labels:
        return 0  # nothing to learn from in this domain
    return _run_stage(stage, params, cfg.pretrain_epochs, steps, cfg, history)


def finetune(
    source: Pathway,
    target: Pathway,
    S: DomainTensors,
    T: DomainTensors,
    cfg: TrainingConfig,
    history: list[dict],
) -> tuple[torch.Tensor | None, int]:
    """Unbalanced domain adaptation (Eq. 4) by block coordinate descent (Alg. 1).

    Each epoch first refreshes G in closed form from all pairs with the encoders
    fixed (line 11), then takes gradient steps on J_cross with G fixed (line 13).
    Returns the final G (recomputed from the final encoders) and the epochs run.
    """
    device = T.X.device
    n_steps = _steps_per_epoch(max(S.n_rows, T.n_rows), cfg.batch_size)
    asym = cfg.asymmetric
    intra_weight = cfg.intra_weight if asym else 1.0  # DATN_unsup is intra + β MMD
    state: dict[str, torch.Tensor] = {}

    def refresh_G() -> None:
        with torch.no_grad():
            state["G"] = ridge_map(
                source.encode(S.X[S.pairs]),
                target.encode(T.X[T.pairs]),
                cfg.lambda_pair,
            )

    def steps(epoch: int):
        g = cfg.generator
        s_rows = _batches(S.n_rows, cfg.batch_size, n_steps, g, device)
        t_rows = _batches(T.n_rows, cfg.batch_size, n_steps, g, device)
        s_labs = _batches(S.labeled.numel(), cfg.batch_size, n_steps, g, device)
        t_labs = _batches(T.labeled.numel(), cfg.batch_size, n_steps, g, device)
        n_pairs = 0 if S.pairs is None else S.pairs.numel()
        p_rows = _batches(n_pairs, cfg.batch_size, n_steps, g, device)
        for s_b, t_b, sl_b, tl_b, p_b in zip(
            s_rows, t_rows, s_labs, t_labs, p_rows, strict=True
        ):
            xs, xt = _take(S.X, s_b), _take(T.X, t_b)
            zs, zt = source.encode(xs), target.encode(xt)
            terms: dict[str, torch.Tensor] = {}
            intra = {}
            if intra_weight > 0:
                intra.update(_intra_terms(source, S, xs, zs, sl_b, cfg, "source"))
                intra.update(_intra_terms(target, T, xt, zt, tl_b, cfg, "target"))
                terms.update(intra)
            loss = intra_weight * _intra_objective(intra, cfg) if intra else 0.0
            if asym:
                G = state["G"]
                zs_c = source.encode(S.X[_sub(S.pairs, p_b)])
                zt_c = target.encode(T.X[_sub(T.pairs, p_b)])
                terms["pair"] = pair_loss(zs_c, zt_c, G, cfg.lambda_pair)
                lab = _sub(T.labeled, tl_b)
                terms["trans"] = trans_loss(
                    target.encode(T.X[lab]), G, source.classifier, _sub(T.y, tl_b)
                )
                loss = loss + terms["pair"] + cfg.alpha * terms["trans"]
            if cfg.beta > 0:
                zt_m = zt @ state["G"] if asym and cfg.mmd_target == "mapped" else zt
                terms["mmd"] = mmd_loss(zs, zt_m)
                loss = loss + cfg.beta * terms["mmd"]
            terms["reg"] = reg_loss(
                source.encoder_parameters() + target.encoder_parameters(),
                cfg.lambda_reg,
            )
            terms["loss"] = loss + terms["reg"]
            yield terms

    params = list(source.parameters()) + list(target.parameters())
    n_epochs = _run_stage(
        "finetune",
        params,
        cfg.finetune_epochs,
        steps,
        cfg,
        history,
        before_epoch=refresh_G if asym else None,
    )
    if not asym:
        return None, n_epochs
    refresh_G()  # Alg. 1 line 15: G of the final encoders
    if not bool(state["G"].isfinite().all()):
        raise diverged(
            "finetune", n_epochs, "the final map G is not finite", cfg, history
        )
    return state["G"], n_epochs
