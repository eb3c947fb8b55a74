"""Selective pseudo-labelling: which unlabelled rows a model labels confidently."""

from __future__ import annotations

import math

import numpy as np


def confident_rows(proba: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """The most confident ``share`` of the rows predicted as each class.

    For each class ``c``, the rows whose most probable class is ``c`` are ranked
    by that probability and the first ``ceil(share * n_c)`` are kept: a class
    the model predicts rarely keeps its share, instead of being crowded out by
    the classes it is most confident about (class-balanced selection, as in
    selective pseudo-labelling).

    Parameters
    ----------
    proba : ndarray of shape (n_rows, n_classes)
        Class probabilities of the unlabelled rows (or their logarithms: only
        their order is used).
    share : float or Fraction in [0, 1]
        Share of each predicted class to keep (a Fraction keeps exactly
        ``ceil(share * n_c)``, with no rounding of the product).

    Returns
    -------
    rows : ndarray of int
        The kept rows, sorted.
    codes : ndarray of int
        Their predicted class codes (column indices of ``proba``).
    """
    predicted = proba.argmax(axis=1)
    confidence = proba.max(axis=1)
    kept = []
    for code in np.unique(predicted):
        members = np.flatnonzero(predicted == code)
        k = math.ceil(share * members.size)
        kept.append(members[np.argsort(-confidence[members], kind="stable")[:k]])
    rows = np.sort(np.concatenate(kept)) if kept else np.empty(0, dtype=int)
    return rows, predicted[rows]
