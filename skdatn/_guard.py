"""The negative-transfer guard's rule: how much of the transfer model to keep.

:class:`~skdatn.DATNClassifierCV` fits, in the folds of its search, the selected
transfer candidate and the target-only model (``DATNClassifier()`` without the
source). Their held-out class probabilities, pooled over the folds (the
target-only model's corrected for each fold's class shares:
:func:`correct_fold_prior`), decide the
weight ``w`` of the transfer model in the fitted estimator's probabilities
``w * p_transfer + (1 - w) * p_target_only``: the weight of ``BLEND_WEIGHTS``
whose blend has the smallest held-out Brier score. ``w = 1`` keeps the transfer
model alone, ``w = 0`` is the fallback to the target-only model. The user guide,
"Is my source helping?", gives the measurements behind the rule.
"""

from __future__ import annotations

import numpy as np

#: The weights of the transfer model that the guard chooses from (1 first:
#: ties keep the most of the transfer model).
BLEND_WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)


def blend(weight: float, transfer: np.ndarray, target_only: np.ndarray) -> np.ndarray:
    """The blended class probabilities."""
    return weight * transfer + (1.0 - weight) * target_only


def correct_fold_prior(
    proba: np.ndarray, fold_codes: np.ndarray, all_codes: np.ndarray
) -> np.ndarray:
    """The held-out probabilities of a model fitted on one fold, corrected for
    the fold's class shares.

    With a few labelled rows per class, a fold holds out rows of some classes
    and so trains on fewer rows of exactly those classes; a target-only model
    learns that imbalance and under-predicts the held-out rows' classes, which
    the model refitted on all rows does not. Each class's probability is
    multiplied by its share among all labelled rows (``all_codes``) over its
    share among the fold's training rows (``fold_codes``), then the rows are
    normalised again.
    """
    n_classes = proba.shape[1]
    share = np.bincount(all_codes, minlength=n_classes) / len(all_codes)
    fold_share = np.bincount(fold_codes, minlength=n_classes) / len(fold_codes)
    ratio = np.divide(share, fold_share, out=np.zeros(n_classes), where=fold_share > 0)
    corrected = proba * ratio
    return corrected / corrected.sum(axis=1, keepdims=True)


def brier_score(codes: np.ndarray, proba: np.ndarray) -> float:
    """The multi-class Brier score: the mean over rows of the squared distance
    between ``proba`` and the one-hot row of the true class ``codes``."""
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(codes)), codes] = 1.0
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def choose_weight(
    codes: np.ndarray, transfer: np.ndarray, target_only: np.ndarray
) -> tuple[float, dict[float, float]]:
    """The weight of the transfer model with the best held-out blend, and the
    score (minus the Brier score) of every weight of ``BLEND_WEIGHTS``.

    Parameters
    ----------
    codes : ndarray of shape (n_rows,)
        The held-out rows' class codes (columns of the probabilities).
    transfer, target_only : ndarray of shape (n_rows, n_classes)
        The two models' held-out class probabilities.
    """
    scores = {
        w: -brier_score(codes, blend(w, transfer, target_only)) for w in BLEND_WEIGHTS
    }
    best = max(scores.values())
    # The first of the best: ties keep the most of the transfer model.
    weight = next(w for w, s in scores.items() if s >= best - 1e-12)
    return weight, scores
