"""Behaviour of DATNClassifier: the fit contract, variants, inference, persistence."""

import pickle

import numpy as np
import pytest
import torch
from conftest import FAST
from numpy.testing import assert_allclose, assert_array_equal

from skdatn import DATNClassifier, Domain, Pairs, SlicingRiskWarning


def fit(task, **params):
    return DATNClassifier(**{**FAST, **params}).fit(task.X, task.y, **task.fit_params)


def raw_fit_params(task):
    """The task's transfer inputs as plain arrays instead of holders."""
    return {
        "X_source": task.X_source.X,
        "y_source": task.X_source.y,
        "pairs": (task.pairs.source, task.pairs.target),
        "X_unlabeled": task.X_unlabeled.X,
    }


def test_fitted_attributes(task):
    clf = fit(task)
    d = FAST["hidden_layer_sizes"][-1]
    assert clf.variant_ == "DATN"
    assert_array_equal(clf.classes_, np.unique(task.y))
    assert clf.n_features_in_ == task.X.shape[1]
    assert clf.n_source_features_in_ == task.X_source.X.shape[1]
    assert clf.G_.shape == (d, d)
    assert clf.device_ == "cpu"
    assert clf.n_iter_ == len(clf.history_)
    stages = {r["stage"] for r in clf.history_}
    assert stages == {"pretrain_source", "pretrain_target", "finetune"}
    finetune = [r for r in clf.history_ if r["stage"] == "finetune"]
    assert {
        "loss",
        "pair",
        "trans",
        "mmd",
        "reg",
        "recon_source",
        "soft_target",
    } <= set(finetune[0])
    assert finetune[-1]["loss"] < finetune[0]["loss"]


def test_raw_arrays_and_holders_give_the_same_model(task):
    a = fit(task)
    b = DATNClassifier(**FAST).fit(task.X, task.y, **raw_fit_params(task))
    assert_array_equal(a.predict_proba(task.X_test), b.predict_proba(task.X_test))


def test_predict_goes_through_G_and_the_source_classifier(task):
    clf = fit(task)
    Z = clf.transform(task.X_test)
    assert Z.shape == (task.X_test.shape[0], clf.G_.shape[1])
    assert Z.dtype == np.float64
    theta_s = clf.source_net_.classifier.weight.detach().numpy()
    assert_allclose(clf.decision_function(task.X_test), Z @ theta_s.T, rtol=1e-10)
    assert_array_equal(
        clf.predict(task.X_test), clf.classes_[np.argmax(Z @ theta_s.T, 1)]
    )
    proba = clf.predict_proba(task.X_test)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(np.log(proba), clf.predict_log_proba(task.X_test), atol=1e-10)
    assert clf.transform_source(task.X_source.X).shape == (
        task.X_source.X.shape[0],
        Z.shape[1],
    )


def test_transfer_beats_target_only_on_synthetic_task(task):
    datn = fit(task).score(task.X_test, task.y_test)
    target_only = (
        DATNClassifier(**FAST).fit(task.X, task.y).score(task.X_test, task.y_test)
    )
    assert datn > target_only


def test_variants(task):
    assert fit(task, beta=0).variant_ == "DATN_sup"
    assert fit(task, asymmetric=False).variant_ == "DATN_unsup"
    ssdae = DATNClassifier(**FAST).fit(task.X, task.y, X_unlabeled=task.X_unlabeled)
    assert ssdae.variant_ == "SSDAE"
    dnn = DATNClassifier(**FAST, recon_weight=0).fit(task.X, task.y)
    assert dnn.variant_ == "DNN"
    for clf in (ssdae, dnn):
        assert clf.source_net_ is None and clf.n_source_features_in_ is None
        assert_array_equal(clf.G_, np.eye(clf.G_.shape[0]))
        with pytest.raises(ValueError, match="target-only"):
            clf.transform_source(task.X_source.X)


def test_datn_sup_ignores_unlabelled_rows(task):
    """beta=0 (DATN_sup) uses supervised data only: unlabelled rows change nothing."""
    X_test = task.X_test
    sup = fit(task, beta=0)
    ys = task.X_source.y
    labeled = ys != -1
    sup_no_unlabeled = DATNClassifier(**FAST, beta=0).fit(
        task.X,
        task.y,
        X_source=Domain(task.X_source.X[labeled], ys[labeled]),
        pairs=task.pairs,
    )
    assert_array_equal(
        sup.predict_proba(X_test), sup_no_unlabeled.predict_proba(X_test)
    )
    # ... while DATN (beta > 0) uses them.
    datn = fit(task)
    datn_no_unlabeled = DATNClassifier(**FAST).fit(
        task.X,
        task.y,
        X_source=Domain(task.X_source.X[labeled], ys[labeled]),
        pairs=task.pairs,
    )
    assert not np.allclose(
        datn.predict_proba(X_test), datn_no_unlabeled.predict_proba(X_test)
    )
    assert not np.allclose(datn.predict_proba(X_test), sup.predict_proba(X_test))


def test_datn_unsup_has_no_asymmetric_part(task):
    clf = fit(task, asymmetric=False)
    finetune = [r for r in clf.history_ if r["stage"] == "finetune"]
    assert (
        "pair" not in finetune[0]
        and "trans" not in finetune[0]
        and "mmd" in finetune[0]
    )
    assert_array_equal(clf.G_, np.eye(clf.G_.shape[0]))
    # Prediction uses the target's own classifier.
    z = clf.transform(task.X_test)
    theta_t = clf.target_net_.classifier.weight.detach().numpy()
    assert_allclose(clf.decision_function(task.X_test), z @ theta_t.T, rtol=1e-10)
    # It does not need pairs.
    no_pairs = DATNClassifier(**FAST, asymmetric=False).fit(
        task.X, task.y, X_source=task.X_source, X_unlabeled=task.X_unlabeled
    )
    assert no_pairs.variant_ == "DATN_unsup"


def test_ssdae_and_dnn_differ(task):
    ssdae = DATNClassifier(**FAST).fit(task.X, task.y, X_unlabeled=task.X_unlabeled)
    dnn = DATNClassifier(**FAST, recon_weight=0).fit(
        task.X, task.y, X_unlabeled=task.X_unlabeled
    )
    assert "recon" in ssdae.history_[0] and "recon" not in dnn.history_[0]
    assert not np.allclose(
        ssdae.predict_proba(task.X_test), dnn.predict_proba(task.X_test)
    )


def test_literal_objective_switch(task):
    clf = fit(task, intra_weight=0)
    finetune = [r for r in clf.history_ if r["stage"] == "finetune"]
    assert not any(k.startswith(("recon", "soft")) for k in finetune[0])
    assert {"pair", "trans", "mmd"} <= set(finetune[0])


def test_mmd_target_option_changes_the_model(task):
    a = fit(task, mmd_target="encoded").predict_proba(task.X_test)
    b = fit(task, mmd_target="mapped").predict_proba(task.X_test)
    assert not np.allclose(a, b)


def test_heterogeneous_layer_sizes(task):
    clf = fit(task, hidden_layer_sizes=(16, 8), source_hidden_layer_sizes=(32, 8))
    assert [m.out_features for m in clf.source_net_.encoder] == [32, 8]
    assert [m.out_features for m in clf.target_net_.encoder] == [16, 8]
    with pytest.raises(ValueError, match="top widths"):
        fit(task, hidden_layer_sizes=(16, 8), source_hidden_layer_sizes=(32, 4))


@pytest.mark.parametrize("solver", ["adam", "rmsprop", "sgd"])
def test_solvers_and_minibatches(task, solver):
    lr = 1e-3 if solver == "rmsprop" else 0.01
    clf = fit(task, solver=solver, learning_rate=lr, batch_size=32)
    assert np.isfinite(clf.predict_proba(task.X_test)).all()
    assert clf.score(task.X_test, task.y_test) > 0.5


def test_string_labels_and_unlabelled_marker(task):
    names = np.array(["ant", "bee", "cat"])
    y = names[task.y]
    ys = task.X_source.y
    y_source = np.where(ys == -1, None, names[np.clip(ys, 0, None)]).astype(object)
    clf = DATNClassifier(**FAST).fit(
        task.X, y, X_source=task.X_source.X, y_source=y_source, pairs=task.pairs
    )
    assert_array_equal(clf.classes_, names)
    assert set(clf.predict(task.X_test)) <= set(names)
    assert clf.score(task.X_test, names[task.y_test]) > 0.5


def test_source_classes_may_be_a_superset(task):
    keep = task.y != 2
    clf = DATNClassifier(**FAST).fit(task.X[keep], task.y[keep], **task.fit_params)
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(task.X_test).shape[1] == 3


def test_target_class_missing_from_source_is_an_error(task):
    ys = task.X_source.y.copy()
    ys[ys == 2] = 1
    with pytest.raises(ValueError, match=r"Every class of y must appear.*\[2\]"):
        DATNClassifier(**FAST).fit(
            task.X, task.y, X_source=task.X_source.X, y_source=ys, pairs=task.pairs
        )


def test_unlabelled_source_only(task):
    clf = DATNClassifier(**FAST).fit(
        task.X, task.y, X_source=Domain(task.X_source.X), pairs=task.pairs
    )
    assert clf.variant_ == "DATN"
    assert not any("soft_source" in r for r in clf.history_)


def test_pairs_required_for_asymmetric_transfer(task):
    with pytest.raises(ValueError, match="pairs is required"):
        DATNClassifier(**FAST).fit(task.X, task.y, X_source=task.X_source)


def test_slicing_risk_warning(task):
    n = task.X.shape[0]
    Xs = np.random.default_rng(0).normal(size=(n, task.X_source.X.shape[1]))
    ys = task.y.copy()
    with pytest.warns(SlicingRiskWarning) as record:
        DATNClassifier(**FAST).fit(
            task.X, task.y, X_source=Xs, y_source=ys, pairs=task.pairs
        )
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 2
    assert messages[0].startswith("X_source has exactly as many rows as X (9)")
    assert "skdatn.Domain" in messages[0] and messages[1].startswith("y_source")
    # The holders never warn.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", SlicingRiskWarning)
        DATNClassifier(**FAST).fit(
            task.X, task.y, X_source=Domain(Xs, ys), pairs=Pairs(Xs, task.X)
        )


def test_inputs_are_not_modified(task):
    raw = raw_fit_params(task)
    Xps, Xpt = raw["pairs"]
    arrays = [
        task.X,
        task.y,
        raw["X_source"],
        raw["y_source"],
        Xps,
        Xpt,
        raw["X_unlabeled"],
    ]
    copies = [a.copy() for a in arrays]
    clf = DATNClassifier(**FAST).fit(task.X, task.y, **raw)
    clf.predict(task.X)
    clf.transform(task.X)
    clf.transform_source(raw["X_source"])
    for array, copy in zip(arrays, copies, strict=True):
        assert_array_equal(array, copy)


def test_same_random_state_same_model_and_global_rng_untouched(task):
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    a = fit(task, random_state=3)
    b = fit(task, random_state=3)
    assert_array_equal(a.predict_proba(task.X_test), b.predict_proba(task.X_test))
    assert_array_equal(a.G_, b.G_)
    assert torch.equal(torch_state, torch.get_rng_state())
    assert_array_equal(np_state, np.random.get_state()[1])  # noqa: NPY002
    c = fit(task, random_state=4)
    assert not np.allclose(a.predict_proba(task.X_test), c.predict_proba(task.X_test))


def test_pickle_round_trip(task):
    clf = fit(task)
    clone = pickle.loads(pickle.dumps(clf))
    assert_array_equal(clf.predict_proba(task.X_test), clone.predict_proba(task.X_test))
    assert_array_equal(clf.transform(task.X_test), clone.transform(task.X_test))
    assert clone.target_net_.encoder[0].weight.device.type == "cpu"


def test_verbose_prints_losses_to_stderr(task, capsys):
    fit(task, verbose=1)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "[skdatn] finetune epoch 1:" in captured.err and "trans=" in captured.err
    fit(task)
    assert capsys.readouterr().err == ""


def test_device_resolution(task):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is available; this tests the CPU-only errors")
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        fit(task, device="cuda")
    with pytest.raises(ValueError, match="device must be"):
        fit(task, device="tpu")
    assert fit(task, device="auto").device_ == "cpu"
    assert fit(task, device=torch.device("cpu")).device_ == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_gives_a_cpu_model(task):
    clf = fit(task, device="cuda")
    assert clf.device_ == "cuda"
    assert clf.target_net_.encoder[0].weight.device.type == "cpu"
    assert clf.score(task.X_test, task.y_test) > 0.5


def test_early_stopping_and_epoch_counts(task):
    clf = fit(
        task, pretrain_epochs=500, finetune_epochs=500, tol=0.5, n_iter_no_change=2
    )
    assert clf.n_iter_ < 100
    everything = fit(task, pretrain_epochs=7, finetune_epochs=5, n_iter_no_change=None)
    assert everything.n_iter_ == 7 + 7 + 5


def test_feature_names_out(task):
    clf = fit(task)
    names = clf.get_feature_names_out()
    assert list(names) == [f"datnclassifier{i}" for i in range(clf.G_.shape[1])]


def test_sparse_input(task):
    sp = pytest.importorskip("scipy.sparse")
    dense = fit(task)
    sparse = DATNClassifier(**FAST).fit(
        sp.csr_matrix(task.X),
        task.y,
        X_source=Domain(sp.coo_matrix(task.X_source.X), task.X_source.y),  # any format
        pairs=Pairs(sp.csr_matrix(task.pairs.source), sp.csr_matrix(task.pairs.target)),
        X_unlabeled=task.X_unlabeled,
    )
    assert_allclose(
        dense.predict_proba(task.X_test),
        sparse.predict_proba(sp.csr_matrix(task.X_test)),
        atol=1e-6,
    )
