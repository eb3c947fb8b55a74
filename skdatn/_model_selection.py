"""Model selection with a few labelled rows per class: folds, scorer, grids."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.metrics import log_loss
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state

#: :class:`~skdatn.DATNClassifierCV`'s default candidates (the benchmark's "small"
#: grid; the user guide, "Choosing α and β", gives the measurements behind it).
DEFAULT_ALPHAS = (0.25, 0.5, 1.0)
DEFAULT_BETAS = (0.0, 1.0)


class BalancedKFold(BaseCrossValidator):
    """Shuffled K folds balanced over classes, for a few labelled rows per class.

    The rows of each class are shuffled and dealt to the folds in turn, class
    after class, so each fold gets about the same share of every class. Unlike
    :class:`~sklearn.model_selection.StratifiedKFold` this neither fails nor
    warns when a class has fewer rows than there are folds: a fold may then miss
    the class, which a transfer model can afford (its source rows provide every
    class). This is the default splitter of :class:`~skdatn.DATNClassifierCV`.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2 and at most the number of rows.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling.

    Examples
    --------
    >>> import numpy as np
    >>> from skdatn import BalancedKFold
    >>> y = np.repeat([0, 1, 2], 3)                  # 3 rows per class
    >>> [np.bincount(y[test], minlength=3).tolist()
    ...  for _, test in BalancedKFold(3, random_state=0).split(y, y)]
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """

    def __init__(self, n_splits: int = 5, random_state=None):
        if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
            raise ValueError(f"n_splits must be an int >= 2, got {n_splits!r}.")
        self.n_splits = int(n_splits)
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of folds.

        Parameters
        ----------
        X, y, groups : object, default=None
            Ignored; present for the splitter API.

        Returns
        -------
        n_splits : int
            ``n_splits``.
        """
        return self.n_splits

    def _iter_test_indices(self, X=None, y=None, groups=None):
        n = len(y) if y is not None else X.shape[0]
        if self.n_splits > n:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.n_splits} greater "
                f"than the number of samples: n_samples={n} (labelled rows)."
            )
        rng = check_random_state(self.random_state)
        y = np.zeros(n) if y is None else np.asarray(y)
        order = []
        for cls in rng.permutation(np.unique(y)):
            order.extend(rng.permutation(np.flatnonzero(y == cls)))
        folds = np.empty(n, dtype=int)
        folds[np.asarray(order)] = (np.arange(n) + rng.randint(self.n_splits)) % (
            self.n_splits
        )
        for k in range(self.n_splits):
            yield np.flatnonzero(folds == k)


def held_out_log_loss(estimator, X, y) -> float:
    """Score held-out rows by minus their log-loss over all of the estimator's classes.

    :class:`~skdatn.DATNClassifierCV`'s default scorer. A fold of a few
    labelled rows per class holds a handful of rows, so its accuracy moves in
    large steps and ties are common; the log-loss is continuous. Unlike the
    ``"neg_log_loss"`` scorer it accepts a fold that misses some classes.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba`` and ``classes_``
        The model to score.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows.
    y : array-like of shape (n_samples,)
        Their labels.

    Returns
    -------
    score : float
        Minus the mean log-loss (greater is better).
    """
    return -log_loss(y, estimator.predict_proba(X), labels=estimator.classes_)


def calibrated_log_loss(y, proba: np.ndarray, classes: np.ndarray) -> float:
    """Score ``proba`` by minus its log-loss after the best single temperature.

    The probabilities are recalibrated as ``softmax(log(proba) / T)`` with the one
    temperature ``T`` (between e^-4 and e^4) that minimises their log-loss on
    these rows. What remains measures how well the model ranks the classes of
    each row, not how confident it is: a network trained on a few labelled rows
    is over-confident, which the plain log-loss punishes as much as its errors.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels, all among ``classes``.
    proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``classes``.
    classes : ndarray of shape (n_classes,)
        The sorted class labels.

    Returns
    -------
    score : float
        Minus the calibrated mean log-loss (greater is better; ``-log(n_classes)``
        is no better than chance).
    """
    codes = np.searchsorted(classes, np.asarray(y))
    return -float(calibrated_row_losses(codes, proba).mean())


def calibrated_row_losses(codes: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Each row's log-loss after the one temperature that suits all rows best
    (:func:`calibrated_log_loss` is minus their mean); ``codes`` are the true
    classes' columns of ``proba``."""
    log_p = np.log(np.clip(proba, 1e-300, None))
    rows = np.arange(len(codes))

    def row_losses(log_t: float) -> np.ndarray:
        return -log_softmax(log_p / np.exp(log_t), axis=1)[rows, codes]

    best = minimize_scalar(
        lambda log_t: float(row_losses(log_t).mean()),
        bounds=(-4.0, 4.0),
        method="bounded",
    )
    # The bounded search may miss T = 1 (no recalibration) when it is best.
    at_best, at_one = row_losses(best.x), row_losses(0.0)
    return at_best if at_best.mean() < at_one.mean() else at_one
