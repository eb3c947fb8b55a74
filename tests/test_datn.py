"""Behaviour of DATNClassifier: the fit contract, variants, inference, persistence."""

import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import FAST
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils import Bunch

from skdatn import PAPER_SETTINGS, DATNClassifier, Domain, Pairs, SlicingRiskWarning


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
    clf = fit(task, **PAPER_SETTINGS)  # the paper's stages (no self-training)
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


def unpaired(task):
    """The task's fit inputs with its pairs withheld."""
    return {k: v for k, v in task.fit_params.items() if k != "pairs"}


def test_no_pairs_and_no_source_labels_is_an_error(task):
    with pytest.raises(ValueError, match="needs pairs or labelled source rows"):
        DATNClassifier(**FAST).fit(task.X, task.y, X_source=Domain(task.X_source.X))


def test_without_pairs_the_class_means_are_the_pairs(task):
    """Without pairs, L_pair and G come from the class means of the labelled
    rows: the fitted G is the closed form over the pairs of class means."""
    from skdatn._torch.losses import class_means, solve_ridge

    clf = DATNClassifier(**FAST, self_training=0).fit(task.X, task.y, **unpaired(task))
    assert clf.variant_ == "DATN"
    assert all("pair" in r for r in clf.history_ if r["stage"] == "finetune")
    ys = np.asarray(task.X_source.y)
    labeled = ys != -1
    zs = torch.from_numpy(clf.transform_source(task.X_source.X[labeled])).double()
    zt = clf._encode_target(task.X).double()
    n = len(clf.classes_)
    ms, _ = class_means(zs, torch.as_tensor(ys[labeled]), n)
    mt, _ = class_means(zt, torch.as_tensor(np.searchsorted(clf.classes_, task.y)), n)
    G = solve_ridge(mt.T @ mt, mt.T @ ms, clf.lambda_pair)
    assert_allclose(clf.G_, G.numpy(), atol=1e-4)
    assert np.linalg.matrix_rank(clf.G_, tol=1e-6) <= n


def test_without_pairs_transfer_uses_the_source(task):
    """The unpaired fit depends on the source rows: a source whose labels are
    permuted among its rows gives another model."""
    fp = unpaired(task)
    a = DATNClassifier(**FAST).fit(task.X, task.y, **fp)
    ys = np.asarray(task.X_source.y).copy()
    labeled = np.flatnonzero(ys != -1)
    ys[labeled] = np.random.default_rng(0).permutation(ys[labeled])
    b = DATNClassifier(**FAST).fit(
        task.X, task.y, **{**fp, "X_source": Domain(task.X_source.X, ys)}
    )
    assert not np.allclose(a.predict_proba(task.X_test), b.predict_proba(task.X_test))


def test_without_pairs_a_mini_batch_sharing_no_class_is_no_error(task):
    """Mini-batches of 2 labelled rows per domain often share no class: their
    class-mean L_pair is then the λ0 term alone, not a division by zero."""
    from skdatn._torch.losses import class_pair_loss

    z = torch.ones((2, 3), requires_grad=True)
    G = torch.eye(3)
    loss = class_pair_loss(z, torch.tensor([0, 0]), z, torch.tensor([1, 1]), G, 0.5, 2)
    assert loss.item() == pytest.approx(0.5 * 3)
    loss.backward()
    assert torch.isfinite(z.grad).all()
    clf = DATNClassifier(**{**FAST, "batch_size": 2, "finetune_epochs": 3}).fit(
        task.X, task.y, **unpaired(task)
    )
    assert np.isfinite([r["loss"] for r in clf.history_]).all()


@pytest.mark.parametrize("batch_size", [None, 16], ids=["full", "mini-batch"])
def test_without_pairs_sparse_inputs_train_the_dense_model(task, batch_size):
    params = {**FAST, "input_scaling": "standard", "batch_size": batch_size}
    fp = unpaired(task)
    dense = DATNClassifier(**params).fit(task.X, task.y, **fp)
    sparse = DATNClassifier(**params).fit(
        sp.csr_matrix(task.X),
        task.y,
        X_source=Domain(sp.csr_matrix(task.X_source.X), task.X_source.y),
        X_unlabeled=Domain(sp.csr_matrix(task.X_unlabeled.X)),
    )
    assert_array_equal(
        sparse.predict_proba(task.X_test), dense.predict_proba(task.X_test)
    )


def test_slicing_risk_warning(task):
    n = task.X.shape[0]
    Xs = np.random.default_rng(0).normal(size=(n, task.X_source.X.shape[1]))
    ys = task.y.copy()
    with pytest.warns(SlicingRiskWarning) as record:
        DATNClassifier(**FAST).fit(
            task.X, task.y, X_source=Xs, y_source=ys, pairs=task.pairs
        )
    messages = sorted(
        str(w.message) for w in record if issubclass(w.category, SlicingRiskWarning)
    )
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


def test_verbose_prints_progress_to_stderr(task, capsys):
    n = FAST["pretrain_epochs"]
    fit(task, verbose=1, **PAPER_SETTINGS)  # the paper's three stages
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [x for x in captured.err.splitlines() if x.startswith("[skdatn]")]
    assert len(lines) == 3  # one per stage
    assert re.fullmatch(
        rf"\[skdatn\] pretraining of the source pathway: \d+/{n} epochs in "
        r"[\d.]+ s \((epoch limit|no progress in \d+ epochs)\), loss [\d.e+-]+ -> "
        r"[\d.e+-]+",
        lines[0],
    )
    assert lines[2].startswith("[skdatn] fine-tuning: ")
    fit(task, verbose=2, **PAPER_SETTINGS)
    err = capsys.readouterr().err
    assert f"[skdatn] finetune epoch 1/{FAST['finetune_epochs']} (" in err
    assert "trans=" in err
    lines = [x for x in err.splitlines() if x.startswith("[skdatn]")]
    assert len(lines) == 3 + len(fit(task, **PAPER_SETTINGS).history_)
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
    epochs = {"pretrain_epochs": 7, "finetune_epochs": 5, "n_iter_no_change": None}
    everything = fit(task, **epochs, **PAPER_SETTINGS)
    assert everything.n_iter_ == 7 + 7 + 5
    # One round of self-training (the default) trains the target pathway again.
    assert fit(task, **epochs).n_iter_ == 7 + 7 + 5 + 7 + 5


def test_feature_names_out(task):
    clf = fit(task)
    names = clf.get_feature_names_out()
    assert list(names) == [f"datnclassifier{i}" for i in range(clf.G_.shape[1])]


def sparse_fit_params(task, fmt="csr"):
    """The task's transfer inputs as sparse matrices of format ``fmt``."""
    return {
        "X_source": Domain(
            sp.csr_matrix(task.X_source.X).asformat(fmt), task.X_source.y
        ),
        "pairs": Pairs(
            sp.csr_matrix(task.pairs.source).asformat(fmt),
            sp.csr_matrix(task.pairs.target).asformat(fmt),
        ),
        "X_unlabeled": Domain(sp.csr_matrix(task.X_unlabeled.X).asformat(fmt)),
    }


@pytest.mark.parametrize(
    "input_scaling, batch_size, formats",
    [
        ("standard", None, ("csr", "coo", "csc")),
        ("standard", 16, ("csr",)),
        ("l2", 16, ("csr",)),
        ("maxabs", None, ("csr",)),
        ("none", None, ("csr",)),
    ],
)
def test_sparse_inputs_train_exactly_the_dense_model(
    task, input_scaling, batch_size, formats
):
    # Sparse rows are scaled like dense ones and densified per batch (the
    # centring of "standard" included): the same model to the last bit.
    params = dict(input_scaling=input_scaling, batch_size=batch_size)
    if batch_size is not None:
        params.update(pretrain_epochs=5, finetune_epochs=5)
    dense = fit(task, **params)
    for fmt in formats:
        sparse = DATNClassifier(**{**FAST, **params}).fit(
            sp.csr_matrix(task.X).asformat(fmt),
            task.y,
            **sparse_fit_params(task, fmt),
        )
        assert_array_equal(dense.G_, sparse.G_)
        assert_array_equal(
            dense.predict_proba(task.X_test),
            sparse.predict_proba(sp.csr_matrix(task.X_test)),
        )
    assert_array_equal(
        dense.transform_source(task.X_source.X),
        sparse.transform_source(sp.csr_matrix(task.X_source.X)),
    )


def test_dense_and_sparse_blocks_mix_in_one_domain(task):
    params = {**FAST, "pretrain_epochs": 5, "finetune_epochs": 5, "batch_size": 16}
    params["input_scaling"] = "standard"  # "auto" takes max abs for sparse blocks
    dense = DATNClassifier(**params).fit(task.X, task.y, **task.fit_params)
    mixed = DATNClassifier(**params).fit(
        task.X,  # dense target rows with sparse unlabelled target rows
        task.y,
        X_source=task.X_source,
        pairs=Pairs(task.pairs.source, sp.csr_matrix(task.pairs.target)),
        X_unlabeled=Domain(sp.csr_matrix(task.X_unlabeled.X)),
    )
    assert_array_equal(
        dense.predict_proba(task.X_test), mixed.predict_proba(task.X_test)
    )
    auto = DATNClassifier(**{**params, "input_scaling": "auto"}).fit(
        task.X,
        task.y,
        X_source=task.X_source,
        X_unlabeled=Domain(sp.csr_matrix(task.X_unlabeled.X)),
        pairs=task.pairs,
    )
    assert auto.target_scaler_.kind_ == "maxabs"
    assert auto.source_scaler_.kind_ == "standard"


def test_sparse_rows_are_never_densified_whole(task, monkeypatch):
    # Scaling and prediction read chunks of rows, training densifies batches.
    limit = 16
    monkeypatch.setattr("skdatn._preprocessing.CHUNK_ROWS", limit)
    toarray = sp.csr_matrix.toarray

    def guarded(self, *args, **kwargs):
        assert self.shape[0] <= limit, f"densified {self.shape[0]} rows at once"
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", guarded)
    clf = DATNClassifier(
        **{**FAST, "pretrain_epochs": 2, "finetune_epochs": 2}, batch_size=limit
    ).fit(sp.csr_matrix(task.X), task.y, **sparse_fit_params(task))
    clf.predict_proba(sp.csr_matrix(task.X_test))
    clf.transform_source(sp.csr_matrix(task.X_source.X))
    with pytest.raises(AssertionError, match="densified"):
        sp.csr_matrix(task.X_test).toarray()


def test_a_batch_larger_than_the_data_is_a_full_batch(task):
    full = fit(task)
    assert_array_equal(
        full.predict_proba(task.X_test),
        fit(task, batch_size=10**6).predict_proba(task.X_test),
    )
    assert not np.array_equal(
        full.predict_proba(task.X_test),
        fit(task, batch_size=64).predict_proba(task.X_test),
    )


def test_minibatch_epochs_have_one_step_per_batch(task, monkeypatch):
    from skdatn._torch import training

    steps = []
    original = training._gather

    def counting(dom, *args, **kwargs):
        steps.append(dom.n_rows)
        return original(dom, *args, **kwargs)

    monkeypatch.setattr(training, "_gather", counting)
    clf = fit(
        task, batch_size=16, pretrain_epochs=1, finetune_epochs=1, **PAPER_SETTINGS
    )
    n_source = len(task.X_source.X) + len(task.pairs.source)
    n_target = len(task.X) + len(task.X_unlabeled.X) + len(task.pairs.target)
    per_epoch = [
        -(-n_source // 16),  # pretraining, source
        -(-n_target // 16),  # pretraining, target
        2 * -(-max(n_source, n_target) // 16),  # fine-tuning, both domains per step
    ]
    assert len(steps) == sum(per_epoch)
    assert clf.n_iter_ == 3


def test_float32_inputs_are_used_as_they_are(task):
    as32 = {
        "X_source": Domain(task.X_source.X.astype(np.float32), task.X_source.y),
        "pairs": Pairs(
            task.pairs.source.astype(np.float32), task.pairs.target.astype(np.float32)
        ),
        "X_unlabeled": Domain(task.X_unlabeled.X.astype(np.float32)),
    }
    as64 = {
        "X_source": Domain(as32["X_source"].X.astype(np.float64), task.X_source.y),
        "pairs": Pairs(
            as32["pairs"].source.astype(np.float64),
            as32["pairs"].target.astype(np.float64),
        ),
        "X_unlabeled": Domain(as32["X_unlabeled"].X.astype(np.float64)),
    }
    X32 = task.X.astype(np.float32)
    a = DATNClassifier(**FAST).fit(X32, task.y, **as32)
    b = DATNClassifier(**FAST).fit(X32.astype(np.float64), task.y, **as64)
    assert_array_equal(a.predict_proba(task.X_test), b.predict_proba(task.X_test))
    assert_array_equal(
        a.predict_proba(task.X_test.astype(np.float32)),
        b.predict_proba(task.X_test.astype(np.float32).astype(np.float64)),
    )


@pytest.mark.parametrize("input_scaling", ["standard", "l2"])
def test_sparse_inputs_are_not_modified(task, input_scaling):
    params = sparse_fit_params(task)
    X = sp.csr_matrix(task.X)
    matrices = [
        X,
        params["X_source"].X,
        *vars_of(params["pairs"]),
        params["X_unlabeled"].X,
    ]
    copies = [m.copy() for m in matrices]
    clf = DATNClassifier(**FAST, input_scaling=input_scaling).fit(X, task.y, **params)
    clf.predict(X)
    clf.transform_source(params["X_source"].X)
    for m, c in zip(matrices, copies, strict=True):
        assert_array_equal(m.data, c.data)
        assert_array_equal(m.indices, c.indices)


def vars_of(pairs):
    return pairs.source, pairs.target


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_mixed_precision_on_cpu(task, precision):
    clf = fit(task, mixed_precision=precision)
    assert np.isfinite([r["loss"] for r in clf.history_]).all()
    assert clf.target_net_.encoder[0].weight.dtype == torch.float64
    assert clf.score(task.X_test, task.y_test) > 0.5
    assert not np.array_equal(
        clf.predict_proba(task.X_test), fit(task).predict_proba(task.X_test)
    )
    with pytest.raises(ValueError, match="mixed_precision"):
        fit(task, mixed_precision="float8")


needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU"
)


@needs_cuda
@pytest.mark.parametrize("batch_size", [None, 32])
def test_cuda_sparse_inputs_train_the_dense_model(task, batch_size):
    kwargs = dict(device="cuda", batch_size=batch_size, input_scaling="standard")
    dense = fit(task, **kwargs)
    sparse = DATNClassifier(**FAST, **kwargs).fit(
        sp.csr_matrix(task.X), task.y, **sparse_fit_params(task)
    )
    assert_allclose(
        dense.predict_proba(task.X_test),
        sparse.predict_proba(task.X_test),
        atol=1e-5,
    )
    assert dense.score(task.X_test, task.y_test) > 0.5


@needs_cuda
@pytest.mark.parametrize("sparse", [False, True])
def test_cuda_rows_kept_on_the_cpu_give_the_same_model(task, monkeypatch, sparse):
    """Rows that do not fit on the GPU stay on the CPU and move batch by batch."""
    from skdatn._torch.data import DenseRows, SparseRows

    kwargs = dict(device="cuda", batch_size=32)
    X = sp.csr_matrix(task.X) if sparse else task.X
    params = sparse_fit_params(task) if sparse else task.fit_params
    on_gpu = DATNClassifier(**FAST, **kwargs).fit(X, task.y, **params)
    monkeypatch.setattr("skdatn._device.GPU_DATA_FRACTION", 0.0)
    storages = []
    for cls in (DenseRows, SparseRows):
        take = cls.take

        def spy(self, index=None, _take=take):
            storages.append(self.storage.type)
            return _take(self, index)

        monkeypatch.setattr(cls, "take", spy)
    on_cpu = DATNClassifier(**FAST, **kwargs).fit(X, task.y, **params)
    assert set(storages) == {"cpu"}
    assert on_cpu.device_ == "cuda"
    assert_allclose(
        on_gpu.predict_proba(task.X_test), on_cpu.predict_proba(task.X_test), atol=1e-5
    )


@needs_cuda
@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_cuda_mixed_precision(task, precision):
    clf = fit(task, device="cuda", mixed_precision=precision, batch_size=32)
    assert np.isfinite([r["loss"] for r in clf.history_]).all()
    assert clf.target_net_.encoder[0].weight.device.type == "cpu"
    assert clf.score(task.X_test, task.y_test) > 0.5


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"mmd_target": "mapped"},
        {"asymmetric": False},
        {"intra_weight": 0.0},
        {"pairs": None},
        {"pairs": None, "intra_weight": 0.0},
    ],
    ids=["DATN", "mapped-MMD", "DATN_unsup", "literal", "no-pairs", "no-pairs-literal"],
)
def test_full_batches_too_large_for_one_pass_go_in_chunks(task, monkeypatch, params):
    """Chunks of a full batch add up to the same gradient (the MMD's through the
    means, L_pair's without pairs through the class means): the same fit up to
    float32 rounding, no pass larger than a chunk."""
    from skdatn._torch import training
    from skdatn._torch.data import DenseRows

    params = dict(params)
    if "pairs" in params:
        params.pop("pairs")
        task = Bunch(**task)
        task.fit_params = unpaired(task)
    whole = fit(task, **params)
    width = FAST["hidden_layer_sizes"][0]  # wider than both domains' features
    chunk = 37
    monkeypatch.setattr(training, "CHUNK_ELEMENTS", chunk * width)
    sizes = []
    take = DenseRows.take

    def spy(self, index=None):
        x = take(self, index)
        sizes.append(x.shape[0])
        return x

    monkeypatch.setattr(DenseRows, "take", spy)
    chunked = fit(task, **params)
    assert max(sizes) == chunk
    assert_allclose(
        chunked.predict_proba(task.X_test), whole.predict_proba(task.X_test), atol=1e-5
    )
    for a, b in zip(chunked.history_, whole.history_, strict=True):
        assert a.keys() == b.keys()
        for key in a.keys() - {"stage", "epoch"}:
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6), key
