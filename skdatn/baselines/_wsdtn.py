"""WSDTN: Weakly-Shared Deep Transfer Networks (Shu et al., ACM MM 2015)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._datn import DATNClassifier
from .._preprocessing import to_dense
from .._torch.losses import recon_loss, reg_loss, soft_loss
from .._torch.networks import Pathway
from .._torch.training import StageConfig, _batches, run_stage
from .._validation import ValidatedFit
from ._base import LogProbaTransferClassifier


def tie_penalty(source: Pathway, target: Pathway, n_shared_layers: int) -> torch.Tensor:
    """Σ ||W_S - W_T||_F² + ||b_S - b_T||² over the weakly shared layers.

    The weakly shared layers are the top ``n_shared_layers`` encoder layers and
    the softmax classifier of the two pathways.
    """
    pairs = [(source.classifier.weight, target.classifier.weight)]
    if n_shared_layers:
        for ls, lt in zip(
            source.encoder[-n_shared_layers:],
            target.encoder[-n_shared_layers:],
            strict=True,
        ):
            pairs += [(ls.weight, lt.weight), (ls.bias, lt.bias)]
    return sum((a - b).pow(2).sum() for a, b in pairs)


class WSDTNClassifier(LogProbaTransferClassifier):
    """Weakly-Shared Deep Transfer Networks: two autoencoders with softly tied tops.

    Shu, Qi, Tang & Wang, "Weakly-Shared Deep Transfer Networks for
    Heterogeneous-Domain Knowledge Propagation", ACM Multimedia 2015; a
    baseline of the DATN paper (Wang, Cui & Zhu, AAAI 2018), where it is the
    deep *symmetric* transfer method that "seeks to find a medium solution
    between the source and target domain".

    Each domain has a stacked autoencoder (ReLU encoder of widths
    ``hidden_layer_sizes``, untied mirrored decoder) with a softmax classifier
    on its top layer. The bottom layers are private to each domain (their
    input widths differ); the top ``n_shared_layers`` encoder layers and the
    classifier are *weakly shared*: each domain keeps its own weights, and a
    penalty ``tie_weight * Σ_l ||W_S^l - W_T^l||² (+ biases)`` pulls them
    together (``tie_weight -> inf`` would make them strongly shared, ``0``
    independent). Training has two stages:

    1. Pretraining: each network alone on its domain, ``pretrain_epochs``
       epochs of ``L_recon + L_soft`` (reconstruction of every row of the
       domain, softmax loss of its labelled rows).
    2. Joint fine-tuning of both networks on::

           L_soft,S + L_soft,T + pair_weight * L_pair + tie_weight * L_tie
           + recon_weight * (L_recon,S + L_recon,T) + lambda_reg * L_reg

       ``L_soft,*``: softmax cross-entropy of the labelled rows of each
       domain with its own (weakly shared) classifier; ``L_pair``: squared
       distance between the top-layer codes of the two sides of each pair,
       a mean over pairs and code units (the co-occurrence data pulls the
       two representations into a common, "medium" space: neither side is
       mapped onto the other); ``L_tie``: the penalty above;
       ``L_recon,*``: squared reconstruction error, a mean over the rows of
       the domain and its features; ``L_reg``: squared norm of the encoder
       parameters.

    A target row is classified by the target network's own classifier.

    Faithfulness: the architecture (private bottom layers, weakly shared top
    layers tied by a penalty on their parameter difference, labels of both
    domains and co-occurrence pairs in one objective, autoencoder
    pretraining) follows the paper's abstract and the DATN paper's summary;
    it was written without the paper's full text, so its exact losses are not
    reproduced. These details are this implementation's reading:

    - the co-occurrence term is a squared distance between paired top-layer
      codes (the paper's exact co-occurrence loss is not reproduced);
    - ReLU hidden units; pretraining trains each whole autoencoder at once
      (not greedily layer by layer) and, unlike the paper's unsupervised
      pretraining, includes each domain's softmax loss: without it the pair
      term collapses the freshly aligned codes before the classifiers learn
      anything (user guide, "Variants", "Baselines"); Adam, full batch by
      default; the reconstruction terms
      are kept during fine-tuning with weight ``recon_weight``;
    - the classifier counts as a weakly shared layer (both domains have their
      own softmax, tied like the top encoder layers);
    - inputs are standardised per domain; every term is a mean (over rows,
      and over features or code units), so the weights of the terms depend
      neither on the numbers of rows nor on the widths. Default weights
      were picked on the mfeat development tasks (fac->fou, fac->zer,
      pix->fou).

    Without any source data it trains the target network alone (pretraining,
    then its softmax and reconstruction losses): a target-only autoencoder
    classifier.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(64, 32)
        Encoder widths, the same in both domains.
    n_shared_layers : int, default=1
        Number of top encoder layers that are weakly shared (the classifier
        always is). At most ``len(hidden_layer_sizes) - 1``, unless both
        domains have the same number of features.
    tie_weight : float, default=1.0
        Weight of the penalty on the weight difference of the shared layers.
    pair_weight : float, default=1.0
        Weight of the distance between paired top-layer codes.
    recon_weight : float, default=1.0
        Weight of the reconstruction losses during fine-tuning.
    lambda_reg : float, default=1e-4
        L2 penalty on the encoder parameters.
    solver : {"adam", "rmsprop", "sgd"}, default="adam"
        Optimiser.
    learning_rate : float, default=3e-3
        Step size.
    batch_size : int or None, default=None
        Rows per step of every block (domain rows, labelled rows, pairs);
        ``None``: full batch.
    pretrain_epochs : int, default=50
        Epochs of pretraining per domain.
    finetune_epochs : int, default=200
        Epochs of joint fine-tuning.
    tol : float, default=1e-4
        Relative improvement of the epoch loss that resets ``n_iter_no_change``.
    n_iter_no_change : int or None, default=None
        Stop a stage after this many epochs without improvement; ``None``
        runs every epoch.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights and batches (a private
        ``torch.Generator``; torch's global RNG is untouched).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of target features.
    target_scaler_, source_scaler_ : StandardScaler
        Per-domain scalers (``source_scaler_`` is ``None`` without source data).
    target_net_, source_net_ : torch.nn.Module
        Fitted networks (float64, CPU); ``source_net_`` is ``None`` without
        source data.
    tie_distance_ : float
        ``sqrt(L_tie)`` at the end of training (``nan`` without source data).
    history_ : list of dict
        Per-epoch mean loss terms of every stage.
    n_iter_ : int
        Epochs run, both stages together.

    See Also
    --------
    HHTLClassifier : The asymmetric deep baseline (maps target to source).

    Examples
    --------
    >>> from skdatn.baselines import WSDTNClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = WSDTNClassifier(random_state=0).fit(task.X, task.y, **task.fit_params)
    >>> clf.score(task.X_test, task.y_test) > 0.6
    True
    """

    _needs_pairs = True
    _parameter_constraints: dict = {
        # The knobs it shares with DATN are validated as DATN's.
        **{
            name: DATNClassifier._parameter_constraints[name]
            for name in (
                "hidden_layer_sizes",
                "recon_weight",
                "lambda_reg",
                "solver",
                "learning_rate",
                "batch_size",
                "pretrain_epochs",
                "finetune_epochs",
                "tol",
                "n_iter_no_change",
                "random_state",
            )
        },
        "n_shared_layers": [Interval(Integral, 0, None, closed="left")],
        "tie_weight": [Interval(Real, 0, None, closed="left")],
        "pair_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 32),
        n_shared_layers=1,
        tie_weight=1.0,
        pair_weight=1.0,
        recon_weight=1.0,
        lambda_reg=1e-4,
        solver="adam",
        learning_rate=3e-3,
        batch_size=None,
        pretrain_epochs=50,
        finetune_epochs=200,
        tol=1e-4,
        n_iter_no_change=None,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_shared_layers = n_shared_layers
        self.tie_weight = tie_weight
        self.pair_weight = pair_weight
        self.recon_weight = recon_weight
        self.lambda_reg = lambda_reg
        self.solver = solver
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.pretrain_epochs = pretrain_epochs
        self.finetune_epochs = finetune_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    def _fit(self, fit: ValidatedFit) -> None:
        """Pretrain both autoencoders, then fine-tune them jointly."""
        X, inputs = fit.X, fit.inputs
        y_codes, ys_codes = fit.y_codes, fit.ys_codes
        classes = fit.classes
        sizes = _as_sizes(self.hidden_layer_sizes)
        n_shared = self.n_shared_layers
        if n_shared > len(sizes):
            raise ValueError(
                f"n_shared_layers={n_shared} exceeds the number of encoder layers "
                f"({len(sizes)})."
            )
        has_source = inputs.has_source
        if has_source:
            self._require_pairs(fit, "WSDTN aligns the two networks on them.")
            if n_shared == len(sizes) and inputs.n_source_features != X.shape[1]:
                raise ValueError(
                    f"n_shared_layers={n_shared} shares the first encoder layer, "
                    f"whose input widths differ ({inputs.n_source_features} source "
                    f"vs {X.shape[1]} target features); use at most "
                    f"{len(sizes) - 1}."
                )
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(
            int(rng.randint(np.iinfo(np.int32).max))
        )
        X = to_dense(X)
        n_classes = len(classes)

        # Target rows: labelled, unlabelled, paired (pairs last).
        t_rows = inputs.target_rows(X)
        self.target_scaler_ = StandardScaler().fit(t_rows)
        T = _Domain(
            self.target_scaler_.transform(t_rows),
            np.arange(X.shape[0]),
            y_codes,
            None if inputs.pairs_target is None else inputs.pairs_target.shape[0],
        )
        target_net = Pathway(X.shape[1], sizes, n_classes, generator)
        self.history_: list[dict] = []
        n_epochs = self._pretrain(target_net, T, "pretrain_target", generator)

        self.source_scaler_ = source_net = None
        if has_source:
            labeled = np.empty(0, dtype=np.int64)
            if inputs.X_source is not None:
                labeled = np.flatnonzero(inputs.source_labeled)
            s_rows = inputs.source_rows()
            self.source_scaler_ = StandardScaler().fit(s_rows)
            S = _Domain(
                self.source_scaler_.transform(s_rows),
                labeled,
                ys_codes,
                inputs.pairs_source.shape[0],
            )
            source_net = Pathway(s_rows.shape[1], sizes, n_classes, generator)
            n_epochs += self._pretrain(source_net, S, "pretrain_source", generator)
            n_epochs += self._finetune(source_net, target_net, S, T, generator)
            with torch.no_grad():
                self.tie_distance_ = float(
                    tie_penalty(source_net, target_net, n_shared).sqrt()
                )
        else:
            n_epochs += self._finetune(None, target_net, None, T, generator)
            self.tie_distance_ = float("nan")
        self.target_net_ = target_net.cpu().double().eval().requires_grad_(False)
        self.source_net_ = (
            None
            if source_net is None
            else source_net.cpu().double().eval().requires_grad_(False)
        )
        self.n_iter_ = max(n_epochs, 1)

    # ------------------------------------------------------------------ training
    def _run(self, name, params, n_epochs, step_terms) -> int:
        """Epochs of one stage in DATN's loop; ``step_terms()`` yields each
        step's loss terms."""
        cfg = StageConfig(
            solver=self.solver,
            learning_rate=self.learning_rate,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
        )
        return run_stage(
            name, params, n_epochs, lambda epoch: step_terms(), cfg, self.history_
        )

    def _n_steps(self, *sizes: int) -> int:
        if self.batch_size is None:
            return 1
        return max(1, -(-max(sizes) // self.batch_size))

    def _pretrain(self, net: Pathway, dom: _Domain, name: str, generator) -> int:
        if self.pretrain_epochs == 0:
            return 0
        params = list(net.parameters())

        def step_terms():
            n_steps = self._n_steps(dom.n_rows, dom.n_labeled)
            rows_b = dom.row_batches(self.batch_size, n_steps, generator)
            labs_b = dom.label_batches(self.batch_size, n_steps, generator)
            for rows, labs in zip(rows_b, labs_b, strict=True):
                x = dom.take(rows)
                terms = {"recon": _recon(net, x)}
                loss = terms["recon"]
                if dom.n_labeled:
                    xl, yl = dom.labeled_rows(labs)
                    terms["soft"] = soft_loss(net.logits(net.encode(xl)), yl)
                    loss = loss + terms["soft"]
                terms["loss"] = loss
                yield terms

        return self._run(name, params, self.pretrain_epochs, step_terms)

    def _finetune(self, source, target, S, T, generator) -> int:
        if self.finetune_epochs == 0:
            return 0
        n_shared = self.n_shared_layers
        nets = [target] if source is None else [source, target]
        doms = [T] if source is None else [S, T]
        params = [p for net in nets for p in net.parameters()]

        def step_terms():
            sizes = [d.n_rows for d in doms] + [d.n_labeled for d in doms]
            if source is not None:
                sizes.append(T.n_pairs)
            n_steps = self._n_steps(*sizes)
            batches = [
                (
                    dom.row_batches(self.batch_size, n_steps, generator),
                    dom.label_batches(self.batch_size, n_steps, generator),
                )
                for dom in doms
            ]
            pair_batches = (
                T.pair_batches(self.batch_size, n_steps, generator)
                if source is not None
                else [None] * n_steps
            )
            for step in range(n_steps):
                terms, loss = {}, 0.0
                for net, dom, (rows, labs), tag in zip(
                    nets, doms, batches, ("source", "target")[-len(nets) :], strict=True
                ):
                    if self.recon_weight > 0:
                        x = dom.take(rows[step])
                        terms["recon_" + tag] = _recon(net, x)
                        loss = loss + self.recon_weight * terms["recon_" + tag]
                    if dom.n_labeled:
                        xl, yl = dom.labeled_rows(labs[step])
                        terms["soft_" + tag] = soft_loss(net.logits(net.encode(xl)), yl)
                        loss = loss + terms["soft_" + tag]
                if source is not None:
                    p = pair_batches[step]
                    zs = source.encode(S.pair_rows(p))
                    zt = target.encode(T.pair_rows(p))
                    terms["pair"] = (zs - zt).pow(2).mean()
                    terms["tie"] = tie_penalty(source, target, n_shared)
                    loss = (
                        loss
                        + self.pair_weight * terms["pair"]
                        + self.tie_weight * terms["tie"]
                    )
                enc = [p for net in nets for p in net.encoder_parameters()]
                terms["reg"] = reg_loss(enc, self.lambda_reg)
                terms["loss"] = loss + terms["reg"]
                yield terms

        return self._run("finetune", params, self.finetune_epochs, step_terms)

    # ---------------------------------------------------------------- prediction
    def _decision(self, X):
        x = torch.as_tensor(
            self.target_scaler_.transform(to_dense(X)), dtype=torch.float64
        )
        with torch.no_grad():
            logits = self.target_net_.logits(self.target_net_.encode(x))
            return torch.log_softmax(logits, dim=1).numpy()


class _Domain:
    """One domain's scaled rows as a float32 tensor; pairs are its last rows."""

    def __init__(self, rows, labeled, codes, n_pairs) -> None:
        self.X = torch.as_tensor(np.asarray(rows, dtype=np.float32))
        self.labeled = torch.as_tensor(labeled, dtype=torch.long)
        self.y = torch.as_tensor(codes, dtype=torch.long)
        self.n_pairs = n_pairs or 0
        self.pairs = torch.arange(self.n_rows - self.n_pairs, self.n_rows)

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def n_labeled(self) -> int:
        return self.labeled.numel()

    def row_batches(self, batch_size, n_steps, generator):
        return _batches(self.n_rows, batch_size, n_steps, generator, "cpu")

    def label_batches(self, batch_size, n_steps, generator):
        return _batches(self.n_labeled, batch_size, n_steps, generator, "cpu")

    def pair_batches(self, batch_size, n_steps, generator):
        return _batches(self.n_pairs, batch_size, n_steps, generator, "cpu")

    def take(self, rows):
        return self.X if rows is None else self.X[rows]

    def labeled_rows(self, batch):
        idx = self.labeled if batch is None else self.labeled[batch]
        codes = self.y if batch is None else self.y[batch]
        return self.X[idx], codes

    def pair_rows(self, batch):
        idx = self.pairs if batch is None else self.pairs[batch]
        return self.X[idx]


def _recon(net: Pathway, x: torch.Tensor) -> torch.Tensor:
    """Mean squared reconstruction error per entry (per row and per feature)."""
    return recon_loss(net.decode(net.encode(x)), x) / x.shape[1]


def _as_sizes(sizes) -> tuple[int, ...]:
    sizes = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
    if len(sizes) == 0 or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
        raise ValueError(
            f"hidden_layer_sizes must be a non-empty sequence of positive ints, "
            f"got {sizes!r}."
        )
    return tuple(int(s) for s in sizes)
