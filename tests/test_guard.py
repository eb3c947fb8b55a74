"""The guard's rule: the weight of the transfer model in the blend."""

import numpy as np
import pytest
from scipy.special import softmax

from skdatn import calibrated_log_loss
from skdatn._guard import (
    BLEND_WEIGHTS,
    TOLERANCE,
    blend,
    choose_weight,
    correct_fold_prior,
)
from skdatn._model_selection import calibrated_row_losses

N_ROWS, N_CLASSES = 300, 4
CODES = np.tile(np.arange(N_CLASSES), N_ROWS // N_CLASSES)


def _model(signal, seed):
    """Class probabilities of a model whose logit of the true class stands
    ``signal`` above Gaussian noise (0: a model that knows nothing)."""
    logits = np.random.default_rng(seed).normal(size=(N_ROWS, N_CLASSES))
    logits[np.arange(N_ROWS), CODES] += signal
    return softmax(logits, axis=1)


def test_the_scores_are_the_calibrated_log_loss_of_each_blend():
    transfer, target_only = _model(2.0, 0), _model(1.0, 1)
    _, scores = choose_weight(CODES, transfer, target_only)
    assert list(scores) == list(BLEND_WEIGHTS)
    classes = np.arange(N_CLASSES)
    for w, score in scores.items():
        expected = calibrated_log_loss(CODES, blend(w, transfer, target_only), classes)
        assert score == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(3))
def test_a_model_that_knows_nothing_gets_no_weight(seed):
    good, noise = _model(2.0, seed), _model(0.0, 100 + seed)
    assert choose_weight(CODES, good, noise)[0] == 1.0
    assert choose_weight(CODES, noise, good)[0] == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_two_equally_good_models_with_independent_errors_are_blended_evenly(seed):
    first, second = _model(1.5, seed), _model(1.5, 100 + seed)
    weight, scores = choose_weight(CODES, first, second)
    assert weight == 0.5
    assert scores[0.5] > max(scores[1.0], scores[0.0])


@pytest.mark.parametrize("seed", range(3))
def test_the_stronger_model_gets_the_larger_weight(seed):
    strong, weak = _model(2.0, seed), _model(1.0, 100 + seed)
    assert choose_weight(CODES, strong, weak)[0] == 0.75
    assert choose_weight(CODES, weak, strong)[0] == 0.25


def _one_hot(codes, n_classes, confidence=1.0):
    """Rows that give ``confidence`` to ``codes`` and share the rest evenly."""
    proba = np.full((len(codes), n_classes), (1 - confidence) / (n_classes - 1))
    proba[np.arange(len(codes)), codes] = confidence
    return proba


def test_without_a_lead_the_target_only_model_is_kept():
    codes = np.array([0, 1, 0, 1])
    same = _one_hot(codes, 2, 0.7)
    weight, scores = choose_weight(codes, same, same)
    assert weight == 0.0
    assert len(set(scores.values())) == 1


def test_the_weight_is_the_least_transfer_within_the_tolerance_of_the_best():
    # Two weak models on 30 rows, the transfer model a little stronger: the best
    # blend's lead is noisy. The guard keeps the smallest weight whose blend's
    # mean per-row loss exceeds the best's by at most TOLERANCE standard errors
    # of the per-row difference.
    codes = np.tile(np.arange(3), 10)
    below_best = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        transfer = softmax(rng.normal(size=(30, 3)) + 1.2 * np.eye(3)[codes], axis=1)
        target_only = softmax(rng.normal(size=(30, 3)) + np.eye(3)[codes], axis=1)
        weight, scores = choose_weight(codes, transfer, target_only)
        losses = {
            w: calibrated_row_losses(codes, blend(w, transfer, target_only))
            for w in BLEND_WEIGHTS
        }
        best = max(scores, key=lambda w: (scores[w], w))

        def close(w, losses=losses, best=best):
            excess = losses[w] - losses[best]
            return excess.mean() <= TOLERANCE * excess.std(ddof=1) / np.sqrt(30)

        assert weight == best or close(weight)
        assert not any(close(w) for w in BLEND_WEIGHTS if w < weight)
        below_best += weight < best
    # The tolerance did move the weight below the best blend's on some seeds.
    assert below_best > 0


def test_blend_is_the_weighted_mean():
    a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    np.testing.assert_allclose(blend(0.25, a, b), [[0.25, 0.75]])


def test_the_fold_prior_correction_undoes_the_folds_class_shares():
    # All rows: 3 per class. The fold trained on 2 rows of class 0 and 3 of the
    # others; a model that learned only those shares predicts them, and the
    # correction gives back the shares of all rows (here: even).
    all_codes = np.repeat(np.arange(3), 3)
    fold_codes = np.array([0, 0, 1, 1, 1, 2, 2, 2])
    learned = np.tile(np.bincount(fold_codes) / len(fold_codes), (2, 1))
    np.testing.assert_allclose(
        correct_fold_prior(learned, fold_codes, all_codes), np.full((2, 3), 1 / 3)
    )
    # Without a shift nothing changes.
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    np.testing.assert_allclose(correct_fold_prior(proba, all_codes, all_codes), proba)
