"""The guard's rule: the weight of the transfer model in the blend."""

import numpy as np
import pytest

from skdatn._guard import (
    BLEND_WEIGHTS,
    blend,
    brier_score,
    choose_weight,
    correct_fold_prior,
)


def _one_hot(codes, n_classes, confidence=1.0):
    """Rows that give ``confidence`` to ``codes`` and share the rest evenly."""
    proba = np.full((len(codes), n_classes), (1 - confidence) / (n_classes - 1))
    proba[np.arange(len(codes)), codes] = confidence
    return proba


def test_brier_score_of_perfect_and_uniform_predictions():
    codes = np.array([0, 1, 2, 1])
    assert brier_score(codes, _one_hot(codes, 3)) == 0.0
    # Uniform over 3 classes: (1 - 1/3)^2 + 2 * (1/3)^2 = 2/3 on every row.
    assert brier_score(codes, np.full((4, 3), 1 / 3)) == pytest.approx(2 / 3)


def test_the_better_model_alone_wins_when_the_other_adds_nothing():
    codes = np.tile(np.arange(4), 10)
    right = _one_hot(codes, 4, 0.9)
    uniform = np.full_like(right, 0.25)
    weight, scores = choose_weight(codes, right, uniform)
    assert weight == 1.0
    weight, scores = choose_weight(codes, uniform, right)
    assert weight == 0.0
    assert list(scores) == list(BLEND_WEIGHTS)
    assert scores[0.0] == -brier_score(codes, right)


def test_two_models_right_on_different_rows_are_blended():
    # Each model is confidently right on half of the rows and confidently wrong
    # on the other half: the even blend is right (with half the mass) on all.
    codes = np.tile(np.arange(2), 20)
    wrong = 1 - codes
    first = _one_hot(np.where(np.arange(40) < 20, codes, wrong), 2, 0.8)
    second = _one_hot(np.where(np.arange(40) < 20, wrong, codes), 2, 0.8)
    weight, scores = choose_weight(codes, first, second)
    assert weight == 0.5
    assert scores[0.5] > max(scores[1.0], scores[0.0])


def test_ties_keep_the_most_of_the_transfer_model():
    codes = np.array([0, 1, 0, 1])
    same = _one_hot(codes, 2, 0.7)
    assert choose_weight(codes, same, same)[0] == 1.0


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
