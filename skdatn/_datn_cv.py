"""DATNClassifierCV: α and β chosen by cross-validation, pretraining shared."""

from __future__ import annotations

import time
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import delayed

from ._datn import DATNClassifier
from ._inherit import inherited_parameter_docs, inherited_signature
from ._model_selection import (
    DEFAULT_ALPHAS,
    DEFAULT_BETAS,
    BalancedKFold,
    calibrated_log_loss,
    held_out_log_loss,
)
from ._progress import parallel_as_done, say
from ._threads import limit_threads, threads_limited
from ._torch.training import TrainingDivergedError
from ._validation import validate_transfer_fit


class NegativeTransferWarning(UserWarning):
    """The source did not help: :class:`DATNClassifierCV` fell back to the target-only model.

    Raised when, in cross-validation, the target pathway with its own
    classifier (the paper's SSDAE) predicts the held-out rows better than the
    selected transfer candidate. The fitted estimator is then that target-only
    model. See the user guide, "Is my source helping?".

    Examples
    --------
    A search that must transfer can turn the fallback into an error:

    >>> import warnings
    >>> from skdatn import NegativeTransferWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", NegativeTransferWarning)
    ...     try:  # DATNClassifierCV(...).fit(...) would warn here
    ...         warnings.warn("fell back", NegativeTransferWarning)
    ...     except NegativeTransferWarning as exc:
    ...         print("raised:", exc)
    raised: fell back
    """


#: Where this estimator's defaults differ from DATNClassifier's (the paper's):
#: skdatn's two extensions beyond the paper are on.
_DEFAULTS = {"self_training": 1, "pair_label_share": 0.5}
#: The weights this estimator searches over (its grid's keys).
_SEARCHED = ("alpha", "beta")
#: DATNClassifier's parameters that this estimator takes too: all but those.
_SHARED = [p for p in DATNClassifier._get_param_names() if p not in _SEARCHED]


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
    with the same splits (on the same device and thread count). The best
    (α, β) is then refitted on all rows; this estimator is that model.

    With ``n_jobs`` (or inside ``joblib.parallel_backend``, e.g. on a Dask or
    Ray cluster) the search runs in three parallel rounds: the source
    pretrainings (one per beta group), the target pretrainings (one per fold
    and beta group), then every fold's fine-tuning of every (α, β), each from
    its pretrained state. The scores do not depend on ``n_jobs``.

    When the source does not help, a transfer model can be far worse than
    not transferring. So the search also predicts, in the same folds, with the
    target-only model: the pretrained target pathway with its own classifier
    (the paper's SSDAE; DNN with ``recon_weight=0``), which costs no training
    beyond the pretraining the search runs anyway. The selected (α, β) and the
    target-only model are then compared on their pooled held-out predictions by
    :func:`~skdatn.calibrated_log_loss` (the log-loss after the best single
    temperature: how well each ranks the classes, not how confident it is).
    When the target-only model wins, this estimator is that model and a
    :class:`NegativeTransferWarning` says so (``fallback=False`` turns the
    guard off). See the user guide, "Is my source helping?".

    Unlike :class:`DATNClassifier`, this estimator turns skdatn's two
    extensions beyond the paper on by default (user guide, "Self-training and
    labels through the pairs"): labels through the pairs
    (``pair_label_share=0.5``) and one round of self-training
    (``self_training=1``). ``pair_label_share=0, self_training=0`` is the
    paper's DATN. The pair labels cost no training and are the same in every
    fold, so they are part of each fold's fit (the target-only model of the
    guard is pretrained apart, without them). Self-training is left out of the
    folds: they select (α, β) without it, and the refit on all rows
    self-trains at the selected (α, β).

    Parameters
    ----------
    alphas : array-like of float, default=(0.25, 0.5, 1)
        Candidate weights α of L_trans. The paper's grid, ``(0, 0.5, 1, 2, 5,
        10)`` for both weights, is six times slower and no better with a few
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
        Compare the target-only model with the selected (α, β), and fall back
        to it when it predicts better. Without source data the model is
        target-only anyway.
    n_jobs : int, default=None
        Parallel jobs of the search, as in ``GridSearchCV``: ``None`` means 1
        unless in a ``joblib.parallel_backend`` context, ``-1`` all processors.
        The refit runs in the calling process.
    <the parameters of DATNClassifier>
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
    best_score_ : float
        Mean cross-validated score (``scoring``) of the fitted model: the best
        (α, β)'s, or the target-only model's when the estimator fell back.
    transfer_score_, target_only_score_ : float
        The guard's comparison: :func:`~skdatn.calibrated_log_loss` of the
        pooled held-out predictions of the selected (α, β) and of the
        target-only model, in the same folds (greater is better; minus the log
        of the number of classes is chance). NaN when ``fallback=False`` or
        without source data.
    cv_results_ : dict of ndarray
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``, ``param_alpha``, ``param_beta``, ``params``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score`` and
        ``rank_test_score``, in ``GridSearchCV``'s order and format. A fit time
        is the candidate's fine-tuning from the pretrained state of its fold
        (the pretraining, shared by the candidates, is not in it).
    n_pretrainings_ : int
        Pathway pretrainings run (search and refit): one per fold and beta group
        for the target pathway, one per beta group for the source pathway, and
        with ``pair_label_share > 0`` and ``fallback`` one more per fold for the
        target-only model, which learns no label from the source (the default),
        and one for the refit. The refit's self-training rounds pretrain the
        target pathway again; they are not counted here (see ``history_``).
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
    >>> clf.fit(task.X, task.y, **task.fit_params).n_pretrainings_  # 3 x (2 + 1) + 2 + 1
    12
    >>> sorted(clf.best_params_)
    ['alpha', 'beta']
    """

    _parameter_constraints: dict = {
        **{k: DATNClassifier._parameter_constraints[k] for k in _SHARED},
        "alphas": ["array-like"],
        "betas": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "fallback": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        alphas=DEFAULT_ALPHAS,
        betas=DEFAULT_BETAS,
        *,
        cv=5,
        scoring=None,
        fallback=True,
        n_jobs=None,
        **params,
    ):
        self.alphas = alphas
        self.betas = betas
        self.cv = cv
        self.scoring = scoring
        self.fallback = fallback
        self.n_jobs = n_jobs
        # DATNClassifier's other parameters, with the defaults of _SIGNATURE.
        unknown = sorted(set(params) - set(_SHARED))
        if unknown:
            raise TypeError(
                f"DATNClassifierCV got unexpected keyword arguments {unknown}: it "
                "takes DATNClassifier's parameters but alpha and beta, which it "
                "searches over (set alphas and betas)."
            )
        for name in _SHARED:
            setattr(self, name, params.get(name, _SIGNATURE.parameters[name].default))

    def _estimator(
        self, alpha: float, beta: float, fold: bool = False, target_only: bool = False
    ) -> DATNClassifier:
        """A fresh DATNClassifier with this estimator's settings (random_state
        deep-copied, as ``clone`` does for each candidate of a grid search);
        for a fold of the search (``fold``), without self-training; for the
        target-only model (``target_only``), without labels from the source."""
        params = {name: getattr(self, name) for name in _SHARED}
        if fold:
            params["self_training"] = 0
        if target_only:
            params["pair_label_share"] = 0.0
        # verbose=1 reports the search; each fit's stages from verbose=2 on.
        params["verbose"] = max(0, self.verbose - 1)
        return clone(DATNClassifier(alpha=alpha, beta=beta, **params))

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
            Rows seen in both domains.
        X_unlabeled : {array-like, sparse matrix} of shape (n_unlabeled, n_features) or Domain, default=None
            Unlabelled target rows.
        groups : array-like of shape (n_samples,), default=None
            Group labels of the rows of ``X``, for a group splitter as ``cv``
            (``GroupKFold``, ...), as in ``GridSearchCV.fit``.

        Returns
        -------
        self : DATNClassifierCV
            The refitted estimator.
        """
        grid = list(
            ParameterGrid(
                {"alpha": self._candidates("alphas"), "beta": self._candidates("betas")}
            )
        )
        transfer = {
            "X_source": X_source,
            "y_source": y_source,
            "pairs": pairs,
            "X_unlabeled": X_unlabeled,
        }
        # Validate everything once up front (clear errors before any training).
        fit = validate_transfer_fit(
            self, X, y, **transfer, accept_sparse="csr", source_labels_needed=True
        )
        X, y, inputs, classes = fit.X, fit.y, fit.inputs, fit.classes
        try:
            return self._search_and_refit(
                X, y, grid, transfer, inputs.has_source, classes, groups
            )
        except TrainingDivergedError as exc:
            self._discard_fit(exc.history)
            raise

    def _splits(self, X, y, groups=None) -> list:
        """The folds: an int ``cv`` (or None, 5) is a :class:`BalancedKFold`
        seeded by ``random_state``."""
        cv = self.cv
        if cv is None or isinstance(cv, Integral):
            cv = BalancedKFold(5 if cv is None else cv, random_state=self.random_state)
        else:
            cv = check_cv(cv, y, classifier=True)
        return list(cv.split(X, y, groups))

    def _search_and_refit(
        self, X, y, grid: list[dict], transfer: dict, has_source: bool, classes, groups
    ):
        """The search over ``grid`` (and the target-only model), then the refit."""
        splits = self._splits(X, y, groups)
        if self.scoring is None:
            scorer = held_out_log_loss
        else:
            scorer = check_scoring(self._estimator(1.0, 1.0), scoring=self.scoring)
        folds = [
            (
                _safe_indexing(X, train),
                _safe_indexing(y, train),
                _safe_indexing(X, test),
                _safe_indexing(y, test),
            )
            for train, test in splits
        ]
        guard = bool(self.fallback) and has_source
        scores, probas, target_only, source_snapshots, times = self._search(
            grid, folds, scorer, transfer, guard
        )
        self.cv_results_ = _cv_results(grid, scores, times)
        best = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = dict(grid[best])
        self.alpha_, self.beta_ = self.best_params_["alpha"], self.best_params_["beta"]
        self.best_score_ = float(self.cv_results_["mean_test_score"][best])
        self.transfer_score_ = self.target_only_score_ = np.nan
        fall_back = guard and self._target_only_wins(
            [probas[best, k] for k in range(len(folds))], target_only, folds, classes
        )
        if fall_back:  # the target-only model of the folds, refitted on all rows
            key = _target_only_group(grid)
            refit = self._estimator(**grid[_group(grid, key)[0]], target_only=True)
        else:
            key = self.beta_ > 0
            refit = self._estimator(**self.best_params_)
        run = refit._prepare_fit(
            X, y, **transfer, preprocessors=_source_only(source_snapshots[key])
        )
        run.restore(source_snapshots[key])
        self._say(
            f"refit on all {len(y)} labelled target rows: "
            + (
                "the target-only model"
                if fall_back
                else f"alpha={self.alpha_:g}, beta={self.beta_:g}"
            )
        )
        refit._pretrain_target(run)
        self.n_pretrainings_ += 1
        if fall_back:
            refit._finetune_target_only(run)
            warnings.warn(
                f"The source does not help: in cross-validation the target-only "
                f"model ({refit.variant_}: the target pathway with its own "
                f"classifier) predicted better than the selected transfer model "
                f"(calibrated log-loss score {self.target_only_score_:.4g} against "
                f"{self.transfer_score_:.4g} at alpha={self.alpha_:g}, "
                f"beta={self.beta_:g}). This estimator is the target-only model "
                f"(variant_={refit.variant_!r}). Check the source data and that row i "
                f"of both sides of pairs is the same item; fallback=False keeps the "
                f"transfer model.",
                NegativeTransferWarning,
                stacklevel=5,
            )
        else:
            refit._finetune(run)
        for name, value in vars(refit).items():
            if name.endswith("_") or name == "_n_features_out":
                setattr(self, name, value)
        return self

    def _target_only_wins(self, chosen, target_only, folds, classes) -> bool:
        """The guard: compare the pooled held-out predictions of the selected
        candidate (``chosen``, one array per fold) and of the target-only model
        (``(score, proba)`` per fold) by their calibrated log-loss; sets
        ``transfer_score_`` and ``target_only_score_`` (and ``best_score_`` when
        the target-only model wins, ties going to transfer)."""
        y_held = np.concatenate([fold[3] for fold in folds])
        self.transfer_score_ = calibrated_log_loss(y_held, np.vstack(chosen), classes)
        self.target_only_score_ = calibrated_log_loss(
            y_held, np.vstack([proba for _, proba in target_only]), classes
        )
        if self.target_only_score_ <= self.transfer_score_:
            return False
        self.best_score_ = float(np.mean([score for score, _ in target_only]))
        return True

    def _search(self, grid, folds, scorer, transfer, guard: bool) -> tuple:
        """The (n_candidates, n_folds) scores, the held-out class probabilities
        of every candidate and fold (``{(i, k): proba}``), those of the
        target-only model in each fold (empty unless ``guard``), the source
        pretraining snapshots and the (fit, score) seconds."""
        # beta=0 (DATN_sup) ignores the unlabelled rows: two pretraining groups.
        keys = [key for key in (False, True) if _group(grid, key)]
        first = {key: grid[_group(grid, key)[0]] for key in keys}
        # The target pathway's pretraining groups: each beta group; and, when
        # the pairs are labelled through the source, the target-only model,
        # which must not learn from the source. Each: the settings it is
        # pretrained with, the source snapshot it starts from, and its name.
        groups = {key: (first[key], key, _group_name(key)) for key in keys}
        to_key = _target_only_group(grid)
        if guard and self.pair_label_share > 0:
            groups["target_only"] = (first[to_key], to_key, "target-only model")
        self._say(
            f"DATNClassifierCV: {len(folds)} folds for each of {len(grid)} "
            f"candidates, totalling {len(folds) * len(grid)} fine-tunings, from "
            f"{len(keys)} source and {len(folds) * len(groups)} target pretrainings"
            + (", and the target-only model of each fold" if guard else "")
        )
        # One Parallel for the three rounds: its workers are reused (a Ray or
        # loky pool starts once).
        with parallel_as_done(self.n_jobs) as parallel:
            sources = self._pretrain_sources(parallel, first, folds[0][:2], transfer)
            targets = self._pretrain_targets(parallel, groups, folds, sources, transfer)
            guard_key = (
                ("target_only" if "target_only" in groups else to_key)
                if guard
                else None
            )
            scores, probas, target_only, times = self._finetune_and_score(
                parallel,
                grid,
                folds,
                targets,
                scorer,
                transfer,
                first[to_key],
                guard_key,
            )
        return scores, probas, target_only, sources, times

    def _pretrain_sources(self, parallel, first, train, transfer) -> dict:
        """Round 1: the source pathway's pretraining sees only source rows, so
        it is the same in every fold (and in the refit): once per beta group.
        Returns each group's snapshot."""
        keys = list(first)
        done = self._progress(
            parallel,
            [
                delayed(_pretrain_source)(
                    self._estimator(**first[key], fold=True), *train, **transfer
                )
                for key in keys
            ],
            [f"source pretraining ({_group_name(key)})" for key in keys],
        )
        self.n_pretrainings_ = sum(has_source for _, has_source in done)
        return {key: snapshot for key, (snapshot, _) in zip(keys, done, strict=True)}

    def _pretrain_targets(self, parallel, groups, folds, sources, transfer) -> dict:
        """Round 2: the target pathway's pretraining, once per fold and group.
        Returns the snapshot of each (fold, group)."""
        jobs = [(k, key) for k in range(len(folds)) for key in groups]
        done = self._progress(
            parallel,
            [
                delayed(_pretrain_target)(
                    self._estimator(
                        **groups[key][0], fold=True, target_only=key == "target_only"
                    ),
                    *folds[k][:2],
                    sources[groups[key][1]],
                    **transfer,
                )
                for k, key in jobs
            ],
            [f"target pretraining, fold {k + 1} ({groups[key][2]})" for k, key in jobs],
        )
        self.n_pretrainings_ += len(jobs)
        return dict(zip(jobs, done, strict=True))

    def _finetune_and_score(
        self, parallel, grid, folds, targets, scorer, transfer, settings, guard_key
    ) -> tuple:
        """Round 3: every (alpha, beta) of every fold, fine-tuned from its
        group's state; and, with the guard (``guard_key``, its group), the
        target-only model of every fold (no fine-tuning: the pretrained target
        pathway with its own classifier, pretrained with ``settings``)."""
        jobs = [(i, k) for i in range(len(grid)) for k in range(len(folds))]
        guard = guard_key is not None
        tasks = [
            delayed(_finetune_score)(
                self._estimator(**grid[i], fold=True),
                *folds[k],
                targets[k, grid[i]["beta"] > 0],
                scorer,
                guard,
                **transfer,
            )
            for i, k in jobs
        ]
        labels = [
            f"alpha={grid[i]['alpha']:g}, beta={grid[i]['beta']:g}, fold {k + 1}"
            for i, k in jobs
        ]
        if guard:
            tasks += [
                delayed(_target_only_score)(
                    self._estimator(**settings, fold=True, target_only=True),
                    *folds[k],
                    targets[k, guard_key],
                    scorer,
                    **transfer,
                )
                for k in range(len(folds))
            ]
            labels += [f"target-only model, fold {k + 1}" for k in range(len(folds))]
        done = self._progress(parallel, tasks, labels, scored=True)
        scores = np.empty((len(grid), len(folds)))
        times = np.empty((2, len(grid), len(folds)))  # fit, score seconds
        probas: dict = {}
        for (i, k), out in zip(jobs, done[: len(jobs)], strict=True):
            scores[i, k], probas[i, k], times[0, i, k], times[1, i, k] = out
        target_only = [out[:2] for out in done[len(jobs) :]]  # (score, proba)
        return scores, probas, target_only, times

    def _say(self, line: str) -> None:
        if self.verbose:
            say(line)

    def _progress(self, parallel, tasks: list, labels: list[str], scored=False):
        """The results of ``tasks`` run by ``parallel``, in order; with
        ``verbose``, a line as each one finishes (its score when ``scored``)."""
        results, start = [], time.perf_counter()
        for j, result in enumerate(parallel(tasks), start=1):
            results.append(result)
            score = f": score {result[0]:.4g}" if scored else ""
            self._say(
                f"[{j}/{len(tasks)}] {labels[j - 1]}{score} "
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


# scikit-learn reads the parameters from __init__'s signature: DATNClassifierCV's
# own, then DATNClassifier's (declared there once), with _DEFAULTS; the
# docstring takes their entries from DATNClassifier's.
_SIGNATURE = inherited_signature(
    DATNClassifierCV.__init__, DATNClassifier, _SEARCHED, _DEFAULTS
)
DATNClassifierCV.__init__.__signature__ = _SIGNATURE
DATNClassifierCV.__doc__ = inherited_parameter_docs(
    DATNClassifierCV.__doc__,
    DATNClassifier.__doc__,
    "<the parameters of DATNClassifier>",
    [name for name in _SHARED if name != "verbose"],
    _DEFAULTS,
)


def _group(grid: list[dict], key: bool) -> list[int]:
    """The candidates of a pretraining group: ``beta > 0`` (``key``) or ``beta == 0``."""
    return [i for i, p in enumerate(grid) if (p["beta"] > 0) == key]


def _group_name(key: bool) -> str:
    """The name of a beta group in the progress lines."""
    return f"beta {'> 0' if key else '= 0'}"


def _target_only_group(grid: list[dict]) -> bool:
    """The pretraining group whose target pathway is the target-only candidate:
    the one that learns from the unlabelled rows when the grid has one."""
    return bool(_group(grid, True))


def _cv_results(grid: list[dict], scores: np.ndarray, times: np.ndarray) -> dict:
    """GridSearchCV-style results from a (n_candidates, n_splits) score matrix
    and the (fit, score) seconds of each candidate and split."""
    mean = scores.mean(axis=1)
    # GridSearchCV ranks with method="min" after rounding away float noise.
    order = np.round(mean, 15)
    ranks = np.array([1 + int(np.sum(order > m)) for m in order], dtype=np.int32)
    results: dict = {
        "mean_fit_time": times[0].mean(axis=1),
        "std_fit_time": times[0].std(axis=1),
        "mean_score_time": times[1].mean(axis=1),
        "std_score_time": times[1].std(axis=1),
    }
    for key in _SEARCHED:
        results[f"param_{key}"] = np.ma.MaskedArray(
            [p[key] for p in grid], mask=False, dtype=object
        )
    results["params"] = grid
    for k in range(scores.shape[1]):
        results[f"split{k}_test_score"] = scores[:, k]
    results["mean_test_score"] = mean
    results["std_test_score"] = scores.std(axis=1)
    results["rank_test_score"] = ranks
    return results


# The tasks of the parallel search: module-level functions, so that they pickle
# by reference on any joblib backend. Each bounds its threads where it runs.
def _pretrain_source(est: DATNClassifier, X, y, **transfer) -> tuple[dict, bool]:
    """The state after the source pathway's pretraining, and whether there is one."""
    with limit_threads(est.n_threads):
        run = est._prepare_fit(X, y, **transfer)
        est._pretrain_source(run)
        return run.snapshot(), run.source_net is not None


def _source_only(snapshot: dict) -> dict:
    """A snapshot's fitted source preprocessor (the target's is refitted on the
    rows of another fold)."""
    return {"source": snapshot["preprocessors"].get("source")}


def _pretrain_target(est: DATNClassifier, X, y, source_snapshot, **transfer) -> dict:
    """The state after both pretrainings on one fold's training rows. A fold's
    ConvergenceWarning is left out: the refit on all rows gives the target's."""
    with limit_threads(est.n_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = est._prepare_fit(
            X, y, **transfer, preprocessors=_source_only(source_snapshot)
        )
        run.restore(source_snapshot)
        est._pretrain_target(run)
        return run.snapshot()


def _target_only_score(
    est: DATNClassifier, X, y, X_test, y_test, snapshot, scorer, **transfer
) -> tuple[float, np.ndarray]:
    """The score and the class probabilities of the held-out rows of the
    pretrained target pathway alone (its own classifier)."""
    with limit_threads(est.n_threads):
        run = est._prepare_fit(
            X, y, **transfer, preprocessors=snapshot["preprocessors"]
        )
        run.restore(snapshot)
        est._finetune_target_only(run)
        return scorer(est, X_test, y_test), est.predict_proba(X_test)


def _finetune_score(
    est: DATNClassifier,
    X,
    y,
    X_test,
    y_test,
    snapshot,
    scorer,
    keep_proba: bool,
    **transfer,
) -> tuple[float, np.ndarray | None]:
    """Fine-tune one (alpha, beta) from its pretrained state; the score,
    (``keep_proba``, for the guard) the class probabilities of the held-out rows,
    and the seconds of the fit (from the pretrained state) and of the scoring."""
    with limit_threads(est.n_threads):
        start = time.perf_counter()
        run = est._prepare_fit(
            X, y, **transfer, preprocessors=snapshot["preprocessors"]
        )
        run.restore(snapshot)
        est._finetune(run)
        fitted = time.perf_counter()
        score = scorer(est, X_test, y_test)
        scored = time.perf_counter()
        proba = est.predict_proba(X_test) if keep_proba else None
        return score, proba, fitted - start, scored - fitted
