"""What every baseline shares: DATNClassifier's fit signature and its validation."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.linear_model import LogisticRegression

from .._validation import (
    TRANSFER_FIT_REQUEST,
    ValidatedFit,
    validate_target_rows,
    validate_transfer_fit,
)


class TransferClassifier(ClassifierMixin, BaseEstimator):
    """Base of the baselines: ``fit(X, y, *, X_source, y_source, pairs, X_unlabeled)``.

    Subclasses implement ``_fit(fit)`` (the validated inputs of :meth:`fit`) and
    ``_decision(X)`` (class scores of validated target rows, one column per
    class of ``classes_``); ``predict``, ``decision_function`` and ``score``
    follow from it. ``predict_proba`` is added where the method gives
    probabilities.

    Examples
    --------
    A baseline that predicts the most frequent class of ``y``:

    >>> import numpy as np
    >>> from skdatn.baselines import TransferClassifier
    >>> class Prior(TransferClassifier):
    ...     def _fit(self, fit):
    ...         self.log_prior_ = np.log(np.bincount(fit.y_codes) / len(fit.y_codes))
    ...     def _decision(self, X):
    ...         return np.tile(self.log_prior_, (X.shape[0], 1))
    >>> X, y = np.zeros((5, 2)), ["a", "b", "b", "b", "a"]
    >>> Prior().fit(X, y).predict(X[:2]).tolist()
    ['b', 'b']
    """

    __metadata_request__fit = TRANSFER_FIT_REQUEST
    _parameter_constraints: dict = {}
    #: Whether the method needs pairs when source data is given (the benchmark's
    #: unpaired protocol runs only the baselines that do not).
    _needs_pairs: bool = False

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, X_source=None, y_source=None, pairs=None, X_unlabeled=None):
        """Fit the baseline on labelled target rows and the transfer data.

        Each baseline uses the inputs its method uses (see its class docstring);
        without source data it is a classifier of the target rows alone.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Labelled target rows.
        y : array-like of shape (n_samples,)
            Their labels.
        X_source : {array-like, sparse matrix} of shape (n_source, n_source_features) or Domain, default=None
            Source rows, as in :meth:`skdatn.DATNClassifier.fit`.
        y_source : array-like of shape (n_source,), default=None
            Source labels, ``-1`` for unlabelled rows.
        pairs : Pairs or tuple (X_pairs_source, X_pairs_target), default=None
            Rows seen in both domains.
        X_unlabeled : {array-like, sparse matrix} of shape (n_unlabeled, n_features) or Domain, default=None
            Unlabelled target rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        fit = validate_transfer_fit(self, X, y, X_source, y_source, pairs, X_unlabeled)
        self.classes_ = fit.classes
        self._fit(fit)
        return self

    def _fit(self, fit: ValidatedFit) -> None:  # pragma: no cover - abstract
        """Fit on validated inputs (``classes_`` is set)."""
        raise NotImplementedError

    def _require_pairs(self, fit: ValidatedFit, why: str) -> None:
        if fit.inputs.pairs_source is None:
            raise ValueError(f"pairs is required when source data is given: {why}")

    def _require_source_labels(self, fit: ValidatedFit, why: str) -> None:
        if fit.ys_codes.size == 0:
            raise ValueError(
                f"{type(self).__name__} needs labelled source rows (y_source){why}"
            )

    def _fit_logistic(self, Z: np.ndarray, codes: np.ndarray) -> None:
        """The logistic regression ``classifier_`` (``C``, ``max_iter``) on ``Z``."""
        self.classifier_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        self.classifier_.fit(Z, codes)
        self.n_iter_ = int(np.max(self.classifier_.n_iter_))

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
            The class of ``classes_`` with the highest score.
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
            Columns follow ``classes_``.
        """
        return np.exp(self._decision(self._validate_predict(X)))
