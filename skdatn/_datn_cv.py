"""DATNClassifierCV: α and β chosen by cross-validation, pretraining shared."""

from __future__ import annotations

import time
import traceback
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import softmax
from scipy.stats import rankdata
from sklearn.base import _fit_context, clone
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.parallel import delayed
from sklearn.utils.validation import _check_method_params

from ._datn import DATNClassifier
from ._guard import blend, choose_weight, correct_fold_prior, in_columns
from ._model_selection import (
    DEFAULT_ALPHAS,
    DEFAULT_BETAS,
    BalancedKFold,
    held_out_log_loss,
)
from ._progress import parallel_as_done, say
from ._threads import limit_threads, threads_limited
from ._validation import TRANSFER_FIT_REQUEST, ValidatedFit
from ._warn import warn
from .exceptions import NegativeTransferWarning

#: The weights this estimator searches over (its grid's keys).
_SEARCHED = ("alpha", "beta")
#: DATNClassifier's parameters that this estimator takes too: all but those.
_SHARED = [p for p in DATNClassifier._get_param_names() if p not in _SEARCHED]
#: The guard's target-only model: a standalone ``DATNClassifier()`` fitted
#: without the source (its default weights; beta > 0 learns from X_unlabeled).
_TARGET_ONLY = {
    name: value
    for name, value in DATNClassifier().get_params().items()
    if name in _SEARCHED
}


class DATNClassifierCV(DATNClassifier):
    """DATN with α and β selected by k-fold cross-validation, like ``LogisticRegressionCV``.

    Pretraining (Eq. 1-3) does not depend on α, and depends on β only through
    whether unlabelled rows are used (``beta=0``, DATN_sup, ignores them). So in
    each fold this estimator pretrains once for the grid's ``beta=0`` points and
    once for its ``beta>0`` points, then fine-tunes every (α, β) from that
    pretrained state. Each fine-tuning continues exactly where a standalone
    ``DATNClassifier(alpha=α, beta=β)`` fit would, so with an int
    ``random_state`` the cross-validation scores equal those of
    ``GridSearchCV(DATNClassifier(...), {"alpha": alphas, "beta": betas}, cv=cv)``
    with the same splits and scorer (on the same device and thread count). The best
    (α, β) is then refitted on all rows; this estimator is that model.

    With ``n_jobs`` (or inside ``joblib.parallel_backend``, e.g. on a Dask or
    Ray cluster) the search runs in three parallel rounds: the source
    pretrainings (one per beta group), the target pretrainings (one per fold
    and beta group), then every fold's fine-tuning of every (α, β), each from
    its pretrained state. The scores do not depend on ``n_jobs``.

    When the source does not help, a transfer model can be far worse than
    not transferring. So the search also fits, in the same folds, the
    target-only model: ``DATNClassifier()`` without the source (the paper's
    SSDAE, which learns from ``X_unlabeled``). The held-out class probabilities
    of the selected (α, β) and of the target-only model, pooled over the folds,
    then decide the weight ``w`` of the transfer model among 1, 0.75, 0.5, 0.25
    and 0 in the blend ``w * p_transfer + (1 - w) * p_target_only``: the
    smallest weight whose blend's calibrated log-loss
    (:func:`~skdatn.calibrated_log_loss`) is within half a standard error of the
    best blend's. ``w = 1`` keeps the transfer model alone;
    ``w = 0`` falls back to the target-only model, and a
    :class:`~skdatn.exceptions.NegativeTransferWarning` says so; a weight in
    between predicts with both models, refitted on all rows
    (``transfer_weight_``, ``target_only_estimator_``). ``fallback=False``
    turns the guard off. See the user guide, "Is my source helping?".

    Every other parameter is :class:`DATNClassifier`'s, with the same default:
    ``DATNClassifierCV()`` searches ``DATNClassifier()``'s model, skdatn's two
    extensions beyond the paper included (labels through the pairs and one
    round of self-training; ``DATNClassifierCV(**skdatn.PAPER_SETTINGS)`` is
    the paper's search). Each candidate of each fold is fitted as that
    standalone model would be, self-training included, so the scores are
    those of ``GridSearchCV``.

    Parameters
    ----------
    alphas : array-like of float, default=(0.25, 0.5, 1)
        Candidate weights α of L_trans. The paper's grid, ``(0, 0.5, 1, 2, 5,
        10)`` for both weights, costs more and measured no better with a few
        labelled target rows (user guide, "Choosing α and β").
    betas : array-like of float, default=(0, 1)
        Candidate weights β of L_unsup (MMD).
    cv : int, cross-validation generator, iterable or None, default=5
        As in ``GridSearchCV``, except that an int ``k`` (None: 5) means
        :class:`~skdatn.BalancedKFold` with ``k`` folds seeded by
        ``random_state``: class-balanced shuffled folds that work with a few
        labelled rows per class (``StratifiedKFold`` refuses fewer rows per
        class than folds).
    scoring : str, callable or None, default=None
        Scorer of the held-out folds; ``None`` is
        :func:`~skdatn.held_out_log_loss`, the log-loss over all classes
        (continuous, unlike the accuracy of a few held-out rows). One scorer:
        the search selects and refits by it. For several metrics at once,
        ``GridSearchCV(DATNClassifier(), ..., scoring=[...], refit=...)`` takes
        a list or dict and gives the same scores, pretraining once per
        candidate instead of once per fold (slower).
    fallback : bool, default=True
        The guard: compare the target-only model with the selected (α, β) in
        the folds, and fall back to it, in part (a blend) or whole, when that
        predicts better. Without source data the model is target-only anyway.
    error_score : "raise" or float, default=np.nan
        As in ``GridSearchCV``: the score of a candidate's fold whose fit
        raised (a diverged training, ...), with a ``FitFailedWarning`` that
        counts them; ``"raise"`` raises the error. A failed pretraining fails
        every candidate of its fold and beta group; when every fit fails, the
        search raises. The refit on all rows raises its errors.
    n_jobs : int, default=None
        Parallel jobs of the search, as in ``GridSearchCV``: ``None`` means 1
        unless in a ``joblib.parallel_backend`` context, ``-1`` all processors.
        The refit runs in the calling process.
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Encoder widths of the target pathway; the last is the top width ``d``.
    source_hidden_layer_sizes : tuple of int, default=None
        Encoder widths of the source pathway; ``None`` uses
        ``hidden_layer_sizes``. Its last width must equal the target's (``G``
        is ``d x d``).
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
        ``1`` prints the plan of the search ("k folds for each of n
        candidates, totalling m fine-tunings"), a line as each pretraining,
        fold and candidate finishes (with its score), and the refit; ``2`` adds
        each fit's stage lines and ``3`` its epochs (``DATNClassifier``'s
        ``verbose`` 1 and 2).

    Attributes
    ----------
    alpha_, beta_ : float
        The selected weights: the best transfer candidate's (also when the
        fitted model is the target-only fallback, which does not use them).
    best_params_ : dict
        ``{"alpha": alpha_, "beta": beta_}``.
    best_index_ : int
        The index of the best candidate in ``cv_results_``.
    best_score_ : float
        Mean cross-validated score (``scoring``) of the best candidate,
        ``cv_results_["mean_test_score"][best_index_]``.
    transfer_weight_ : float
        The guard's weight of the transfer model in the predicted
        probabilities: 1 (the selected candidate alone; also with
        ``fallback=False`` or without source data), 0 (the target-only model
        alone) or a blend of the two.
    fallback_ : bool
        Whether the fitted model is the target-only model
        (``transfer_weight_ == 0``: the guard found that the source does not
        help) rather than the best candidate.
    target_only_estimator_ : DATNClassifier or None
        For a blend (``0 < transfer_weight_ < 1``), the target-only model
        refitted on all rows; this estimator's other fitted attributes
        (``transform`` included) are the transfer model's. None otherwise.
    blend_scores_ : dict of float to float
        The guard's scores: the calibrated log-loss score of the pooled held-out
        predictions of each blend, by weight of the transfer model (greater
        is better). Empty when ``fallback=False`` or without source data.
    transfer_score_, target_only_score_ : float
        ``blend_scores_[1.0]`` and ``blend_scores_[0.0]``: the selected
        (α, β) alone and the target-only model alone. NaN when
        ``fallback=False`` or without source data.
    cv_results_ : dict of ndarray
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``, ``param_alpha``, ``param_beta``, ``params``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score`` and
        ``rank_test_score``, in ``GridSearchCV``'s order and format. A fit time
        is the candidate's fine-tuning from the pretrained state of its fold
        (the pretraining, shared by the candidates, is not in it).
    n_splits_ : int
        The number of cross-validation splits.
    refit_time_ : float
        Seconds of the refit on all rows (its pretraining of the target
        pathway, fine-tuning and self-training).
    n_pretrainings_ : int
        Pathway pretrainings run (search and refit): one per fold and beta group
        for the target pathway, one per beta group for the source pathway, with
        the guard one per fold for the target-only model, and one for each
        refitted model (two for a blend). Self-training rounds pretrain the target pathway again;
        they are not counted here (see ``history_``).
    classes_, n_features_in_, variant_, G_, history_, ... :
        The fitted attributes of the refitted :class:`DATNClassifier`.

    Examples
    --------
    >>> from sklearn.model_selection import KFold
    >>> from skdatn import DATNClassifierCV
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> clf = DATNClassifierCV(alphas=[1, 2], betas=[0, 1], cv=KFold(3, shuffle=True, random_state=0),
    ...                        pretrain_epochs=20, finetune_epochs=10, random_state=0)
    >>> clf = clf.fit(task.X, task.y, **task.fit_params)
    >>> clf.transfer_weight_  # the guard blends the transfer and target-only models
    0.75
    >>> clf.n_pretrainings_  # 3 folds x (2 beta groups + target-only) + 2 + 2 refits
    13
    >>> sorted(clf.best_params_)
    ['alpha', 'beta']
    """

    # groups goes to the splitter (get_metadata_routing), not to this fit.
    __metadata_request__fit = {**TRANSFER_FIT_REQUEST, "groups": UNUSED}

    _parameter_constraints: dict = {
        **{k: DATNClassifier._parameter_constraints[k] for k in _SHARED},
        "alphas": ["array-like"],
        "betas": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "fallback": ["boolean"],
        "error_score": [StrOptions({"raise"}), Real],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        alphas=DEFAULT_ALPHAS,
        betas=DEFAULT_BETAS,
        cv=5,
        scoring=None,
        fallback=True,
        error_score=np.nan,
        n_jobs=None,
        hidden_layer_sizes=(128, 64),
        source_hidden_layer_sizes=None,
        asymmetric=True,
        intra_weight=1.0,
        recon_weight=0.1,
        mmd_target="encoded",
        self_training=1,
        pseudo_label_share=0.5,
        pair_label_share=0.5,
        lambda_reg=0.01,
        lambda_pair=0.1,
        source_preprocessor=None,
        target_preprocessor=None,
        input_scaling="auto",
        solver="adam",
        learning_rate=0.003,
        batch_size=None,
        pretrain_epochs=200,
        finetune_epochs=30,
        tol=0.0001,
        n_iter_no_change=20,
        device="auto",
        mixed_precision=None,
        n_threads=1,
        random_state=None,
        verbose=0,
    ):
        self.alphas = alphas
        self.betas = betas
        self.cv = cv
        self.scoring = scoring
        self.fallback = fallback
        self.error_score = error_score
        self.n_jobs = n_jobs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.source_hidden_layer_sizes = source_hidden_layer_sizes
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

    def _estimator(self, alpha: float, beta: float) -> DATNClassifier:
        """A fresh DATNClassifier with this estimator's settings (random_state
        deep-copied, as ``clone`` does for each candidate of a grid search)."""
        params = {name: getattr(self, name) for name in _SHARED}
        # verbose=1 reports the search; each fit's stages from verbose=2 on.
        params["verbose"] = max(0, self.verbose - 1)
        return clone(DATNClassifier(alpha=alpha, beta=beta, **params))

    def _splitter(self):
        """The splitter: an int ``cv`` (or None, 5) is a :class:`BalancedKFold`
        seeded by ``random_state``."""
        if self.cv is None or isinstance(self.cv, Integral):
            n_splits = 5 if self.cv is None else self.cv
            return BalancedKFold(n_splits, random_state=self.random_state)
        return self.cv

    def _scorer(self):
        if self.scoring is None:
            return held_out_log_loss
        return check_scoring(self._estimator(1.0, 1.0), scoring=self.scoring)

    def get_metadata_routing(self) -> MetadataRouter:
        """Get the metadata routing of this object.

        The transfer inputs go to :meth:`fit` itself, ``groups`` to the
        splitter ``cv`` and the scorer's metadata to ``scoring``, as in
        ``GridSearchCV``.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=self._splitter(),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                scorer=self._scorer(),
                method_mapping=MethodMapping().add(caller="fit", callee="score"),
            )
        )

    @_fit_context(prefer_skip_nested_validation=True)
    @threads_limited
    def fit(
        self,
        X,
        y,
        *,
        X_source=None,
        y_source=None,
        pairs=None,
        X_unlabeled=None,
        groups=None,
        **params,
    ):
        """Select α and β by cross-validation on the labelled target rows, then refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Labelled target rows, split into folds.
        y : array-like of shape (n_samples,)
            Their labels.
        X_source : {array-like, sparse matrix} of shape (n_source, n_source_features) or Domain, default=None
            Source rows, as in :meth:`DATNClassifier.fit`; used whole in every
            fold, as are the three below.
        y_source : array-like of shape (n_source,), default=None
            Source labels, ``-1`` for unlabelled rows.
        pairs : Pairs or tuple (X_pairs_source, X_pairs_target), default=None
            Rows seen in both domains. Without pairs, the asymmetric transfer
            pairs the class means of the labelled rows of both domains (user
            guide, "Transfer without pairs"), which needs labelled source rows.
        X_unlabeled : {array-like, sparse matrix} of shape (n_unlabeled, n_features) or Domain, default=None
            Unlabelled target rows.
        groups : array-like of shape (n_samples,), default=None
            Group labels of the rows of ``X``, for a group splitter as ``cv``
            (``GroupKFold``, ...), as in ``GridSearchCV.fit``. With metadata
            routing enabled, routed to the splitter as it requests.
        **params : dict
            Metadata for the scorer (``scoring``), with metadata routing
            enabled (``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        self : DATNClassifierCV
            The refitted estimator.
        """
        _raise_for_params(params, self, "fit")
        grid = list(
            ParameterGrid(
                {"alpha": self._candidates("alphas"), "beta": self._candidates("betas")}
            )
        )
        # Validate everything once (clear errors before any training); the
        # folds and the refit reuse what it read.
        # Rows are taken by fold: CSR.
        fit = self._validate(
            X, y, X_source, y_source, pairs, X_unlabeled, accept_sparse="csr"
        )
        if _routing_enabled():
            metadata = {**params, **({} if groups is None else {"groups": groups})}
            routed = process_routing(self, "fit", **metadata)
            split_params, score_params = routed.splitter.split, routed.scorer.score
        else:
            split_params, score_params = {"groups": groups}, {}
        try:
            return self._search_and_refit(fit, grid, split_params, score_params)
        except Exception as exc:  # no half-fitted search
            self._discard_fit(getattr(exc, "history", None))
            raise

    def _splits(self, X, y, split_params: dict) -> list:
        """The folds of the labelled target rows."""
        cv = self._splitter()
        if not isinstance(cv, BalancedKFold):
            cv = check_cv(cv, y, classifier=True)
        return list(cv.split(X, y, **split_params))

    def _search_and_refit(
        self, fit: ValidatedFit, grid: list[dict], split_params, score_params
    ):
        """The search over ``grid`` (and the target-only model), then the refit."""
        X, y = fit.X, fit.y
        splits = self._splits(X, y, split_params)
        scorer = self._scorer()
        folds = [
            _Fold(
                fit.rows(train),
                _safe_indexing(X, test),
                y[test],
                _check_method_params(X, score_params, test),
            )
            for train, test in splits
        ]
        guard = bool(self.fallback) and fit.inputs.has_source
        scores, probas, target_only, source_snapshots, times = self._search(
            grid, folds, scorer, guard
        )
        self.n_splits_ = len(folds)
        self.cv_results_ = _cv_results(grid, scores, times)
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = dict(grid[self.best_index_])
        self.alpha_, self.beta_ = self.best_params_["alpha"], self.best_params_["beta"]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.transfer_weight_ = self._guard(
            guard,
            [probas.get((self.best_index_, k)) for k in range(len(folds))],
            target_only,
            folds,
            fit.classes,
            fit.y_codes,
        )
        self.fallback_ = self.transfer_weight_ == 0.0
        start = time.perf_counter()
        self._refit(fit, grid, source_snapshots)
        self.refit_time_ = time.perf_counter() - start
        return self

    def _refit(self, fit: ValidatedFit, grid: list[dict], source_snapshots) -> None:
        """The selected model on all rows, whose fitted attributes become this
        estimator's: the transfer candidate, the target-only model (the
        fallback, ``transfer_weight_ == 0``), or both (a blend, the target-only
        model in ``target_only_estimator_``)."""
        w = self.transfer_weight_
        self._say(
            f"refit on all {len(fit.y)} labelled target rows: "
            + (
                "the target-only model"
                if w == 0.0
                else f"alpha={self.alpha_:g}, beta={self.beta_:g}"
                + (
                    ""
                    if w == 1.0
                    else f", blended with the target-only model (weight {w:g})"
                )
            )
        )
        self.target_only_estimator_ = None
        if w < 1.0:
            target_only = self._estimator(**_TARGET_ONLY)
            target_only._fit_validated(fit.without_source())
            self.n_pretrainings_ += 1
        if w == 0.0:
            refit = target_only
            warn(
                f"The source does not help: in cross-validation neither the "
                f"selected transfer model (alpha={self.alpha_:g}, "
                f"beta={self.beta_:g}) nor any blend of it with the target-only "
                f"model ({refit.variant_}: DATNClassifier fitted without the "
                f"source) predicted the held-out rows clearly better than the "
                f"target-only model alone (calibrated log-loss score "
                f"{self.target_only_score_:.4g} for the target-only model, "
                f"{self.transfer_score_:.4g} for the transfer model). "
                f"This estimator is the target-only model (variant_="
                f"{refit.variant_!r}, fallback_=True). Check the source data and "
                f"that row i of both sides of pairs is the same item; "
                f"fallback=False keeps the transfer model.",
                NegativeTransferWarning,
            )
        else:
            refit = self._estimator(**self.best_params_)
            snapshot = source_snapshots[self.beta_ > 0]
            run = refit._prepare_fit(fit, preprocessors=_source_only(snapshot))
            run.restore(snapshot)
            refit._pretrain_target(run)
            self.n_pretrainings_ += 1
            refit._finetune(run)
            if w < 1.0:
                self.target_only_estimator_ = target_only
        for name, value in vars(refit).items():
            if name.endswith("_") or name == "_n_features_out":
                setattr(self, name, value)

    def _logits(self, X) -> np.ndarray:
        """The refitted model's class scores; for a blend (``0 <
        transfer_weight_ < 1``), the log of the blended probabilities."""
        logits = super()._logits(X)
        target_only = getattr(self, "target_only_estimator_", None)
        if target_only is None:
            return logits
        proba = in_columns(
            target_only.predict_proba(X), target_only.classes_, self.classes_
        ).astype(logits.dtype, copy=False)
        return np.log(blend(self.transfer_weight_, softmax(logits, axis=1), proba))

    def _guard(
        self, guard: bool, chosen, target_only, folds, classes, all_codes
    ) -> float:
        """The weight of the transfer model: the guard's rule (``_guard.py``)
        on the pooled held-out probabilities of the selected candidate
        (``chosen``, one array per fold) and of the target-only model
        (``(score, proba)`` per fold, corrected for the fold's class shares
        against those of all labelled rows, ``all_codes``). Sets ``transfer_score_``,
        ``target_only_score_`` and ``blend_scores_``. Without the guard, or
        where either model failed in a fold (``error_score``), 1."""
        self.transfer_score_ = self.target_only_score_ = np.nan
        self.blend_scores_ = {}
        if (
            not guard
            or any(p is None for p in chosen)
            or any(isinstance(out, _Failure) for out in target_only)
        ):
            return 1.0
        codes = np.searchsorted(classes, np.concatenate([f.y_test for f in folds]))
        weight, self.blend_scores_ = choose_weight(
            codes,
            np.vstack(chosen),
            np.vstack(
                [
                    correct_fold_prior(
                        proba, np.searchsorted(classes, fold.fit.y), all_codes
                    )
                    for (_, proba), fold in zip(target_only, folds, strict=True)
                ]
            ),
        )
        self.transfer_score_ = self.blend_scores_[1.0]
        self.target_only_score_ = self.blend_scores_[0.0]
        return weight

    def _search(self, grid, folds, scorer, guard: bool) -> tuple:
        """The (n_candidates, n_folds) scores, the held-out class probabilities
        of every candidate and fold (``{(i, k): proba}``), those of the
        target-only model in each fold (empty unless ``guard``), the source
        pretraining snapshots and the (fit, score) seconds."""
        # beta=0 (DATN_sup) ignores the unlabelled rows: two pretraining groups.
        keys = [key for key in (False, True) if _group(grid, key)]
        first = {key: grid[_group(grid, key)[0]] for key in keys}
        # The target pathway's pretraining groups, one per beta group: the
        # settings each is pretrained with, the source snapshot it starts
        # from, and its name.
        groups = {key: (first[key], key, _group_name(key)) for key in keys}
        self._say(
            f"DATNClassifierCV: {len(folds)} folds for each of {len(grid)} "
            f"candidates, totalling {len(folds) * len(grid)} fine-tunings, from "
            f"{len(keys)} source and {len(folds) * len(groups)} target pretrainings"
            + (", and the target-only model fitted in each fold" if guard else "")
        )
        # One Parallel for the three rounds: its workers are reused (a Ray or
        # loky pool starts once).
        with parallel_as_done(self.n_jobs) as parallel:
            sources = self._pretrain_sources(parallel, first, folds[0].fit)
            targets = self._pretrain_targets(parallel, groups, folds, sources)
            scores, probas, target_only, times = self._finetune_and_score(
                parallel, grid, folds, targets, scorer, guard
            )
        return scores, probas, target_only, sources, times

    def _pretrain_sources(self, parallel, first, train: ValidatedFit) -> dict:
        """Round 1: the source pathway's pretraining sees only source rows, so
        it is the same in every fold (and in the refit): once per beta group.
        Returns each group's snapshot (or its failure)."""
        keys = list(first)
        done = self._progress(
            parallel,
            [
                self._task(_pretrain_source, self._estimator(**first[key]), train)
                for key in keys
            ],
            [f"source pretraining ({_group_name(key)})" for key in keys],
        )
        self.n_pretrainings_ = sum(
            1 for out in done if not isinstance(out, _Failure) and out[1]
        )
        return {
            key: out if isinstance(out, _Failure) else out[0]
            for key, out in zip(keys, done, strict=True)
        }

    def _pretrain_targets(self, parallel, groups, folds, sources) -> dict:
        """Round 2: the target pathway's pretraining, once per fold and group.
        Returns the snapshot (or the failure) of each (fold, group)."""
        jobs = [(k, key) for k in range(len(folds)) for key in groups]
        tasks = [
            self._task(
                _pretrain_target,
                self._estimator(**groups[key][0]),
                folds[k].fit,
                sources[groups[key][1]],
            )
            for k, key in jobs
        ]
        done = self._progress(
            parallel,
            tasks,
            [f"target pretraining, fold {k + 1} ({groups[key][2]})" for k, key in jobs],
        )
        self.n_pretrainings_ += len(jobs)
        return dict(zip(jobs, done, strict=True))

    def _finetune_and_score(
        self, parallel, grid, folds, targets, scorer, guard: bool
    ) -> tuple:
        """Round 3: every (alpha, beta) of every fold, fitted from its group's
        state; and, with the ``guard``, the target-only model fitted in every
        fold (a standalone DATNClassifier without the source)."""
        jobs = [(i, k) for i in range(len(grid)) for k in range(len(folds))]
        tasks = [
            self._task(
                _finetune_score,
                self._estimator(**grid[i]),
                folds[k],
                targets[k, grid[i]["beta"] > 0],
                scorer,
                guard,
            )
            for i, k in jobs
        ]
        labels = [
            f"alpha={grid[i]['alpha']:g}, beta={grid[i]['beta']:g}, fold {k + 1}"
            for i, k in jobs
        ]
        if guard:
            tasks += [
                self._task(
                    _target_only_score,
                    self._estimator(**_TARGET_ONLY),
                    folds[k],
                    scorer,
                )
                for k in range(len(folds))
            ]
            self.n_pretrainings_ += len(folds)
            labels += [f"target-only model, fold {k + 1}" for k in range(len(folds))]
        done = self._progress(parallel, tasks, labels, scored=True)
        fits = done[: len(jobs)]
        self._check_all_failed(fits, len(jobs))
        scores = np.empty((len(grid), len(folds)))
        times = np.zeros((2, len(grid), len(folds)))  # fit, score seconds
        probas: dict = {}
        for (i, k), out in zip(jobs, fits, strict=True):
            if isinstance(out, _Failure):
                scores[i, k] = self.error_score
            else:
                scores[i, k], probas[i, k], times[0, i, k], times[1, i, k] = out
        return scores, probas, done[len(jobs) :], times

    def _task(self, function, estimator, *args):
        """A delayed task of the search; a failure of a task it depends on (an
        argument) fails it without running it."""
        failed = next((a for a in args if isinstance(a, _Failure)), None)
        if failed is not None:
            return delayed(_failed_again)(failed)
        return delayed(_guarded)(
            function, self.error_score == "raise", estimator, *args
        )

    def _check_all_failed(self, results: list, n_fits: int) -> None:
        """Raise when every fit failed; else warn how many did (GridSearchCV's
        rule for ``error_score``)."""
        failures = [out for out in results if isinstance(out, _Failure)]
        if not failures:
            return
        if len(failures) == n_fits:
            raise ValueError(
                f"All the {n_fits} fits failed. The first error:\n{failures[0].text}"
                f"Check the inputs and the settings; error_score='raise' raises the "
                f"error itself."
            )
        warn(
            f"{len(failures)} of the {n_fits} fits failed; their scores are set to "
            f"error_score={self.error_score!r}. The first error:\n{failures[0].text}",
            FitFailedWarning,
        )

    def _say(self, line: str) -> None:
        if self.verbose:
            say(line)

    def _progress(self, parallel, tasks: list, labels: list[str], scored=False):
        """The results of ``tasks`` run by ``parallel``, in order; with
        ``verbose``, a line as each one finishes (its score when ``scored``)."""
        results, start = [], time.perf_counter()
        for j, result in enumerate(parallel(tasks), start=1):
            results.append(result)
            if isinstance(result, _Failure):
                note = ": failed"
            else:
                note = f": score {result[0]:.4g}" if scored else ""
            self._say(
                f"[{j}/{len(tasks)}] {labels[j - 1]}{note} "
                f"({time.perf_counter() - start:.1f} s)"
            )
        return results

    def _candidates(self, name: str) -> list[float]:
        try:
            values = np.asarray(getattr(self, name), dtype=float).ravel()
        except (ValueError, TypeError):
            values = np.array([np.nan])  # not numbers: the error below
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(
                f"{name} must be a non-empty list of non-negative floats, got {getattr(self, name)!r}."
            )
        return [float(v) for v in values]


def _group(grid: list[dict], key: bool) -> list[int]:
    """The candidates of a pretraining group: ``beta > 0`` (``key``) or ``beta == 0``."""
    return [i for i, p in enumerate(grid) if (p["beta"] > 0) == key]


def _group_name(key: bool) -> str:
    """The name of a beta group in the progress lines."""
    return f"beta {'> 0' if key else '= 0'}"


def _cv_results(grid: list[dict], scores: np.ndarray, times: np.ndarray) -> dict:
    """GridSearchCV-style results from a (n_candidates, n_splits) score matrix
    and the (fit, score) seconds of each candidate and split."""
    mean = scores.mean(axis=1)
    results: dict = {
        "mean_fit_time": times[0].mean(axis=1),
        "std_fit_time": times[0].std(axis=1),
        "mean_score_time": times[1].mean(axis=1),
        "std_score_time": times[1].std(axis=1),
    }
    for key in _SEARCHED:
        results[f"param_{key}"] = np.ma.MaskedArray(
            [p[key] for p in grid], mask=False, dtype=float
        )
    results["params"] = grid
    for k in range(scores.shape[1]):
        results[f"split{k}_test_score"] = scores[:, k]
    results["mean_test_score"] = mean
    results["std_test_score"] = scores.std(axis=1)
    results["rank_test_score"] = _ranks(mean)
    return results


def _ranks(mean: np.ndarray) -> np.ndarray:
    """GridSearchCV's ranks: the best mean first, ties sharing the lowest rank,
    float noise rounded away, NaN (a failed fit) last."""
    if np.isnan(mean).all():
        return np.ones(len(mean), dtype=np.int32)
    order = np.round(mean, 15)
    order = np.nan_to_num(order, nan=np.nanmin(order) - 1)
    return rankdata(-order, method="min").astype(np.int32)


class _Fold:
    """One split of the labelled target rows: the validated fit on its
    training rows, its held-out rows and the scorer's metadata for them."""

    def __init__(self, fit: ValidatedFit, X_test, y_test, score_params: dict):
        self.fit, self.X_test, self.y_test = fit, X_test, y_test
        self.score_params = score_params


class _Failure:
    """A task of the search that raised (``error_score`` not ``"raise"``)."""

    def __init__(self, text: str):
        self.text = text


# The tasks of the parallel search: module-level functions, so that they pickle
# by reference on any joblib backend. Each bounds its threads where it runs.
def _guarded(function, raise_errors: bool, est: DATNClassifier, *args):
    """``function(est, *args)``, or its failure unless ``raise_errors``."""
    try:
        with limit_threads(est.n_threads):
            return function(est, *args)
    except Exception as exc:
        if raise_errors:
            raise
        return _Failure("".join(traceback.format_exception_only(exc)))


def _failed_again(failure: _Failure) -> _Failure:
    """A task that cannot run: a task it depends on failed."""
    return failure


def _pretrain_source(est: DATNClassifier, fit: ValidatedFit) -> tuple[dict, bool]:
    """The state after the source pathway's pretraining, and whether there is one."""
    run = est._prepare_fit(fit)
    est._pretrain_source(run)
    return run.snapshot(), run.source_net is not None


def _source_only(snapshot: dict) -> dict:
    """A snapshot's fitted source preprocessor (the target's is refitted on the
    rows of another fold)."""
    return {"source": snapshot["preprocessors"].get("source")}


def _pretrain_target(est: DATNClassifier, fit: ValidatedFit, source_snapshot) -> dict:
    """The state after both pretrainings on one fold's training rows. A fold's
    ConvergenceWarning is left out: the refit on all rows gives the target's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = est._prepare_fit(fit, preprocessors=_source_only(source_snapshot))
        run.restore(source_snapshot)
        est._pretrain_target(run)
        return run.snapshot()


def _target_only_score(
    est: DATNClassifier, fold: _Fold, scorer
) -> tuple[float, np.ndarray]:
    """The score and the class probabilities of the held-out rows (in the
    columns of the fold's classes, those of the transfer candidates) of the
    target-only model fitted on the fold's target rows without the source."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est._fit_validated(fold.fit.without_source())
    score = scorer(est, fold.X_test, fold.y_test, **fold.score_params)
    proba = in_columns(est.predict_proba(fold.X_test), est.classes_, fold.fit.classes)
    return score, proba


def _finetune_score(
    est: DATNClassifier, fold: _Fold, snapshot, scorer, keep_proba: bool
) -> tuple[float, np.ndarray | None, float, float]:
    """Fit one (alpha, beta) from its pretrained state (fine-tuning, and
    self-training where it applies); the score, (``keep_proba``, for the
    guard) the class probabilities of the held-out rows, and the seconds of
    the fit (from the pretrained state) and of the scoring."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Self-training pretrains again: the refit on all rows gives its warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = est._prepare_fit(fold.fit, preprocessors=snapshot["preprocessors"])
        run.restore(snapshot)
        est._finetune(run)
    fitted = time.perf_counter()
    score = scorer(est, fold.X_test, fold.y_test, **fold.score_params)
    scored = time.perf_counter()
    proba = est.predict_proba(fold.X_test) if keep_proba else None
    return score, proba, fitted - start, scored - fitted
