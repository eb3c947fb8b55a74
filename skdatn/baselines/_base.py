"""What every baseline shares: DATNClassifier's fit signature and its validation."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._validation import (
    TRANSFER_FIT_REQUEST,
    validate_target_rows,
    validate_transfer_fit,
)


class TransferClassifier(ClassifierMixin, BaseEstimator):
    """Base of the baselines: ``fit(X, y, *, X_source, y_source, pairs, X_unlabeled)``.

    Subclasses implement ``fit`` by calling :meth:`_validate_fit` first and
    ``_decision(X)`` (class scores of validated target rows, one column per
    class of ``classes_``); ``predict``, ``decision_function`` and ``score``
    follow from it. ``predict_proba`` is added where the method gives
    probabilities.
    """

    __metadata_request__fit = TRANSFER_FIT_REQUEST

    def _validate_fit(self, X, y, X_source, y_source, pairs, X_unlabeled):
        """The validated inputs (:class:`skdatn._validation.ValidatedFit`);
        sets ``classes_``."""
        fit = validate_transfer_fit(self, X, y, X_source, y_source, pairs, X_unlabeled)
        self.classes_ = fit.classes
        return fit

    def _validate_predict(self, X) -> np.ndarray:
        return validate_target_rows(self, X)

    def _decision(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def decision_function(self, X) -> np.ndarray:
        """Class scores of target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` minus that of ``classes_[0]``.
        """
        scores = self._decision(self._validate_predict(X))
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict(self, X) -> np.ndarray:
        """Predicted class labels of target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self._decision(self._validate_predict(X))
        return self.classes_[np.argmax(scores, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class LogProbaTransferClassifier(TransferClassifier):
    """A baseline whose ``_decision`` gives class log-probabilities: adds
    :meth:`predict_proba`, their exponential."""

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self._decision(self._validate_predict(X)))
