"""DATNClassifier: the scikit-learn face of the Deep Asymmetric Transfer Network."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field, fields
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _num_samples, check_array, check_is_fitted

from ._device import data_device, resolve_device
from ._holders import (
    TransferInputs,
    _check_rows,
    check_names,
    check_raw_rows,
    column_names,
    n_columns,
)
from ._preprocessing import iter_chunks, make_scaler
from ._progress import say
from ._pseudo_labels import confident_rows
from ._threads import threads_limited
from ._torch.data import build_rows
from ._torch.networks import Pathway
from ._torch.sparse import SparseBatch, sparse_batches_pay
from ._torch.training import (
    STAGES,
    DomainTensors,
    TrainingConfig,
    TrainingDivergedError,
    class_probabilities,
    finetune,
    pretrain,
)
from ._validation import (
    SPARSE_FORMATS,
    TRANSFER_FIT_REQUEST,
    ValidatedFit,
    validate_target_rows,
    validate_transfer_fit,
)
from ._warn import warn


@dataclass
class _TargetRows:
    """The target rows of a fit as given (validated, not preprocessed), to build
    the training tensors again with pseudo-labelled rows among the labelled ones."""

    X: object
    codes: np.ndarray  # class codes of the rows of X
    X_unlabeled: object | None
    pairs: object | None
    use_unlabeled: bool  # whether X_unlabeled's rows are training rows (beta > 0)
    #: Rows of the pairs labelled through their source side, and their class codes.
    pair_rows: np.ndarray | None = None
    pair_codes: np.ndarray | None = None

    def blocks(self, pseudo: np.ndarray | None = None) -> list[tuple]:
        """Labelled rows (those of X, the labelled pairs' target rows, the
        pseudo-labelled rows of X_unlabeled), the other unlabelled rows (when
        used), the pairs (all of them: a labelled pair stays a pair)."""
        U = self.X_unlabeled
        labelled = [self.X]
        if self.pair_rows is not None:
            labelled.append((self.pairs, self.pair_rows))
        if pseudo is None:
            return _blocks([*labelled, U if self.use_unlabeled else None, self.pairs])
        rest = np.setdiff1d(np.arange(_num_samples(U)), pseudo)
        return _blocks([*labelled, (U, pseudo), (U, rest), self.pairs])

    def labels(self, pseudo_codes: np.ndarray | None = None) -> np.ndarray:
        """The class codes of the labelled rows of :meth:`blocks`, in order."""
        parts = [self.codes]
        if self.pair_rows is not None:
            parts.append(self.pair_codes)
        if pseudo_codes is not None:
            parts.append(pseudo_codes)
        return np.concatenate(parts)

    @property
    def n_pairs(self) -> int:
        return 0 if self.pairs is None else _num_samples(self.pairs)

    @property
    def n_labeled(self) -> int:
        """Labelled rows of :meth:`blocks` without pseudo-labels."""
        return len(self.codes) + (0 if self.pair_rows is None else len(self.pair_rows))


@dataclass
class _FitRun:
    """One fit in progress: the training tensors, the pathways and the log."""

    cfg: TrainingConfig
    target_net: Pathway
    T: DomainTensors
    source_net: Pathway | None = None
    S: DomainTensors | None = None
    history: list[dict] = field(default_factory=list)
    n_epochs: int = 0
    #: The fitted per-domain preprocessors ("source", "target"; None when unset).
    preprocessors: dict = field(default_factory=dict)
    target_rows: _TargetRows | None = None
    #: The state before the target pathway's pretraining (kept for self-training).
    before_target: dict | None = None

    def snapshot(self) -> dict:
        """The state after pretraining, to restore into another run (whose
        ``_prepare_fit`` reuses ``snapshot["preprocessors"]``)."""
        nets = {"target": self.target_net, "source": self.source_net}
        return {
            "preprocessors": dict(self.preprocessors),
            "states": {
                k: copy.deepcopy(net.state_dict())
                for k, net in nets.items()
                if net is not None
            },
            "generator": self.cfg.generator.get_state(),
            "history": copy.deepcopy(self.history),
            "n_epochs": self.n_epochs,
            "pair_labels": None
            if self.target_rows is None
            else (self.target_rows.pair_rows, self.target_rows.pair_codes),
            # Self-training starts again from there (a snapshot itself).
            "before_target": self.before_target,
        }

    def restore(self, snapshot: dict) -> None:
        """Continue from :meth:`snapshot` of a run with the same data and seed."""
        self.target_net.load_state_dict(snapshot["states"]["target"])
        if self.source_net is not None:
            self.source_net.load_state_dict(snapshot["states"]["source"])
        self.cfg.generator.set_state(snapshot["generator"])
        self.history[:] = copy.deepcopy(snapshot["history"])
        self.n_epochs = snapshot["n_epochs"]
        self.before_target = snapshot.get("before_target")
        pair_rows, pair_codes = snapshot["pair_labels"] or (None, None)
        if self.target_rows is not None and pair_rows is not None:
            # T gains the pairs' labels when fine-tuning starts.
            self.target_rows.pair_rows = pair_rows
            self.target_rows.pair_codes = pair_codes


#: The settings that turn skdatn's extensions beyond the paper off:
#: ``DATNClassifier(**PAPER_SETTINGS)`` (or ``DATNClassifierCV``) is the
#: paper's DATN.
PAPER_SETTINGS: dict = {"self_training": 0, "pair_label_share": 0.0}


class DATNClassifier(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClassifierMixin, BaseEstimator
):
    """Deep Asymmetric Transfer Network for unbalanced, heterogeneous domain adaptation.

    A data-rich source domain teaches a data-poor target domain whose features
    may live in a different space (Wang, Cui & Zhu, AAAI 2018). Each domain
    has its own deep pathway (a ReLU autoencoder with a softmax classifier);
    pretraining fits each pathway to its own domain (Eq. 1-3); fine-tuning by
    block coordinate descent (Alg. 1) learns a linear map ``G`` from the
    target's top layer to the source's on paired rows (or, without pairs, on
    the class means of the labelled rows of both domains), adapts the *source*
    classifier to mapped target rows, and matches the two domains' mean
    representations on unlabelled rows (Eq. 4). A target row ``x`` is
    classified as ``argmax softmax(f_T(x) G ϑ_S)``.

    ``X, y`` are the labelled target rows. Everything else is optional and goes
    to :meth:`fit` as keyword arguments; without any source data the model is
    the paper's target-only SSDAE (or DNN with ``recon_weight=0``).

    ============  ==========================================================
    Variant       How to get it
    ============  ==========================================================
    DATN          ``fit(X, y, X_source=..., pairs=..., X_unlabeled=...)``
    DATN_sup      ``beta=0``: no unsupervised transfer; unlabelled rows of
                  both domains are not used at all (paper, Fig. 3)
    DATN_unsup    ``asymmetric=False``: no L_pair, no L_trans; intra losses
                  of both domains + ``beta`` MMD, target classifier ϑ_T
    SSDAE         ``fit(X, y, X_unlabeled=...)`` with no source data
    DNN           ``recon_weight=0`` and no source data
    ============  ==========================================================

    Two extensions beyond the paper are on by default, as they measured
    better on the development tasks (user guide, "Self-training and labels
    through the pairs"): labels through the pairs (``pair_label_share``) and
    one round of self-training (``self_training``).
    ``DATNClassifier(**skdatn.PAPER_SETTINGS)`` turns both off: the paper's
    DATN.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Encoder widths of the target pathway; the last is the top width ``d``.
    source_hidden_layer_sizes : tuple of int, default=None
        Encoder widths of the source pathway; ``None`` uses
        ``hidden_layer_sizes``. Its last width must equal the target's (``G``
        is ``d x d``).
    alpha : float, default=1.0
        Weight α of the classifier adaptation loss L_trans in Eq. 4. The
        default lies in :class:`DATNClassifierCV`'s grid (user guide,
        "Choosing α and β").
    beta : float, default=1.0
        Weight β of the unsupervised transfer loss L_unsup (MMD) in Eq. 4.
        ``beta=0`` is DATN_sup, which ignores unlabelled rows entirely.
    asymmetric : bool, default=True
        Use the asymmetric transfer (L_pair, L_trans, prediction through ``G``
        and the source classifier). ``False`` gives DATN_unsup.
    intra_weight : float, default=1.0
        Weight of the intra-domain losses (Eq. 3 without L_reg, both domains)
        kept during fine-tuning. ``0`` restores the literal J_cross of Eq. 4,
        which collapses in practice (see the user guide).
    recon_weight : float, default=0.1
        Weight of the reconstruction loss (Eq. 1) inside Eq. 3, in both stages.
        ``0`` with no source data is the paper's DNN baseline.
    mmd_target : {"encoded", "mapped"}, default="encoded"
        Compare ``f_S`` with ``f_T`` (the paper's formula) or with ``f_T G``.
    self_training : int, default=1
        Rounds of selective self-training after fine-tuning, beyond the paper
        (user guide, "Self-training"): each round labels the most confident rows
        of ``X_unlabeled`` by the last model, per predicted class, and fine-tunes
        again from the pretrained state with them among the labelled target
        rows. ``0`` is the paper's DATN (:data:`~skdatn.PAPER_SETTINGS`). Needs ``X_unlabeled``, source data and
        ``beta > 0``: like the MMD it is a use of the unlabelled rows, which
        ``beta=0`` (DATN_sup) leaves out.
    pseudo_label_share : float, default=0.5
        Share of each predicted class of ``X_unlabeled`` that the last round of
        self-training labels; round ``r`` of ``R`` labels ``r / R`` of it.
    pair_label_share : float, default=0.5
        Beyond the paper (user guide, "Self-training"): share of the pairs,
        per predicted class and most confident first, whose target rows join
        the labelled target rows with the class that the pretrained source
        pathway predicts for their source rows, before the target pathway's
        pretraining. ``0`` is the paper's DATN. Needs labelled source rows.
    lambda_reg : float, default=1e-2
        The L2 penalty λ on encoder weights and biases (L_reg). The paper uses
        1e-4; 1e-2 is measured better with few labelled target rows (user guide).
    lambda_pair : float, default=0.1
        The ridge penalty λ0 of ``G`` in L_pair.
    source_preprocessor, target_preprocessor : transformer or None, default=None
        A scikit-learn transformer (or pipeline) for the rows of one domain,
        applied before ``input_scaling``: cloned, fitted on all of that domain's
        rows of the fit (labelled, unlabelled unless ``beta=0``, its side of the
        pairs) and applied to every row of the domain, at fit and at inference
        (``predict``, ``transform``: target; ``transform_source``: source).
        Sparse input reaches it sparse. For example ``TruncatedSVD(256)`` on
        wide bags of words makes every epoch cost what 256 columns cost (user
        guide, "Large and sparse data"), and a ``TfidfVectorizer`` pipeline
        takes raw counts. The fitted clones are ``source_preprocessor_`` and
        ``target_preprocessor_``. Unlike a ``Pipeline`` step before this
        estimator, which would transform ``X`` but not the unlabelled rows nor
        the pairs, these reach every row of their domain.
    input_scaling : {"auto", "standard", "l2", "maxabs", "none"} or None, default="auto"
        Scaling fitted per domain on all of its rows: standardise features,
        L2-normalise rows (times ``sqrt(n_features)``), scale by max abs, or none.
        ``"auto"`` chooses per domain: max abs for sparse matrices and for
        non-negative data with at most 10% non-zero entries (bags of words,
        tf-idf, counts), standardisation otherwise. The fitted scalers are
        ``source_scaler_`` and ``target_scaler_``.
    solver : {"adam", "rmsprop", "sgd"}, default="adam"
        Optimiser. ``"rmsprop"`` with ``learning_rate=1e-4`` is the paper's
        setting (TensorFlow RMSProp, decay 0.8, momentum 0.8).
    learning_rate : float, default=3e-3
        Step size of the optimiser.
    batch_size : int, default=None
        Rows per gradient step and block; ``None`` uses full batches. Each step
        takes a batch of rows of each domain, a batch of labelled rows of each
        domain and a batch of pairs (blocks smaller than an epoch's worth of
        batches are cycled), so an epoch has ``ceil(n_rows / batch_size)``
        steps and the memory of a step is bounded by the batch. With
        mini-batches L_unsup is the MMD of the two batches of rows (an
        estimate of the full MMD biased up by the batch variance of the means)
        and ``G`` is refreshed from all pairs once per epoch. A full batch too
        large for one pass is processed in chunks whose gradients add up to the
        same step (user guide, "Large and sparse data").
    pretrain_epochs : int, default=200
        Maximum epochs of intra-domain pretraining, per domain. A pathway whose
        loss is still improving when it reaches them (with early stopping on)
        raises a :class:`~sklearn.exceptions.ConvergenceWarning`.
    finetune_epochs : int, default=30
        Maximum epochs (BCD iterations with full batches) of fine-tuning. Longer
        fine-tuning overfits the few labelled target rows (user guide), so this
        short budget is a setting, not a shortfall: no ConvergenceWarning.
    tol : float, default=1e-4
        Relative improvement of a stage's epoch loss that counts as progress.
    n_iter_no_change : int, default=20
        A stage stops after this many epochs without progress; ``None`` runs
        every epoch (and never warns that pretraining did not converge).
    device : str or torch.device, default="auto"
        ``"auto"`` (a GPU when torch sees one), ``"cpu"``, ``"cuda"`` or
        ``"cuda:N"``. On a GPU the training rows are moved there once when
        they take at most half of its free memory, else each batch is moved on
        its own. Fitted modules are moved back to the CPU.
    mixed_precision : {"bfloat16", "float16"} or None, default=None
        Run the forward passes under ``torch.autocast`` in this type (losses,
        ``G`` and the weights stay in float32, ``G`` is solved in float64);
        ``"float16"`` adds dynamic loss scaling. Meant for GPUs; ``None``
        trains in float32.
    n_threads : int or None, default=1
        Number of torch's intra-op threads (and BLAS threads, through
        threadpoolctl) during :meth:`fit` and inference; the caller's settings
        are restored afterwards. One thread by default: torch's waiting threads spin, so a fit
        with more threads than free cores (beside other busy processes, or in
        several worker processes) can be tens of times slower, while a second
        thread on an idle core speeds these small networks up by less than 2x
        (user guide, "CPU and GPU"). Set more on a quiet machine with cores to
        spare. ``None`` leaves torch's setting alone in a process's main thread
        (it follows ``OMP_NUM_THREADS``) and uses 1 in any other thread.
    random_state : int, RandomState instance or None, default=None
        Seeds initial weights and batch order through a private generator;
        torch's global RNG is left untouched.
    verbose : int, default=0
        Progress on stderr: ``0`` none; ``1`` one line per training stage (epochs
        run out of the maximum, seconds, why it stopped, first and last loss);
        ``2`` also one line per epoch (``epoch k/N``, seconds so far, each loss
        term).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels: those of the labelled source rows when there are any,
        else those of ``y``.
    n_features_in_ : int
        Number of target features.
    n_source_features_in_ : int or None
        Number of source features (``None`` for a target-only model).
    source_feature_names_in_ : ndarray of str or None
        Column names of the source rows when ``X_source`` (or the source side
        of ``pairs``) was a DataFrame with string column names; the source side
        of the pairs and ``transform_source`` must then name them alike.
    variant_ : str
        The model fitted: ``"DATN"``, ``"DATN_sup"``, ``"DATN_unsup"``,
        ``"SSDAE"`` or ``"DNN"``.
    G_ : ndarray of shape (d, d)
        The target-to-source map; the identity when the model has none.
    history_ : list of dict
        One record per epoch: ``stage``, ``epoch``, ``loss`` and every loss term.
        Also set (alone) when ``fit`` raises :class:`~skdatn.exceptions.TrainingDivergedError`:
        the records up to the failing epoch.
    n_iter_ : int
        Epochs run, both stages and both domains together.
    n_pseudo_labeled_ : int
        Rows of ``X_unlabeled`` labelled by the last round of self-training
        (``0`` without self-training).
    n_pairs_labeled_ : int
        Pairs whose target rows were labelled through their source rows
        (``pair_label_share``; ``0`` without).
    device_ : str
        The device the model was trained on.
    target_net_, source_net_ : torch.nn.Module
        The fitted pathways, trained in float32 and kept in float64 on the CPU
        for inference; ``source_net_`` is ``None`` for a target-only model.
    target_scaler_, source_scaler_ : transformer
        The fitted per-domain input scalers (``transform`` gives dense float64
        rows).
    target_preprocessor_, source_preprocessor_ : transformer or None
        The fitted clones of ``target_preprocessor`` and ``source_preprocessor``
        (``None`` when not set, or without source data).

    See Also
    --------
    skdatn.DATNClassifierCV : Selects α and β by cross-validation, with a
        fallback to the target-only model when the source does not help; this
        estimator always transfers when given source data (user guide, "Is my
        source helping?").
    skdatn.Domain : Holder for source rows and labels, never sliced by CV.
    skdatn.Pairs : Holder for the paired rows.

    References
    ----------
    D. Wang, P. Cui, W. Zhu. Deep Asymmetric Transfer Network for Unbalanced
    Domain Adaptation. AAAI 2018.

    Examples
    --------
    >>> from skdatn import DATNClassifier, Domain, Pairs
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = DATNClassifier(random_state=0, pretrain_epochs=50, finetune_epochs=50)
    >>> clf.fit(task.X, task.y, **task.fit_params).variant_
    'DATN'
    >>> clf.score(task.X_test, task.y_test) > 0.5
    True
    >>> clf.transform(task.X_test).shape
    (500, 64)
    """

    __metadata_request__fit = TRANSFER_FIT_REQUEST

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "source_hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "asymmetric": ["boolean"],
        "intra_weight": [Interval(Real, 0, None, closed="left")],
        "recon_weight": [Interval(Real, 0, None, closed="left")],
        "mmd_target": [StrOptions({"encoded", "mapped"})],
        "self_training": [Interval(Integral, 0, None, closed="left")],
        "pseudo_label_share": [Interval(Real, 0, 1, closed="right")],
        "pair_label_share": [Interval(Real, 0, 1, closed="both")],
        "lambda_reg": [Interval(Real, 0, None, closed="left")],
        "lambda_pair": [Interval(Real, 0, None, closed="neither")],
        "source_preprocessor": [HasMethods(["fit", "transform"]), None],
        "target_preprocessor": [HasMethods(["fit", "transform"]), None],
        "input_scaling": [
            StrOptions({"auto", "standard", "l2", "maxabs", "none"}),
            None,
        ],
        "solver": [StrOptions({"adam", "rmsprop", "sgd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "finetune_epochs": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str, torch.device],
        "mixed_precision": [StrOptions({"bfloat16", "float16"}), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(128, 64),
        source_hidden_layer_sizes=None,
        *,
        alpha=1.0,
        beta=1.0,
        asymmetric=True,
        intra_weight=1.0,
        recon_weight=0.1,
        mmd_target="encoded",
        self_training=1,
        pseudo_label_share=0.5,
        pair_label_share=0.5,
        lambda_reg=1e-2,
        lambda_pair=0.1,
        source_preprocessor=None,
        target_preprocessor=None,
        input_scaling="auto",
        solver="adam",
        learning_rate=3e-3,
        batch_size=None,
        pretrain_epochs=200,
        finetune_epochs=30,
        tol=1e-4,
        n_iter_no_change=20,
        device="auto",
        mixed_precision=None,
        n_threads=1,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.source_hidden_layer_sizes = source_hidden_layer_sizes
        self.alpha = alpha
        self.beta = beta
        self.asymmetric = asymmetric
        self.intra_weight = intra_weight
        self.recon_weight = recon_weight
        self.mmd_target = mmd_target
        self.self_training = self_training
        self.pseudo_label_share = pseudo_label_share
        self.pair_label_share = pair_label_share
        self.lambda_reg = lambda_reg
        self.lambda_pair = lambda_pair
        self.source_preprocessor = source_preprocessor
        self.target_preprocessor = target_preprocessor
        self.input_scaling = input_scaling
        self.solver = solver
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.pretrain_epochs = pretrain_epochs
        self.finetune_epochs = finetune_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.mixed_precision = mixed_precision
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    @threads_limited
    def fit(self, X, y, *, X_source=None, y_source=None, pairs=None, X_unlabeled=None):
        """Train DATN on labelled target rows plus the optional transfer data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Labelled target rows.
        y : array-like of shape (n_samples,)
            Their labels (any type: ints, strings, ...).
        X_source : {array-like, sparse matrix} of shape (n_source, n_source_features) or Domain, default=None
            Source rows; ``Domain(X_source, y_source)`` keeps them whole under
            cross-validation.
        y_source : array-like of shape (n_source,), default=None
            Source labels, ``-1`` (or ``None`` in an object array) for
            unlabelled rows. Every class of ``y`` must appear in it.
        pairs : Pairs or tuple (X_pairs_source, X_pairs_target), default=None
            Rows seen in both domains, row i of one side being row i of the
            other (arrays or sparse matrices); at least 2 pairs (one pair
            gives a map ``G`` that sends every target row to the same class).
            Without pairs, the asymmetric transfer pairs the class means of the
            labelled rows of both domains (user guide, "Transfer without
            pairs"), which needs labelled source rows.
        X_unlabeled : {array-like, sparse matrix} of shape (n_unlabeled, n_features) or Domain, default=None
            Unlabelled target rows.

        Returns
        -------
        self : DATNClassifier
            The fitted estimator.

        Raises
        ------
        ValueError, TypeError
            For an invalid input, naming it (see the user guide for the checks).
        skdatn.exceptions.TrainingDivergedError
            If the loss or a weight becomes NaN or infinite. The estimator is
            then unfitted but for ``history_``, the losses up to that epoch.

        Notes
        -----
        Sparse inputs are never densified whole (only the rows of a batch
        are), and float inputs are read without being copied; see the user
        guide, "Large and sparse data".
        """
        fit = self._validate(X, y, X_source, y_source, pairs, X_unlabeled)
        try:
            return self._fit_validated(fit)
        except TrainingDivergedError as exc:
            self._discard_fit(exc.history)
            raise

    def _fit_validated(self, fit: ValidatedFit):
        """The whole fit from validated inputs: both stages."""
        run = self._prepare_fit(fit)
        self._pretrain(run)
        return self._finetune(run)

    def __sklearn_is_fitted__(self) -> bool:
        # Not "any attribute ending in _": a diverged fit leaves history_ alone.
        return "target_net_" in vars(self)

    def _discard_fit(self, history: list[dict] | None) -> None:
        """After a failed fit: drop every fitted attribute (those of an earlier
        fit too, partly overwritten by now) but ``history_``, the log up to a
        divergence (``history``; none for another failure). The estimator is
        then unfitted: no model with NaN weights."""
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("__"):
                delattr(self, name)
        self.__dict__.pop("_n_features_out", None)
        if history is not None:
            self.history_ = history

    def _validate(
        self, X, y, X_source, y_source, pairs, X_unlabeled, accept_sparse=SPARSE_FORMATS
    ) -> ValidatedFit:
        """``fit``'s inputs, validated and read (once per ``fit``, also in a
        search), with the checks of the settings that need no training."""
        fit = validate_transfer_fit(
            self,
            X,
            y,
            X_source,
            y_source,
            pairs,
            X_unlabeled,
            accept_sparse=accept_sparse,
            source_labels_needed=True,
        )
        self._check_settings(fit.inputs)
        return fit

    # The three steps of fit, separate so that DATNClassifierCV can pretrain once
    # and fine-tune many (alpha, beta) from the same pretrained state.
    def _prepare_fit(self, fit: ValidatedFit, preprocessors=None) -> _FitRun:
        """From the validated inputs ``fit``: fit the preprocessors and the
        scalers, build the tensors and fresh pathways. ``preprocessors``
        ({"source": ..., "target": ...}) are fitted preprocessors to reuse
        instead of fitting them again (a snapshot's, so that a restored pathway
        sees the features it learned on)."""
        fit.set_on(self)
        X, inputs, classes = fit.X, fit.inputs, fit.classes
        y_codes, ys_codes = fit.y_codes, fit.ys_codes
        target_hidden, source_hidden = self._check_settings(inputs)
        has_source = inputs.has_source
        self.variant_ = self._variant(has_source)
        self.device_ = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(
            int(rng.randint(np.iinfo(np.int32).max))
        )

        use_unlabeled = self.beta > 0
        target_rows = _TargetRows(
            X, y_codes, inputs.X_unlabeled, inputs.pairs_target, use_unlabeled
        )
        target_blocks = target_rows.blocks()
        source_blocks = (
            self._source_blocks(inputs, use_unlabeled) if has_source else None
        )
        reuse = preprocessors or {}
        self.target_preprocessor_, target_blocks = _preprocess(
            self.target_preprocessor, reuse.get("target"), target_blocks, rng
        )
        self.source_preprocessor_ = None
        if has_source:
            self.source_preprocessor_, source_blocks = _preprocess(
                self.source_preprocessor,
                reuse.get("source"),
                source_blocks,
                rng,
                "source",
            )
        # The training rows go to the GPU once when they fit there, else they stay
        # on the CPU and each batch is moved on its own.
        storage = data_device(
            self.device_, _nbytes(target_blocks) + _nbytes(source_blocks or [])
        )
        self.target_scaler_, T = self._domain_tensors(
            target_blocks,
            y_codes,
            target_rows.n_pairs,
            storage,
            target_hidden[0],
            _TARGET_ROWS,
        )
        self.classes_ = classes
        self.n_source_features_in_ = inputs.n_source_features
        self.source_feature_names_in_ = inputs.source_feature_names
        target_net = Pathway(
            self.target_scaler_.n_features_in_, target_hidden, len(classes), generator
        )
        run = _FitRun(
            cfg=self._training_config(generator),
            target_net=target_net.to(self.device_),
            T=T,
            preprocessors={
                "source": self.source_preprocessor_,
                "target": self.target_preprocessor_,
            },
            target_rows=target_rows,
        )
        self.source_scaler_ = None
        if has_source:
            self._add_source(run, source_blocks, ys_codes, storage, source_hidden)
        return run

    def _add_source(self, run: _FitRun, blocks, ys_codes, storage, hidden) -> None:
        """The source's tensors and fresh pathway in ``run`` (and its scaler)."""
        self.source_scaler_, run.S = self._domain_tensors(
            blocks,
            ys_codes,
            run.target_rows.n_pairs,
            storage,
            hidden[0],
            "source rows (X_source and the source side of pairs)",
        )
        run.source_net = Pathway(
            self.source_scaler_.n_features_in_,
            hidden,
            len(self.classes_),
            run.cfg.generator,
        ).to(self.device_)

    def _pretrain(self, run: _FitRun) -> None:
        """Stage 1 (Eq. 3), each domain alone."""
        self._pretrain_source(run)
        self._pretrain_target(run)

    def _pretrain_source(self, run: _FitRun) -> None:
        if run.source_net is not None:
            run.n_epochs += pretrain(
                run.source_net, run.S, run.cfg, run.history, "pretrain_source"
            )

    def _pretrain_target(self, run: _FitRun) -> None:
        if self._labels_pairs(run):
            self._label_pairs(run)
        if self._self_trains(run):
            run.before_target = run.snapshot()
        run.n_epochs += pretrain(
            run.target_net, run.T, run.cfg, run.history, "pretrain_target"
        )

    def _finetune(self, run: _FitRun):
        """Stage 2 (Eq. 4, Alg. 1) when there is a source, with self-training when
        it applies; then the fitted attributes."""
        G = None
        self.n_pseudo_labeled_ = 0
        rows = run.target_rows
        self.n_pairs_labeled_ = 0 if rows.pair_rows is None else len(rows.pair_rows)
        if run.source_net is not None:
            if run.T.n_labeled != rows.n_labeled:  # restored with the pairs' labels
                run.T = self._target_tensors(run)
            if self._self_trains(run):
                G = self._self_train(run)
            else:
                G = self._bcd(run, "finetune")
        d = run.target_net.top_width
        self.G_ = np.eye(d) if G is None else G.detach().cpu().double().numpy()
        self.target_net_ = run.target_net.cpu().double().eval()
        self.source_net_ = (
            None if run.source_net is None else run.source_net.cpu().double().eval()
        )
        self.history_ = run.history
        self.n_iter_ = max(run.n_epochs, 1)
        self._n_features_out = d
        return self

    def _bcd(self, run: _FitRun, stage: str) -> torch.Tensor | None:
        """One fine-tuning by block coordinate descent; its final G."""
        G, n_epochs = finetune(
            run.source_net, run.target_net, run.S, run.T, run.cfg, run.history, stage
        )
        run.n_epochs += n_epochs
        return G

    def _labels_pairs(self, run: _FitRun) -> bool:
        """Whether this fit labels pairs: a share asked for, pairs, source labels."""
        return (
            self.pair_label_share > 0
            and run.S is not None
            and run.S.n_pairs > 0
            and run.S.has_labels
            and run.target_rows.pair_rows is None
        )

    def _label_pairs(self, run: _FitRun) -> None:
        """Label the target rows of the most confident pairs, per predicted class,
        with the class that the pretrained source pathway predicts for their
        source rows (beyond the paper; user guide, "Self-training")."""
        S = run.S
        proba = class_probabilities(
            run.source_net, run.source_net, None, S, run.cfg, S.pair_start
        )
        rows = run.target_rows
        rows.pair_rows, rows.pair_codes = confident_rows(
            proba.numpy(), self.pair_label_share
        )
        run.T = self._target_tensors(run)

    def _target_tensors(self, run: _FitRun, pseudo=None, pseudo_codes=None):
        """The target training rows with every label the fit has: those of y,
        the labelled pairs', and ``pseudo_codes`` of the rows ``pseudo`` of
        X_unlabeled; scaled by the fitted target scaler."""
        rows = run.target_rows
        return self._domain_tensors(
            _preprocessed(run, rows.blocks(pseudo)),
            rows.labels(pseudo_codes),
            rows.n_pairs,
            run.T.rows.storage,
            run.target_net.encoder[0].out_features,
            _TARGET_ROWS,
            self.target_scaler_,
        )[1]

    def _self_trains(self, run: _FitRun) -> bool:
        """Whether this fit self-trains: rounds asked for, a source, and unlabelled
        target rows that the fit uses (``beta > 0``)."""
        return (
            self.self_training > 0
            and run.source_net is not None
            and run.target_rows.use_unlabeled
            and run.target_rows.X_unlabeled is not None
        )

    def _self_train(self, run: _FitRun) -> torch.Tensor | None:
        """Fine-tuning, then ``self_training`` rounds of selective pseudo-labelling
        (beyond the paper; user guide, "Self-training"). Each round labels the
        most confident rows of X_unlabeled per predicted class by the last
        model, a share growing to ``pseudo_label_share`` by the last round, and
        trains the target pathway again from its initial weights (pretraining,
        then fine-tuning) with them among its labelled rows. Returns the last G."""
        start = run.before_target
        rows = run.target_rows
        U = self._domain_tensors(
            _preprocessed(run, [(rows.X_unlabeled, None)]),
            np.empty(0, dtype=np.int64),
            0,
            run.T.rows.storage,
            run.target_net.encoder[0].out_features,
            "X_unlabeled",
            self.target_scaler_,
        )[1]
        G = self._bcd(run, "finetune")
        # DATN's prediction f_T(x) G ϑ_S; DATN_unsup's (no G) f_T(x) ϑ_T.
        classifier = run.target_net if G is None else run.source_net
        for r in range(1, self.self_training + 1):
            proba = class_probabilities(run.target_net, classifier, G, U, run.cfg)
            share = self.pseudo_label_share * r / self.self_training
            chosen, codes = confident_rows(proba.numpy(), share)
            if self.verbose:
                say(
                    f"self-training round {r}/{self.self_training}: {len(chosen)} of "
                    f"{U.n_rows} unlabelled target rows pseudo-labelled"
                )
            log, n_epochs = run.history[len(start["history"]) :], run.n_epochs
            run.restore(start)
            run.history += log
            run.n_epochs = n_epochs
            run.T = self._target_tensors(run, chosen, codes)
            run.n_epochs += pretrain(
                run.target_net, run.T, run.cfg, run.history, "pretrain_target_pseudo"
            )
            G = self._bcd(run, "finetune_pseudo")
            self.n_pseudo_labeled_ = len(chosen)
        return G

    def _check_settings(self, inputs: TransferInputs) -> tuple:
        """The checks of the settings against the inputs that need no training
        (a search runs them once, before any): the layer sizes (returned) and
        the pairs that the asymmetric transfer needs."""
        sizes = self._layer_sizes()
        _check_pairs_given(inputs.has_source and self.asymmetric, inputs)
        return sizes

    def _layer_sizes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        target = _as_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")
        if self.source_hidden_layer_sizes is None:
            return target, target
        source = _as_sizes(self.source_hidden_layer_sizes, "source_hidden_layer_sizes")
        if source[-1] != target[-1]:
            raise ValueError(
                "The top widths of the two pathways must be equal (G is d x d): "
                f"hidden_layer_sizes ends with {target[-1]}, "
                f"source_hidden_layer_sizes ends with {source[-1]}."
            )
        return target, source

    def _variant(self, has_source: bool) -> str:
        if not has_source:
            return "DNN" if self.recon_weight == 0 else "SSDAE"
        if not self.asymmetric:
            return "DATN_unsup"
        return "DATN" if self.beta > 0 else "DATN_sup"

    def _training_config(self, generator: torch.Generator) -> TrainingConfig:
        # The training loop's knobs are the parameters of the same names.
        params = self.get_params(deep=False)
        return TrainingConfig(
            **{
                f.name: params[f.name]
                for f in fields(TrainingConfig)
                if f.name in params
            },
            generator=generator,
            on_limit=functools.partial(
                _warn_not_converged,
                pretrain_epochs=self.pretrain_epochs,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
            ),
        )

    def _source_blocks(self, inputs: TransferInputs, use_unlabeled: bool) -> list:
        """The source rows of the fit as blocks ``(matrix, rows)``: labelled rows
        first, then unlabelled rows (unless DATN_sup), then the source side of
        the pairs (the order of ``ys_codes`` and of the target's pairs)."""
        Xs = inputs.X_source
        blocks = [None, None, inputs.pairs_source]
        if Xs is not None:
            labeled = inputs.source_labeled
            blocks[0] = (Xs, None if labeled.all() else np.flatnonzero(labeled))
            if use_unlabeled and (~labeled).any():
                blocks[1] = (Xs, np.flatnonzero(~labeled))
        blocks = _blocks(blocks)
        if not blocks:
            raise ValueError(
                "The source domain has no rows to learn from: X_source holds only "
                "unlabelled rows, which beta=0 (DATN_sup) ignores, and no pairs were given."
            )
        return blocks

    def _domain_tensors(
        self,
        blocks,
        codes,
        n_pairs,
        storage,
        first_width: int,
        domain: str,
        scaler=None,
    ):
        """The fitted scaler of a domain (``scaler`` when given, else fitted on
        ``blocks``) and its training rows (scaled, float32), sparse rows served
        sparse where that pays for a first layer of ``first_width``; ``domain``
        names the rows in the error raised when they overflow float32."""
        if scaler is None:
            # "auto" is resolved per domain, from all of its blocks.
            scaler = make_scaler(self.input_scaling).fit_blocks(blocks)
        n_rows = sum(_n_rows(b) for b in blocks)
        rows = build_rows(
            (chunk for M, idx in blocks for chunk in iter_chunks(M, idx)),
            n_rows=n_rows,
            sparse=any(sp.issparse(M) for M, _ in blocks),
            scale_rows=scaler.scale_rows,
            offset=scaler.offset_,
            n_features=scaler.n_features_in_,
            device=self.device_,
            storage=storage,
            name=domain,
            sparse_compute=(first_width, min(n_rows, self.batch_size or n_rows)),
        )
        y = torch.as_tensor(codes, dtype=torch.long, device=storage)
        return scaler, DomainTensors(rows=rows, y=y, n_pairs=n_pairs)

    # ------------------------------------------------------------ inference
    def _encode_target(self, X) -> torch.Tensor:
        """f_T of validated target rows (float64, CPU), scaled chunk by chunk."""
        X = validate_target_rows(self, X, dtype=(np.float64, np.float32))
        X = _apply(self.target_preprocessor_, X)
        z = _encode(self.target_net_, self.target_scaler_, X, self._n_features_out)
        return _finite_output(z, "representation")

    @threads_limited
    def _logits(self, X) -> np.ndarray:
        z = self._encode_target(X)
        with torch.inference_mode():
            if self.variant_ in ("DATN", "DATN_sup"):
                logits = self.source_net_.logits(z @ torch.from_numpy(self.G_))
            else:
                logits = self.target_net_.logits(z)
        return _finite_output(logits, "class scores").numpy()

    def decision_function(self, X) -> np.ndarray:
        """Class scores ``f_T(x) G ϑ_S`` (``f_T(x) ϑ_T`` for DATN_unsup and target-only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` minus that of ``classes_[0]``.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, the softmax of the class scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return torch.softmax(torch.from_numpy(self._logits(X)), dim=1).numpy()

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return torch.log_softmax(torch.from_numpy(self._logits(X)), dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        """Predicted class labels of target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of ``classes_`` with the highest probability.
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    @threads_limited
    def transform(self, X) -> np.ndarray:
        """Map target rows into the source representation space, ``f_T(X) G``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        Z : ndarray of shape (n_samples, d)
            ``d`` is the top width of the pathways.
        """
        z = self._encode_target(X)
        return (z @ torch.from_numpy(self.G_)).numpy()

    @threads_limited
    def transform_source(self, X) -> np.ndarray:
        """Source rows in the source representation space, ``f_S(X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_source_features)
            Source rows.

        Returns
        -------
        Z : ndarray of shape (n_samples, d)
            ``d`` is the top width of the pathways.
        """
        check_is_fitted(self)
        if self.source_net_ is None:
            raise ValueError(
                "transform_source needs a model fitted with source data; this one "
                f"is a target-only {self.variant_}."
            )
        check_names("X", column_names(X), "X_source", self.source_feature_names_in_)
        raw = self.source_preprocessor_ is not None
        Xs = (check_raw_rows if raw else _check_rows)(X, "X")
        n_features = n_columns(Xs)
        if None not in (n_features, self.n_source_features_in_) and (
            n_features != self.n_source_features_in_
        ):
            raise ValueError(
                f"X has {n_features} features, but transform_source expects "
                f"{self.n_source_features_in_} source features."
            )
        Xs = _apply(self.source_preprocessor_, Xs, "X")
        return _encode(
            self.source_net_, self.source_scaler_, Xs, self._n_features_out
        ).numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


_TARGET_ROWS = "target rows (X, X_unlabeled and the target side of pairs)"


def _preprocessed(run: _FitRun, blocks: list) -> list:
    """Target ``blocks`` through the fit's fitted target preprocessor."""
    return _preprocess(None, run.preprocessors.get("target"), blocks, None)[1]


def _finite_output(values: torch.Tensor, what: str) -> torch.Tensor:
    """``values`` computed from X; a ValueError (not NaN predictions) when X's
    values are so large that they overflow."""
    if not bool(torch.isfinite(values).all()):
        raise ValueError(
            f"X gives non-finite {what}: its values are too large for the model "
            f"(far outside the range of the rows it was fitted on)."
        )
    return values


def _as_sizes(sizes, name: str) -> tuple[int, ...]:
    sizes = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
    if len(sizes) == 0 or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
        raise ValueError(
            f"{name} must be a non-empty sequence of positive ints, got {sizes!r}."
        )
    return tuple(int(s) for s in sizes)


def _blocks(matrices) -> list[tuple]:
    """Blocks ``(matrix, rows)`` of a domain's rows, skipping ``None`` and empty ones;
    a bare matrix means all of its rows, and sparse matrices become CSR."""
    blocks = []
    for block in matrices:
        if block is None:
            continue
        M, rows = block if isinstance(block, tuple) else (block, None)
        if sp.issparse(M):
            M = M.tocsr()
        if _n_rows((M, rows)) > 0:
            blocks.append((M, rows))
    return blocks


def _check_pairs_given(asymmetric_transfer: bool, inputs: TransferInputs) -> None:
    """The asymmetric transfer (DATN, DATN_sup) needs the pairs, or, without
    them, labelled source rows (the correspondence of the class means)."""
    if not asymmetric_transfer or inputs.pairs_source is not None:
        return
    labeled = inputs.source_labeled
    if labeled is None or not labeled.any():
        raise ValueError(
            "The asymmetric transfer (DATN, DATN_sup) needs pairs or labelled "
            "source rows: without pairs=Pairs(X_pairs_source, X_pairs_target) it "
            "pairs the class means of the labelled rows of both domains, and "
            "y_source has no labelled row (all -1). Pass pairs, labels in "
            "y_source, or set asymmetric=False for DATN_unsup."
        )


def _preprocess(template, fitted, blocks: list, rng, domain: str = "target") -> tuple:
    """A domain's fitted preprocessor and its blocks transformed by it.

    ``template`` (the parameter) is cloned and fitted on all rows of ``blocks``
    stacked, unless ``fitted`` is given; every ``random_state`` it leaves at
    None, its own or a step's (a Pipeline, a ColumnTransformer), is drawn from
    ``rng``, so that a seeded estimator preprocesses the same way every time.
    The blocks may hold anything the preprocessor takes (documents, a
    DataFrame); its output is checked. Returns ``(None, blocks)`` when there is
    no preprocessor.
    """
    if (template is None and fitted is None) or not blocks:
        return fitted, blocks
    parts = [M if rows is None else _safe_indexing(M, rows) for M, rows in blocks]
    stacked = _stack_rows(parts)
    if fitted is None:
        fitted = clone(template)
        _seed_random_states(fitted, rng)
        try:
            fitted.fit(stacked)
        except (ValueError, TypeError) as exc:
            raise type(exc)(
                f"{domain}_preprocessor ({type(template).__name__}) could not be "
                f"fitted on the {domain} rows of the fit: {exc}"
            ) from exc
    out = _apply(fitted, stacked, f"the {domain} rows")
    bounds = np.cumsum([0] + [_num_samples(P) for P in parts])
    return fitted, [
        (out[a:b], None) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def _seed_random_states(estimator, rng) -> None:
    """Set every ``random_state`` parameter of ``estimator`` left at None, its
    own and its steps' at any depth, to an int drawn from ``rng`` (in the order
    of the parameter names)."""
    params = estimator.get_params(deep=True)
    unset = sorted(
        name
        for name, value in params.items()
        if (name == "random_state" or name.endswith("__random_state")) and value is None
    )
    if unset:
        high = np.iinfo(np.int32).max
        estimator.set_params(**{name: int(rng.randint(high)) for name in unset})


def _stack_rows(parts: list):
    """The rows of ``parts`` one after the other, in the parts' own kind: a
    sparse matrix (CSR), a DataFrame, an array, or else a list."""
    if len(parts) == 1:
        return parts[0]
    if any(sp.issparse(P) for P in parts):
        return sp.vstack([sp.csr_matrix(P) for P in parts], format="csr")
    if all(hasattr(P, "iloc") for P in parts):
        import pandas as pd  # a DataFrame's rows: pandas is there

        return pd.concat(parts, ignore_index=True)
    if all(isinstance(P, np.ndarray) for P in parts):
        return np.concatenate(parts)
    return [row for P in parts for row in (P.tolist() if hasattr(P, "tolist") else P)]


def _apply(preprocessor, X, what: str = "X"):
    """``preprocessor.transform(X)`` as a finite float matrix (CSR when
    sparse); X when None. ``what`` names the rows in the errors."""
    if preprocessor is None:
        return X
    out = preprocessor.transform(X)
    name = type(preprocessor).__name__
    n_rows = _num_samples(X)
    if getattr(out, "ndim", 2) != 2 or _num_samples(out) != n_rows:
        raise ValueError(
            f"The preprocessor {name} must return one row per input row, got "
            f"shape {getattr(out, 'shape', None)} for {n_rows} rows."
        )
    try:
        return check_array(
            out,
            accept_sparse="csr",
            dtype=np.float64,
            ensure_min_features=1,
            input_name=f"{what} after {name}",
        )
    except (ValueError, TypeError) as exc:
        raise type(exc)(
            f"The preprocessor {name} gave invalid values for {what}: {exc}"
        ) from exc


def _warn_not_converged(
    stage: str, *, pretrain_epochs: int, tol: float, n_iter_no_change: int
) -> None:
    """A ConvergenceWarning for a pretraining stage stopped by its epoch limit
    (fine-tuning's short budget is deliberate: longer overfits)."""
    if not stage.startswith("pretrain"):
        return
    warn(
        f"The {STAGES[stage]} ran all pretrain_epochs={pretrain_epochs} epochs with "
        f"its loss still improving (by more than tol={tol} within the last "
        f"n_iter_no_change={n_iter_no_change} epochs). Raise pretrain_epochs to "
        f"train it further, or set n_iter_no_change=None to train exactly "
        f"pretrain_epochs epochs without this warning.",
        ConvergenceWarning,
    )


def _n_rows(block) -> int:
    M, rows = block
    return _num_samples(M) if rows is None else len(rows)


def _nbytes(blocks) -> int:
    """Bytes of the float32 training copy of ``blocks`` (values and indices when sparse)."""
    total = 0
    for M, rows in blocks:
        n = _n_rows((M, rows))
        if sp.issparse(M):
            counts = np.diff(M.indptr)
            nnz = counts.sum() if rows is None else counts[rows].sum()
            total += 12 * int(nnz) + 8 * (n + 1)
        else:
            total += 4 * n * M.shape[1]
    return total


def _encode(net: Pathway, scaler, X, width: int) -> torch.Tensor:
    """``net.encode`` of the scaled rows of ``X``, chunk by chunk (float64, CPU)."""
    if sp.issparse(X):
        X = X.tocsr()
    out = []
    with torch.inference_mode():
        for chunk in iter_chunks(X):
            out.append(net.encode(_scaled_rows(net, scaler, chunk)))
    return torch.cat(out) if out else torch.empty((0, width), dtype=torch.float64)


def _scaled_rows(net: Pathway, scaler, chunk) -> torch.Tensor | SparseBatch:
    """The scaled rows of ``chunk`` (float64) as ``net.encode`` takes them: sparse
    where that is cheaper than densifying, as in training."""
    first = net.encoder[0].out_features
    n, d = chunk.shape
    if not (sp.issparse(chunk) and sparse_batches_pay(d, chunk.nnz, n, first, n)):
        return torch.from_numpy(scaler.transform(chunk))
    scaled = scaler.scale_rows(chunk)
    offset = scaler.offset_
    return SparseBatch(
        torch.from_numpy(scaled.indptr.astype(np.int64)),
        torch.from_numpy(scaled.indices.astype(np.int64)),
        torch.from_numpy(scaled.data),
        d,
        None if offset is None else torch.from_numpy(offset),
    )
