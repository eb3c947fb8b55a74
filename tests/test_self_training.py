"""Self-training (beyond the paper): pseudo-labelled unlabelled target rows."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import FAST, search_beside_grid_search
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA

from skdatn import DATNClassifier, Domain
from skdatn import _datn as datn_module
from skdatn._pseudo_labels import confident_rows


@pytest.fixture
def seen(monkeypatch):
    """Each selection of the fits in the test: (proba, share, rows, codes)."""
    selections = []

    def spy(proba, share):
        rows, codes = confident_rows(proba, share)
        selections.append((proba, share, rows, codes))
        return rows, codes

    monkeypatch.setattr(datn_module, "confident_rows", spy)
    return selections


def fit(task, **params):
    return DATNClassifier(**{**FAST, **params}).fit(task.X, task.y, **task.fit_params)


def test_confident_rows_keeps_a_share_of_each_predicted_class():
    proba = np.array(
        [
            [0.9, 0.1, 0.0],
            [0.6, 0.4, 0.0],
            [0.7, 0.3, 0.0],
            [0.8, 0.2, 0.0],
            [0.1, 0.5, 0.4],  # the one row predicted as class 1
            [0.0, 0.3, 0.7],
            [0.0, 0.1, 0.9],
        ]
    )
    rows, codes = confident_rows(proba, 0.5)
    # Class 0: the 2 most confident of 4; class 1: its one row (ceil(0.5));
    # class 2: the more confident of 2.
    assert_array_equal(rows, [0, 3, 4, 6])
    assert_array_equal(codes, [0, 0, 1, 2])
    rows, codes = confident_rows(proba, 1.0)
    assert_array_equal(rows, np.arange(7))
    assert_array_equal(codes, proba.argmax(axis=1))
    assert confident_rows(np.empty((0, 3)), 0.5)[0].size == 0


def test_rounds_label_a_growing_share_with_the_models_predictions(task, seen):
    clf = fit(task, self_training=2, pseudo_label_share=0.6, pair_label_share=0)
    assert [s for _, s, _, _ in seen] == pytest.approx([0.3, 0.6])
    n_unlabeled = task.X_unlabeled.X.shape[0]
    n_classes = len(clf.classes_)
    for proba, share, rows, _ in seen:
        assert proba.shape == (n_unlabeled, n_classes)
        assert share * n_unlabeled <= rows.size <= share * n_unlabeled + n_classes
    assert clf.n_pseudo_labeled_ == seen[-1][2].size
    # The first round's labels are the predictions of the model fine-tuned
    # without pseudo-labels (the same fit with self_training=0).
    plain = fit(task)
    first_rows, first_codes = seen[0][2], seen[0][3]
    predicted = plain.predict_proba(task.X_unlabeled.X[first_rows]).argmax(axis=1)
    assert np.mean(predicted == first_codes) > 0.98
    # Each round trains the target pathway again, then fine-tunes; logged in turn.
    stages = [r["stage"] for r in clf.history_]
    assert stages.count("pretrain_target_pseudo") == 2 * FAST["pretrain_epochs"]
    assert stages.count("finetune_pseudo") == 2 * FAST["finetune_epochs"]
    assert stages.index("pretrain_target_pseudo") > stages.index("finetune")
    assert clf.n_iter_ == len(clf.history_)
    assert not np.allclose(
        plain.predict_proba(task.X_test), clf.predict_proba(task.X_test)
    )


def test_verbose_reports_each_round(task, capsys):
    fit(task, self_training=2, verbose=1)
    err = capsys.readouterr().err
    assert "self-training round 1/2:" in err and "self-training round 2/2:" in err
    assert "pretraining of the target pathway with pseudo-labels" in err


def test_no_unlabelled_rows_or_no_source_means_no_self_training(task):
    params = dict(task.fit_params)
    del params["X_unlabeled"]
    kwargs = {**FAST, "self_training": 2}
    with_st = DATNClassifier(**kwargs).fit(task.X, task.y, **params)
    without = DATNClassifier(**FAST).fit(task.X, task.y, **params)
    assert with_st.n_pseudo_labeled_ == 0
    assert_array_equal(
        with_st.predict_proba(task.X_test), without.predict_proba(task.X_test)
    )
    target_only = DATNClassifier(**kwargs).fit(
        task.X, task.y, X_unlabeled=task.X_unlabeled
    )
    assert target_only.variant_ == "SSDAE" and target_only.n_pseudo_labeled_ == 0


def test_beta_zero_leaves_the_unlabelled_rows_out_of_self_training_too(task):
    """beta=0 (DATN_sup) ignores unlabelled rows: no pseudo-labels either."""
    sup = fit(task, beta=0)
    sup_st = fit(task, beta=0, self_training=1)
    assert sup_st.variant_ == "DATN_sup" and sup_st.n_pseudo_labeled_ == 0
    assert_array_equal(
        sup.predict_proba(task.X_test), sup_st.predict_proba(task.X_test)
    )


def test_sparse_unlabelled_rows_and_a_preprocessor(task):
    # "auto" scaling would choose max abs for a domain with sparse rows.
    settings = {**FAST, "self_training": 1, "input_scaling": "standard"}
    params = dict(task.fit_params)
    dense = DATNClassifier(**settings).fit(task.X, task.y, **params)
    params["X_unlabeled"] = sp.csr_matrix(task.X_unlabeled.X)
    sparse = DATNClassifier(**settings).fit(task.X, task.y, **params)
    assert sparse.n_pseudo_labeled_ == dense.n_pseudo_labeled_
    assert_allclose(
        sparse.predict_proba(task.X_test), dense.predict_proba(task.X_test), atol=1e-5
    )
    clf = fit(task, self_training=1, target_preprocessor=PCA(5))
    assert clf.n_pseudo_labeled_ > 0 and clf.score(task.X_test, task.y_test) > 0.5


def test_the_search_self_trains_in_its_folds_and_its_refit(task):
    """The candidates of DATNClassifierCV self-train in every fold, as
    GridSearchCV's fits of DATNClassifier do; the refit on all rows too."""
    grid = {"alpha": [0.5, 2.0], "beta": [0.5, 1.0]}  # beta=0 would not self-train
    clf, search = search_beside_grid_search(task, FAST, grid, self_training=1)
    assert_array_equal(
        clf.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    refit = DATNClassifier(**FAST, **search.best_params_, self_training=1)
    refit.fit(task.X, task.y, **task.fit_params)
    assert clf.n_pseudo_labeled_ == refit.n_pseudo_labeled_ > 0
    assert_array_equal(clf.predict_proba(task.X_test), refit.predict_proba(task.X_test))


def test_pairs_are_labelled_by_the_pretrained_source_pathway(task, seen):
    # No fine-tuning: the fitted source pathway is the pretrained one.
    clf = fit(task, pair_label_share=0.5, finetune_epochs=0, self_training=0)
    ((proba, share, rows, codes),) = seen
    n_pairs = task.pairs.source.shape[0]
    assert share == 0.5 and proba.shape == (n_pairs, len(clf.classes_))
    assert clf.n_pairs_labeled_ == rows.size >= n_pairs / 2
    z = torch.from_numpy(clf.transform_source(task.pairs.source[rows]))
    with torch.inference_mode():
        predicted = clf.source_net_.logits(z).argmax(dim=1).numpy()
    assert_array_equal(predicted, codes)
    # The labelled pairs change the model; none without labelled source rows.
    plain = fit(task, finetune_epochs=0, self_training=0, pair_label_share=0)
    assert plain.n_pairs_labeled_ == 0
    assert not np.allclose(
        plain.predict_proba(task.X_test), clf.predict_proba(task.X_test)
    )
    ys = task.X_source.y
    unlabelled = DATNClassifier(**FAST, pair_label_share=0.5).fit(
        task.X, task.y, X_source=Domain(task.X_source.X[ys == -1]), pairs=task.pairs
    )
    assert unlabelled.n_pairs_labeled_ == 0


def test_the_search_labels_the_pairs_in_every_fold_like_grid_search(task):
    grid = {"alpha": [0.5, 2.0], "beta": [0.0, 1.0]}
    settings = {**FAST, "pair_label_share": 0.5}
    clf, search = search_beside_grid_search(task, settings, grid)
    assert_array_equal(
        clf.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    assert_array_equal(
        clf.predict_proba(task.X_test), search.predict_proba(task.X_test)
    )
    assert clf.n_pairs_labeled_ == search.best_estimator_.n_pairs_labeled_ > 0
