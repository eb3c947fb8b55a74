"""WSDTNClassifier: two autoencoders with weakly shared (softly tied) top layers."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from skdatn import Pairs
from skdatn.baselines import WSDTNClassifier
from skdatn.baselines._wsdtn import tie_penalty

FAST = {
    "hidden_layer_sizes": (16, 8),
    "pretrain_epochs": 20,
    "finetune_epochs": 60,
    "learning_rate": 0.01,
    "random_state": 0,
}


def _top_gap(clf):
    """||W_S - W_T||_F of the top encoder layer."""
    ws = clf.source_net_.encoder[-1].weight
    wt = clf.target_net_.encoder[-1].weight
    return float((ws - wt).norm())


def test_tie_penalty_pulls_the_shared_layers_together(task):
    gaps, distances = [], []
    for weight in (0.0, 0.3, 10.0):
        clf = WSDTNClassifier(**FAST, tie_weight=weight).fit(
            task.X, task.y, **task.fit_params
        )
        gaps.append(_top_gap(clf))
        distances.append(clf.tie_distance_)
    assert gaps[0] > gaps[1] > gaps[2]
    assert distances[0] > distances[1] > distances[2]
    assert gaps[2] < 0.2 * gaps[0]
    # The private bottom layers are never tied (their input widths differ).
    assert (
        clf.source_net_.encoder[0].in_features != clf.target_net_.encoder[0].in_features
    )


def test_tie_penalty_is_the_squared_parameter_gap(task):
    clf = WSDTNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    s, t = clf.source_net_, clf.target_net_
    expected = sum(
        float((a - b).pow(2).sum())
        for a, b in [
            (s.classifier.weight, t.classifier.weight),
            (s.encoder[-1].weight, t.encoder[-1].weight),
            (s.encoder[-1].bias, t.encoder[-1].bias),
        ]
    )
    assert_allclose(float(tie_penalty(s, t, 1)), expected)
    assert_allclose(clf.tie_distance_, np.sqrt(expected))
    # With no shared encoder layer, only the classifiers are tied.
    only_cls = float((s.classifier.weight - t.classifier.weight).pow(2).sum())
    assert_allclose(float(tie_penalty(s, t, 0)), only_cls)


def test_pair_weight_pulls_paired_codes_together(task):
    def pair_gap(weight):
        clf = WSDTNClassifier(**FAST, pair_weight=weight).fit(
            task.X, task.y, **task.fit_params
        )
        with torch.no_grad():
            zs = clf.source_net_.encode(
                torch.as_tensor(clf.source_scaler_.transform(task.pairs.source))
            )
            zt = clf.target_net_.encode(
                torch.as_tensor(clf.target_scaler_.transform(task.pairs.target))
            )
        return float((zs - zt).pow(2).mean())

    assert pair_gap(10.0) < 0.5 * pair_gap(0.0)


def test_predictions_depend_on_the_pairs(task):
    clf = WSDTNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    order = np.random.default_rng(0).permutation(task.pairs.target.shape[0])
    shuffled = Pairs(task.pairs.source, task.pairs.target[order])
    other = WSDTNClassifier(**FAST).fit(
        task.X, task.y, X_source=task.X_source, pairs=shuffled
    )
    assert not np.allclose(
        clf.predict_proba(task.X_test), other.predict_proba(task.X_test)
    )


def test_same_seed_same_predictions_and_global_rng_untouched(task):
    state = torch.get_rng_state()
    a = WSDTNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    b = WSDTNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    assert torch.equal(state, torch.get_rng_state())
    assert_array_equal(a.predict_proba(task.X_test), b.predict_proba(task.X_test))
    c = WSDTNClassifier(**{**FAST, "random_state": 1}).fit(
        task.X, task.y, **task.fit_params
    )
    assert not np.allclose(a.predict_proba(task.X_test), c.predict_proba(task.X_test))


def test_fitted_networks_and_probabilities(task):
    clf = WSDTNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    for net in (clf.source_net_, clf.target_net_):
        assert all(
            p.dtype == torch.float64 and p.device.type == "cpu"
            for p in net.parameters()
        )
    proba = clf.predict_proba(task.X_test)
    assert proba.dtype == np.float64
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(task.X_test))
    stages = {h["stage"] for h in clf.history_}
    assert stages == {"pretrain_source", "pretrain_target", "finetune"}
    assert clf.n_iter_ == 20 + 20 + 60


def test_minibatches(task):
    clf = WSDTNClassifier(**{**FAST, "finetune_epochs": 5}, batch_size=32).fit(
        task.X, task.y, **task.fit_params
    )
    assert clf.predict(task.X_test).shape == (task.X_test.shape[0],)


def test_target_only_fallback(task):
    clf = WSDTNClassifier(**FAST).fit(task.X, task.y, X_unlabeled=task.X_unlabeled)
    assert clf.source_net_ is None and clf.source_scaler_ is None
    assert np.isnan(clf.tie_distance_)
    assert {h["stage"] for h in clf.history_} == {"pretrain_target", "finetune"}


def test_transfer_beats_the_target_only_fallback_on_mfeat(mfeat_task):
    t = mfeat_task
    transfer = WSDTNClassifier(random_state=0).fit(t.X, t.y, **t.fit_params)
    target_only = WSDTNClassifier(random_state=0).fit(
        t.X, t.y, X_unlabeled=t.X_unlabeled
    )
    assert (
        transfer.score(t.X_test, t.y_test)
        > target_only.score(t.X_test, t.y_test) + 0.05
    )


def test_invalid_inputs(task):
    with pytest.raises(ValueError, match="pairs is required"):
        WSDTNClassifier(**FAST).fit(task.X, task.y, X_source=task.X_source)
    with pytest.raises(ValueError, match="input widths differ"):
        WSDTNClassifier(**FAST, n_shared_layers=2).fit(
            task.X, task.y, **task.fit_params
        )
    with pytest.raises(ValueError, match="exceeds the number of encoder layers"):
        WSDTNClassifier(**FAST, n_shared_layers=3).fit(
            task.X, task.y, **task.fit_params
        )


def test_divergence_is_a_training_diverged_error(task):
    from skdatn import TrainingDivergedError

    clf = WSDTNClassifier(**{**FAST, "solver": "sgd", "learning_rate": 1e8})
    with pytest.raises(TrainingDivergedError, match="diverged.*learning_rate") as info:
        clf.fit(task.X, task.y, **task.fit_params)
    assert info.value.stage in ("pretrain_source", "pretrain_target", "finetune")
    assert info.value.history == clf.history_[: len(info.value.history)]
    assert info.value.history[-1]["epoch"] == info.value.epoch
