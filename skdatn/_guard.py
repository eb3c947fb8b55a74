"""The negative-transfer guard's rule: how much of the transfer model to keep.

:class:`~skdatn.DATNClassifierCV` fits, in the folds of its search, the selected
transfer candidate and the target-only model (``DATNClassifier()`` without the
source). Their held-out class probabilities, pooled over the folds (the
target-only model's corrected for each fold's class shares:
:func:`correct_fold_prior`), decide the weight ``w`` of the transfer model in the
fitted estimator's probabilities ``w * p_transfer + (1 - w) * p_target_only``
(:func:`choose_weight`). Each blend of ``BLEND_WEIGHTS`` is scored by its
calibrated log-loss (:func:`~skdatn.calibrated_log_loss`: the log-loss after the
one temperature that suits the blend best, so that it judges how well the blend
ranks the classes, not how confident it is). The guard keeps the least of the
transfer model whose blend is within ``TOLERANCE`` standard errors of the best
blend: a lead of the transfer model smaller than that is noise of a few held-out
rows. ``w = 1`` keeps the transfer model alone, ``w = 0`` is the fallback to the
target-only model. The user guide, "Is my source helping?", gives the
measurements behind the rule.
"""

from __future__ import annotations

import numpy as np

from ._model_selection import calibrated_row_losses

#: The weights of the transfer model that the guard chooses from.
BLEND_WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)

#: How far, in standard errors of the mean per-row difference, a blend's held-out
#: calibrated log-loss may lie above the best blend's for the guard to prefer it
#: when it keeps less of the transfer model.
TOLERANCE = 0.5


def blend(weight: float, transfer: np.ndarray, target_only: np.ndarray) -> np.ndarray:
    """The blended class probabilities."""
    return weight * transfer + (1.0 - weight) * target_only


def in_columns(
    proba: np.ndarray, classes: np.ndarray, all_classes: np.ndarray
) -> np.ndarray:
    """A model's class probabilities (columns ``classes``) in the columns of
    ``all_classes`` (sorted, holding ``classes``), zero for the classes the
    model never saw."""
    out = np.zeros((len(proba), len(all_classes)))
    out[:, np.searchsorted(all_classes, classes)] = proba
    return out


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


def choose_weight(
    codes: np.ndarray, transfer: np.ndarray, target_only: np.ndarray
) -> tuple[float, dict[float, float]]:
    """The weight of the transfer model that the guard keeps, and the score
    (minus the calibrated log-loss) of every weight of ``BLEND_WEIGHTS``.

    The weight is the smallest whose blend's held-out rows lose, on average, no
    more than ``TOLERANCE`` standard errors of the mean per-row difference
    beyond the best blend (the best blend itself if no other is that close).

    Parameters
    ----------
    codes : ndarray of shape (n_rows,)
        The held-out rows' class codes (columns of the probabilities).
    transfer, target_only : ndarray of shape (n_rows, n_classes)
        The two models' held-out class probabilities.
    """
    losses = {
        w: calibrated_row_losses(codes, blend(w, transfer, target_only))
        for w in BLEND_WEIGHTS
    }
    scores = {w: -float(row.mean()) for w, row in losses.items()}
    # The best blend; ties keep the most of the transfer model.
    best = max(BLEND_WEIGHTS, key=lambda w: (scores[w], w))
    for w in sorted(BLEND_WEIGHTS):
        if w == best:
            break
        excess = losses[w] - losses[best]
        n = len(excess)
        standard_error = excess.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
        if excess.mean() <= TOLERANCE * standard_error:
            return w, scores
    return best, scores
