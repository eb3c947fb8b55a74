"""The warnings and errors that skdatn raises, in one place.

Each is re-exported from :mod:`skdatn` as well.
"""

from __future__ import annotations

__all__ = [
    "NegativeTransferWarning",
    "SlicingRiskWarning",
    "TrainingDivergedError",
]


class NegativeTransferWarning(UserWarning):
    """The source did not help: :class:`DATNClassifierCV` fell back to the target-only model.

    Raised when, in cross-validation, the target pathway with its own
    classifier (the paper's SSDAE) predicts the held-out rows better than the
    selected transfer candidate. The fitted estimator is then that target-only
    model. See the user guide, "Is my source helping?".

    Examples
    --------
    A search that must transfer can turn the fallback into an error:

    >>> import warnings
    >>> from skdatn import NegativeTransferWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", NegativeTransferWarning)
    ...     try:  # DATNClassifierCV(...).fit(...) would warn here
    ...         warnings.warn("fell back", NegativeTransferWarning)
    ...     except NegativeTransferWarning as exc:
    ...         print("raised:", exc)
    raised: fell back
    """


class SlicingRiskWarning(UserWarning):
    """A raw array given to ``fit`` has as many rows as ``X``.

    scikit-learn's cross-validation tools slice such fit parameters together
    with ``X``. Wrap the array in :class:`skdatn.Domain` or
    :class:`skdatn.Pairs` to make sure it reaches ``fit`` whole.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skdatn import DATNClassifier, Domain, SlicingRiskWarning
    >>> X, y = np.random.default_rng(0).normal(size=(8, 3)), [0, 1] * 4
    >>> clf = DATNClassifier((4,), pretrain_epochs=1, finetune_epochs=1)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = clf.fit(X, y, X_source=X, y_source=y, pairs=(X[:4], X[:4]))
    >>> any(w.category is SlicingRiskWarning for w in caught)
    True
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = clf.fit(X, y, X_source=Domain(X, y), pairs=(X[:4], X[:4]))
    >>> any(w.category is SlicingRiskWarning for w in caught)
    False
    """


class TrainingDivergedError(FloatingPointError):
    """The training loss, or a weight, became NaN or infinite.

    The parameters are kept as attributes of the same names.

    Parameters
    ----------
    message : str
        What diverged, where, and what to try.
    stage : str
        The stage that diverged, a stage name of ``history_``:
        ``"pretrain_source"``, ``"pretrain_target"``, ``"finetune"``,
        ``"pretrain_target_pseudo"`` or ``"finetune_pseudo"``.
    epoch : int
        The epoch (1-based, within the stage) at which it was detected.
    history : list of dict
        The per-epoch records of the fit up to and including that epoch, as in
        ``history_``; the estimator's ``history_`` is set to it as well.

    Examples
    --------
    >>> import numpy as np
    >>> from skdatn import DATNClassifier, TrainingDivergedError
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 3)), np.arange(20) % 2
    >>> clf = DATNClassifier(hidden_layer_sizes=(8,), solver="sgd",
    ...                      learning_rate=1e6, random_state=0)
    >>> try:
    ...     clf.fit(X, y)
    ... except TrainingDivergedError as exc:
    ...     print(exc.stage, clf.history_ == exc.history, len(exc.history) == exc.epoch)
    pretrain_target True True
    """

    def __init__(self, message: str, stage: str, epoch: int, history: list[dict]):
        super().__init__(message)
        self.stage, self.epoch, self.history = stage, epoch, history

    def __reduce__(self):  # picklable across processes despite the extra arguments
        return type(self), (str(self), self.stage, self.epoch, self.history)
