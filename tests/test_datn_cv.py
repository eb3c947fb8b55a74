"""DATNClassifierCV: the same selection as GridSearchCV, with shared pretraining."""

import inspect
import io
import warnings

import joblib
import numpy as np
import pytest
from conftest import FAST, search_beside_grid_search, settings_of
from numpy.testing import assert_allclose, assert_array_equal
from numpydoc.docscrape import ClassDoc
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdatn import (
    BalancedKFold,
    DATNClassifier,
    DATNClassifierCV,
    NegativeTransferWarning,
    SlicingRiskWarning,
    TrainingDivergedError,
    calibrated_log_loss,
    held_out_log_loss,
    load,
    save,
)
from skdatn._datn_cv import _SHARED
from skdatn._guard import correct_fold_prior
from skdatn.benchmark._controls import noise_source, shuffle_pairs

GRID = {"alpha": [0.0, 1.0, 5.0], "beta": [0.0, 0.5, 2.0]}


def test_equals_grid_search(task):
    clf, search = search_beside_grid_search(task, FAST, GRID)
    for key in (
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "split0_test_score",
        "split2_test_score",
    ):
        assert_array_equal(clf.cv_results_[key], search.cv_results_[key], err_msg=key)
    assert clf.cv_results_["params"] == search.cv_results_["params"]
    # The same keys in the same order; fit and score times of every candidate.
    assert list(clf.cv_results_) == list(search.cv_results_)
    for key in ("mean_fit_time", "std_fit_time", "mean_score_time"):
        assert clf.cv_results_[key].shape == (len(clf.cv_results_["params"]),)
    assert (clf.cv_results_["mean_fit_time"] > 0).all()
    assert clf.best_params_ == search.best_params_
    assert clf.best_score_ == search.best_score_
    assert clf.best_index_ == search.best_index_
    assert clf.n_splits_ == search.n_splits_ == 3
    assert clf.refit_time_ > 0 and not clf.fallback_
    for key in ("param_alpha", "param_beta"):  # float columns, as GridSearchCV's
        assert clf.cv_results_[key].dtype == search.cv_results_[key].dtype == float
        assert_array_equal(clf.cv_results_[key], search.cv_results_[key])
    assert (clf.alpha_, clf.beta_) == (
        search.best_params_["alpha"],
        search.best_params_["beta"],
    )
    assert_array_equal(
        clf.predict_proba(task.X_test), search.predict_proba(task.X_test)
    )
    assert_array_equal(
        clf.transform(task.X_test), search.best_estimator_.transform(task.X_test)
    )
    # Pretraining is shared: 3 folds x 2 beta groups for the target pathway,
    # 2 for the source pathway, 1 target pretraining for the refit.
    assert clf.n_pretrainings_ == 9
    assert len(np.unique(clf.cv_results_["mean_test_score"])) > 1


def test_refit_is_a_plain_datn_fit(task):
    clf = DATNClassifierCV(alphas=[2], betas=[1], cv=KFold(2), **FAST)
    clf.fit(task.X, task.y, **task.fit_params)
    plain = DATNClassifier(alpha=2, beta=1, **settings_of(clf)).fit(
        task.X, task.y, **task.fit_params
    )
    # The extensions beyond the paper are on by default, in both estimators.
    assert clf.n_pairs_labeled_ > 0 and clf.n_pseudo_labeled_ > 0
    assert clf.variant_ == "DATN"
    assert_array_equal(clf.G_, plain.G_)
    assert_array_equal(clf.predict_proba(task.X_test), plain.predict_proba(task.X_test))
    assert "alpha" not in clf.get_params() and clf.get_params()["alphas"] == [2]


@pytest.mark.parametrize("alphas", [[], [-1.0], [np.nan]])
def test_bad_grid(task, alphas):
    with pytest.raises(
        ValueError, match="alphas must be a non-empty list of non-negative floats"
    ):
        DATNClassifierCV(alphas=alphas, **FAST).fit(task.X, task.y, **task.fit_params)


@parametrize_with_checks(
    [DATNClassifierCV(alphas=[1.0], betas=[0.0, 1.0], cv=2, **FAST)]
)
def test_sklearn_compatible_cv_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_parallel_search_gives_the_sequential_results(task, backend):
    """n_jobs=2 in worker processes (loky) or threads: same scores, same model."""
    # Workers run 1 thread each; other thread counts change the last bits of sums.
    params = {"alphas": [0, 2], "betas": [0, 1], "cv": KFold(2), "n_threads": 1}
    params.update(FAST)
    sequential = DATNClassifierCV(**params).fit(task.X, task.y, **task.fit_params)
    with joblib.parallel_backend(backend):
        parallel = DATNClassifierCV(n_jobs=2, **params)
        parallel.fit(task.X, task.y, **task.fit_params)
    assert_array_equal(
        parallel.cv_results_["split1_test_score"],
        sequential.cv_results_["split1_test_score"],
    )
    assert parallel.best_params_ == sequential.best_params_
    assert parallel.transfer_weight_ == sequential.transfer_weight_
    # 2 folds x 2 beta groups, the target-only model of each fold (pretrained
    # apart: it learns no label through the pairs), 2 source, 1 refit, and the
    # target-only model's refit where the guard blends.
    blended = 0 < sequential.transfer_weight_ < 1
    assert parallel.n_pretrainings_ == sequential.n_pretrainings_ == 9 + blended
    assert_array_equal(
        parallel.predict_proba(task.X_test), sequential.predict_proba(task.X_test)
    )


def test_defaults_search_the_estimators_defaults(mfeat_task):
    """DATNClassifierCV() and GridSearchCV(DATNClassifier(), its grid) with the
    same folds and scorer give the same scores: one model, one set of defaults."""
    t = mfeat_task
    settings = {**FAST, "pretrain_epochs": 10, "finetune_epochs": 5}
    clf = DATNClassifierCV(**settings).fit(t.X, t.y, **t.fit_params)
    defaults = DATNClassifierCV().get_params()
    search = GridSearchCV(
        DATNClassifier(**settings),
        {"alpha": list(defaults["alphas"]), "beta": list(defaults["betas"])},
        cv=BalancedKFold(defaults["cv"], random_state=settings["random_state"]),
        scoring=held_out_log_loss,
    ).fit(t.X, t.y, **t.fit_params)
    for key in ("mean_test_score", "split0_test_score", "split4_test_score"):
        assert_array_equal(clf.cv_results_[key], search.cv_results_[key], err_msg=key)
    # The candidates that use the unlabelled rows (beta > 0) self-train in the
    # folds, as the standalone fits do: without it, only their scores change.
    plain = DATNClassifierCV(**settings, self_training=0).fit(t.X, t.y, **t.fit_params)
    uses = clf.cv_results_["param_beta"] > 0
    scores, plain_scores = (c.cv_results_["mean_test_score"] for c in (clf, plain))
    assert_array_equal(scores[~uses], plain_scores[~uses])
    assert not np.isin(scores[uses], plain_scores[uses]).any()


def test_signature_is_explicit_and_agrees_with_the_estimators():
    """Every parameter written out, keyword-only; each shared one with
    DATNClassifier's default and docstring entry, word for word."""
    cv_sig = inspect.signature(DATNClassifierCV).parameters
    est_sig = inspect.signature(DATNClassifier).parameters
    assert all(p.kind is p.KEYWORD_ONLY for p in cv_sig.values())
    assert _SHARED and set(_SHARED) <= set(cv_sig)
    assert set(cv_sig) - set(_SHARED) == {
        "alphas",
        "betas",
        "cv",
        "scoring",
        "fallback",
        "error_score",
        "n_jobs",
    }
    for name in _SHARED:
        assert cv_sig[name].default == est_sig[name].default, name
    cv_doc, est_doc = (
        # An entry "a, b : ..." documents two parameters.
        {n: p for p in ClassDoc(cls)["Parameters"] for n in p.name.split(", ")}
        for cls in (DATNClassifierCV, DATNClassifier)
    )
    assert list(cv_doc) == list(cv_sig)
    for name in _SHARED:
        if name == "verbose":  # the search's own levels
            continue
        assert (cv_doc[name].type, cv_doc[name].desc) == (
            est_doc[name].type,
            est_doc[name].desc,
        ), name


# ------------------------------------------------------------ the guard


def _search(**params):
    return DATNClassifierCV(alphas=[0.5, 2], betas=[0, 1], **{**FAST, **params})


@pytest.mark.parametrize("pair_label_share", [0.0, 0.5])
def test_falls_back_to_the_target_only_model_when_the_source_is_useless(
    mfeat_task, pair_label_share
):
    t = shuffle_pairs(mfeat_task, 0)
    # An identity source preprocessor: the fallback must drop it with the source.
    # With labels through the pairs or not, the target-only model learns nothing
    # from the source.
    clf = _search(
        source_preprocessor=FunctionTransformer(), pair_label_share=pair_label_share
    )
    with pytest.warns(NegativeTransferWarning, match="source does not help") as w:
        clf.fit(t.X, t.y, **t.fit_params)
    assert clf.n_pairs_labeled_ == 0
    # Sources, targets per fold and group, the target-only model per fold, refit.
    folds, groups = 5, 2
    assert clf.n_pretrainings_ == groups + folds * groups + folds + 1
    assert w[0].filename == __file__  # the warning points at the caller's fit
    assert clf.variant_ == "SSDAE" and clf.fallback_
    assert clf.target_only_score_ > clf.transfer_score_
    assert clf.source_net_ is None and clf.n_source_features_in_ is None
    assert clf.source_preprocessor_ is None
    # The fallback is the model a standalone DATNClassifier() fit without the
    # source gives, refitted on all labelled rows and X_unlabeled.
    ssdae = DATNClassifier(**FAST)
    ssdae.fit(t.X, t.y, X_unlabeled=t.fit_params["X_unlabeled"])
    assert_allclose(
        clf.predict_proba(t.X_test), ssdae.predict_proba(t.X_test), rtol=1e-9
    )
    # The fallback saves and loads like any fitted model.
    buffer = io.BytesIO()
    save(clf, buffer)
    buffer.seek(0)
    loaded = load(buffer)
    assert loaded.variant_ == "SSDAE"
    assert loaded.target_only_score_ == clf.target_only_score_
    assert_array_equal(loaded.predict_proba(t.X_test), clf.predict_proba(t.X_test))
    # Without the guard the same search keeps the (useless) transfer model.
    kept = _search(fallback=False)
    kept.fit(t.X, t.y, **t.fit_params)
    assert kept.variant_ in ("DATN", "DATN_sup") and np.isnan(kept.target_only_score_)
    assert kept.score(t.X_test, t.y_test) < clf.score(t.X_test, t.y_test)


@pytest.mark.parametrize("pair_label_share", [0.0, 0.5])
def test_a_noise_source_predicts_as_the_target_only_model(mfeat_task, pair_label_share):
    # A noise source's transfer model is near uniform on the held-out rows: the
    # guard gives it at most half the weight, and what it keeps of it barely
    # moves the target-only model's predictions.
    t = noise_source(mfeat_task, 0)
    clf = _search(pair_label_share=pair_label_share)
    clf.fit(t.X, t.y, **t.fit_params)
    assert clf.transfer_weight_ <= 0.5
    ssdae = DATNClassifier(**FAST)
    ssdae.fit(t.X, t.y, X_unlabeled=t.fit_params["X_unlabeled"])
    guarded = clf.score(t.X_test, t.y_test)
    assert guarded >= ssdae.score(t.X_test, t.y_test) - 0.02
    kept = _search(fallback=False, pair_label_share=pair_label_share)
    kept.fit(t.X, t.y, **t.fit_params)
    assert kept.score(t.X_test, t.y_test) < guarded


def test_keeps_the_transfer_model_when_the_source_helps(mfeat_task, recwarn):
    t = mfeat_task
    clf = _search()
    clf.fit(t.X, t.y, **t.fit_params)
    assert clf.variant_ in ("DATN", "DATN_sup") and not clf.fallback_
    assert clf.transfer_score_ > clf.target_only_score_
    assert clf.best_score_ == clf.cv_results_["mean_test_score"].max()
    assert not [w for w in recwarn if w.category is NegativeTransferWarning]


def test_guard_scores_pool_the_held_out_predictions(task):
    # target_only_score_ is the calibrated log-loss score of the held-out predictions of
    # a standalone DATNClassifier() fitted without the source on each fold's
    # rows, pooled over the folds; transfer_score_ the selected candidate's.
    # (The task's classes are 0..k-1: labels are their own codes.)
    cv = KFold(3, shuffle=True, random_state=0)
    clf = _search(cv=cv).fit(task.X, task.y, **task.fit_params)
    probas, held = [], []
    for train, test in cv.split(task.X, task.y):
        est = DATNClassifier(**FAST).fit(
            task.X[train], task.y[train], X_unlabeled=task.fit_params["X_unlabeled"]
        )
        # Corrected for the fold's class shares (its training rows against all).
        proba = est.predict_proba(task.X[test])
        probas.append(correct_fold_prior(proba, task.y[train], task.y))
        held.append(task.y[test])
    assert clf.target_only_score_ == pytest.approx(
        calibrated_log_loss(np.concatenate(held), np.vstack(probas), clf.classes_)
    )
    assert clf.blend_scores_[0.0] == clf.target_only_score_
    assert clf.blend_scores_[1.0] == clf.transfer_score_
    # The chosen weight has the best score; ties keep the most transfer.
    best = max(clf.blend_scores_.values())
    assert clf.transfer_weight_ == max(
        w for w, s in clf.blend_scores_.items() if s == best
    )


def test_a_blend_averages_the_two_refitted_models(task, monkeypatch):
    # Where the guard keeps part of each model, the estimator's probabilities
    # are w * transfer + (1 - w) * target-only, both refitted on all rows.
    from skdatn import _datn_cv

    monkeypatch.setattr(
        _datn_cv, "choose_weight", lambda *a: (0.75, {1.0: -0.5, 0.75: -0.4, 0.0: -0.6})
    )
    clf = _search().fit(task.X, task.y, **task.fit_params)
    assert clf.transfer_weight_ == 0.75 and not clf.fallback_
    assert clf.variant_ in ("DATN", "DATN_sup")
    target_only = clf.target_only_estimator_
    assert target_only.variant_ == "SSDAE"
    transfer = _search(fallback=False).fit(task.X, task.y, **task.fit_params)
    ssdae = DATNClassifier(**FAST).fit(
        task.X, task.y, X_unlabeled=task.fit_params["X_unlabeled"]
    )
    expected = 0.75 * transfer.predict_proba(task.X_test) + 0.25 * ssdae.predict_proba(
        task.X_test
    )
    assert_allclose(clf.predict_proba(task.X_test), expected, rtol=1e-9)
    assert_array_equal(clf.predict(task.X_test), clf.classes_[expected.argmax(axis=1)])
    assert_allclose(clf.predict_log_proba(task.X_test), np.log(expected), rtol=1e-9)
    # transform gives the transfer model's representation.
    assert_allclose(clf.transform(task.X_test), transfer.transform(task.X_test))
    # Sources, targets per fold and group, target-only per fold, two refits.
    assert clf.n_pretrainings_ == 2 + 5 * 2 + 5 + 2
    # A blend saves and loads with its target-only model.
    buffer = io.BytesIO()
    save(clf, buffer)
    buffer.seek(0)
    loaded = load(buffer)
    assert_array_equal(
        loaded.predict_proba(task.X_test), clf.predict_proba(task.X_test)
    )


def test_without_source_there_is_nothing_to_guard(task):
    clf = _search().fit(task.X, task.y, X_unlabeled=task.X_unlabeled)
    assert clf.variant_ == "SSDAE"
    assert np.isnan(clf.transfer_score_) and np.isnan(clf.target_only_score_)


def test_defaults_work_with_three_labelled_rows_per_class(mfeat_task):
    # StratifiedKFold(5) refuses 3 rows per class; the default folds do not.
    t = mfeat_task
    assert np.bincount(t.y).max() == 3
    clf = DATNClassifierCV(pretrain_epochs=5, finetune_epochs=3, random_state=0)
    clf.fit(t.X, t.y, **t.fit_params)
    assert sum(k.startswith("split") for k in clf.cv_results_) == 5
    assert len(clf.cv_results_["params"]) == 6
    # The default scoring is the held-out log-loss: a negative number.
    assert clf.best_score_ < 0


def test_default_scoring_is_the_held_out_log_loss(task):
    cv = KFold(3, shuffle=True, random_state=0)
    default = _search(cv=cv, fallback=False).fit(task.X, task.y, **task.fit_params)
    explicit = _search(cv=cv, fallback=False, scoring=held_out_log_loss)
    explicit.fit(task.X, task.y, **task.fit_params)
    assert_array_equal(
        default.cv_results_["mean_test_score"],
        explicit.cv_results_["mean_test_score"],
    )


def test_int_cv_is_seeded_by_random_state(task):
    a = _search(cv=3).fit(task.X, task.y, **task.fit_params)
    b = _search(cv=3).fit(task.X, task.y, **task.fit_params)
    assert_array_equal(
        a.cv_results_["split0_test_score"], b.cv_results_["split0_test_score"]
    )
    with pytest.raises(ValueError, match="'cv' parameter of DATNClassifierCV"):
        _search(cv=1).fit(task.X, task.y, **task.fit_params)


def test_verbose_reports_the_plan_and_each_finished_task(task, capsys):
    params = {**FAST, "alphas": [0.5, 1.0], "betas": [1.0], "cv": 3}
    clf = DATNClassifierCV(**params, verbose=1).fit(task.X, task.y, **task.fit_params)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        "[skdatn] DATNClassifierCV: 3 folds for each of 2 candidates, totalling 6 "
        "fine-tunings, from 1 source and 3 target pretrainings, and the target-only "
        "model fitted in each fold"
    )
    assert lines[1].startswith("[skdatn] [1/1] source pretraining (beta > 0) (")
    assert lines[4].startswith("[skdatn] [3/3] target pretraining, fold 3 (beta > 0)")
    assert lines[5].startswith("[skdatn] [1/9] alpha=0.5, beta=1, fold 1: score -")
    # The target-only model is fitted in each fold, without the source.
    assert lines[13].startswith("[skdatn] [9/9] target-only model, fold 3: score -")
    w = clf.transfer_weight_
    assert lines[14] == (
        f"[skdatn] refit on all {len(task.y)} labelled target rows: "
        + (
            "the target-only model"
            if w == 0
            else f"alpha={clf.alpha_:g}, beta={clf.beta_:g}"
            + ("" if w == 1 else f", blended with the target-only model (weight {w:g})")
        )
    )
    assert len(lines) == 15  # the fits' own stages only from verbose=2 on
    DATNClassifierCV(**params, verbose=2).fit(task.X, task.y, **task.fit_params)
    assert "[skdatn] fine-tuning: " in capsys.readouterr().err


def test_groups_reach_a_group_splitter(task):
    from sklearn.model_selection import GroupKFold

    n = len(task.y)
    groups = np.where(np.arange(n) < 6, 0, 1)  # two groups: 6 rows and the rest
    held_out = []

    def sizes(estimator, X, y):
        held_out.append(len(y))
        return 0.0

    params = {**FAST, "alphas": [1.0], "betas": [1.0], "cv": GroupKFold(2)}
    DATNClassifierCV(**params, scoring=sizes, fallback=False).fit(
        task.X, task.y, groups=groups, **task.fit_params
    )
    assert sorted(held_out) == sorted([6, n - 6])  # each held-out fold is one group
    with pytest.raises(ValueError, match="groups"):
        DATNClassifierCV(**params).fit(task.X, task.y, **task.fit_params)


# ------------------------------------------------- scikit-learn's search API


def test_groups_are_routed_to_the_inner_splitter(task):
    """A nested cross_val_score routes groups to the inner GroupKFold."""
    from sklearn import config_context
    from sklearn.model_selection import GroupKFold, cross_val_score

    n = len(task.y)
    groups = np.arange(n) % 3
    seen = []

    class RecordingGroupKFold(GroupKFold):
        def split(self, X, y=None, groups=None):
            seen.append(None if groups is None else len(groups))
            return super().split(X, y, groups)

    inner = DATNClassifierCV(
        alphas=[1.0], betas=[1.0], cv=RecordingGroupKFold(2), fallback=False, **FAST
    )
    params = {**task.fit_params, "groups": groups}
    with config_context(enable_metadata_routing=True):
        scores = cross_val_score(inner, task.X, task.y, cv=KFold(2), params=params)
    assert scores.shape == (2,)
    # Each outer fit split its own training rows (half of them) by their groups.
    assert seen == [n // 2, n - n // 2]
    with config_context(enable_metadata_routing=True):
        routing = inner.get_metadata_routing()
        assert routing.consumes("fit", ["groups", "X_source"]) == {
            "groups",
            "X_source",
        }


def _picky_scorer(estimator, X, y):
    """A scorer that fails on the candidates with alpha > 1."""
    if estimator.alpha > 1:
        raise RuntimeError("no score for this candidate")
    return held_out_log_loss(estimator, X, y)


def _failing_candidates(alphas=(1.0, 2.0), **params):
    return DATNClassifierCV(
        alphas=alphas,
        betas=[1.0],
        cv=KFold(2),
        scoring=_picky_scorer,
        fallback=False,
        **{**FAST, **params},
    )


def test_error_score_sets_a_failed_candidates_scores(task):
    from sklearn.exceptions import FitFailedWarning

    clf = _failing_candidates()
    with pytest.warns(FitFailedWarning, match="2 of the 4 fits failed") as w:
        clf.fit(task.X, task.y, **task.fit_params)
    assert w[0].filename == __file__
    assert np.isnan(clf.cv_results_["mean_test_score"][1])
    assert list(clf.cv_results_["rank_test_score"]) == [1, 2]
    assert clf.best_index_ == 0 and clf.alpha_ == 1.0
    clf = _failing_candidates(error_score=-99.0)
    with pytest.warns(FitFailedWarning, match="no score for this candidate"):
        clf.fit(task.X, task.y, **task.fit_params)
    assert clf.cv_results_["split0_test_score"][1] == -99.0
    with pytest.raises(RuntimeError, match="no score"):
        _failing_candidates(error_score="raise").fit(task.X, task.y, **task.fit_params)
    with pytest.raises(ValueError, match="All the 2 fits failed"):
        _failing_candidates(alphas=[2.0]).fit(task.X, task.y, **task.fit_params)
    # A diverging training is a failure like any other.
    diverging = {"solver": "sgd", "learning_rate": 1e6, "error_score": "raise"}
    with pytest.raises(TrainingDivergedError):
        _failing_candidates(alphas=[1.0], **diverging).fit(
            task.X, task.y, **task.fit_params
        )


def test_inputs_are_validated_once_per_fit(task, monkeypatch):
    """The folds and the refit reuse what fit read; its warnings come once and
    point at the caller's line."""
    import skdatn._validation as validation

    calls = []
    read = validation.read_transfer_inputs

    def counting(*args, **kwargs):
        calls.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(validation, "read_transfer_inputs", counting)
    n = len(task.y)
    X_source = task.X_source.X[:n]  # as many rows as X: a slicing risk
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _search(cv=KFold(2)).fit(
            task.X,
            task.y,
            X_source=X_source,
            y_source=task.X_source.y[:n],
            pairs=task.pairs,
        )
    assert len(calls) == 1
    risks = [w for w in caught if w.category is SlicingRiskWarning]
    assert len(risks) == 2  # X_source and y_source, once each
    assert {w.filename for w in risks} == {__file__}
