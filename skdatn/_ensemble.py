"""SeedEnsembleClassifier: the class probabilities of networks started from different seeds, averaged."""

from __future__ import annotations

import time
from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    MetaEstimatorMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.utils import TransformerTags, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import delayed
from sklearn.utils.validation import check_is_fitted

from ._datn import DATNClassifier
from ._progress import parallel_as_done, say

_MAX_SEED = np.iinfo(np.int32).max


def _estimator_has(method: str):
    """``available_if`` check: the (fitted or template) estimator has ``method``."""

    def check(self) -> bool:
        members = getattr(self, "estimators_", None)
        return hasattr(members[0] if members else self._template(), method)

    return check


class SeedEnsembleClassifier(
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    BaseEstimator,
):
    """Average the class probabilities of copies of a network trained from different seeds.

    With a few labelled target rows, the network that DATN trains depends much
    on its random initial weights: each seed gives another network and another
    accuracy on the same split. This meta-estimator fits
    ``n_estimators`` clones of ``estimator`` that differ only in their
    ``random_state`` and averages their ``predict_proba``, which removes most of
    that variance (user guide, "Ensembles of networks"). Everything passed to
    :meth:`fit` (the target rows and the transfer data: ``X_source``, ``pairs``,
    ...) reaches every clone unchanged, so any skdatn estimator, a
    :class:`DATNClassifierCV` included (each clone then selects its own α and
    β), or a baseline of :mod:`skdatn.baselines` can be averaged. With
    metadata routing enabled (``sklearn.set_config(enable_metadata_routing=True)``)
    the transfer inputs reach the copies as ``estimator`` requests them, as in
    any scikit-learn meta-estimator.

    Parameters
    ----------
    estimator : estimator object, default=None
        The classifier to copy; it must have ``predict_proba`` and a
        ``random_state`` parameter. ``None`` means ``DATNClassifier()``.
    n_estimators : int, default=5
        Number of copies.
    random_state : int, RandomState instance or None, default=None
        Draws the copies' seeds (``estimator``'s own ``random_state`` is
        replaced). An int gives reproducible fits.
    n_jobs : int, default=None
        Copies fitted in parallel, as in ``GridSearchCV``: ``None`` means 1
        unless in a ``joblib.parallel_backend`` context, ``-1`` all processors.
    verbose : int, default=0
        When positive, a line on stderr as each copy is fitted (``copy k/n``,
        seconds so far).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted copies.
    seeds_ : ndarray of shape (n_estimators,)
        Their ``random_state``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of target features seen during :meth:`fit`.

    See Also
    --------
    DATNClassifier : The network averaged by default.
    sklearn.ensemble.VotingClassifier : Soft voting over different estimators.

    Examples
    --------
    >>> from skdatn import DATNClassifier, SeedEnsembleClassifier
    >>> from skdatn.datasets import load_mfeat, make_transfer_task
    >>> views, y = load_mfeat(return_X_y=True)
    >>> task = make_transfer_task(views["fac"], views["fou"], y, random_state=0)
    >>> net = DATNClassifier(pretrain_epochs=20, finetune_epochs=10)
    >>> clf = SeedEnsembleClassifier(net, n_estimators=3, random_state=0)
    >>> clf.fit(task.X, task.y, **task.fit_params).predict_proba(task.X_test).shape
    (500, 10)
    >>> len(set(clf.seeds_))
    3
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        n_estimators=5,
        *,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _template(self):
        return DATNClassifier() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit ``n_estimators`` copies of ``estimator``, each from its own seed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Labelled target rows.
        y : array-like of shape (n_samples,)
            Their labels.
        **fit_params
            Passed to every copy's ``fit``: ``X_source``, ``y_source``,
            ``pairs``, ``X_unlabeled`` for skdatn's estimators.

        Returns
        -------
        self : SeedEnsembleClassifier
            The fitted ensemble.
        """
        template = self._template()
        if "random_state" not in template.get_params(deep=False):
            raise ValueError(
                f"estimator must have a random_state parameter to seed its copies; "
                f"{type(template).__name__} has none."
            )
        rng = check_random_state(self.random_state)
        self.seeds_ = rng.randint(_MAX_SEED, size=self.n_estimators)
        members = [
            clone(template).set_params(random_state=int(seed)) for seed in self.seeds_
        ]
        if get_config()["enable_metadata_routing"]:
            fit_params = process_routing(self, "fit", **fit_params).estimator.fit
        fitted = parallel_as_done(self.n_jobs)(
            delayed(_fit_member)(member, X, y, fit_params) for member in members
        )
        self.estimators_, start = [], time.perf_counter()
        for member in fitted:
            self.estimators_.append(member)
            if self.verbose:
                say(
                    f"SeedEnsembleClassifier: copy {len(self.estimators_)}/"
                    f"{self.n_estimators} fitted ({time.perf_counter() - start:.1f} s)"
                )
        first = self.estimators_[0]
        self.classes_ = first.classes_  # every copy saw the same y
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, name):
                setattr(self, name, getattr(first, name))
            else:
                self.__dict__.pop(name, None)
        width = getattr(first, "_n_features_out", None)
        self._n_features_out = None if width is None else width * self.n_estimators
        return self

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of :meth:`transform`'s columns: ``seedensembleclassifier0``,
        ``seedensembleclassifier1``, ... (``n_estimators`` blocks of the copies'
        width).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_`` (the names out do not
            depend on them).

        Returns
        -------
        feature_names_out : ndarray of str
        """
        check_is_fitted(self, "_n_features_out")
        if self._n_features_out is None:
            raise AttributeError(
                f"The copies ({type(self.estimators_[0]).__name__}) do not say "
                f"their representation's width: no feature names out."
            )
        return super().get_feature_names_out(input_features)

    def get_metadata_routing(self) -> MetadataRouter:
        """How :meth:`fit`'s keyword arguments reach the copies of ``estimator``.

        Returns
        -------
        routing : MetadataRouter
            ``fit``'s metadata go to each copy's ``fit``, as ``estimator``
            requests them (skdatn's estimators request their transfer inputs
            by default).
        """
        return MetadataRouter(owner=self.__class__.__name__).add(
            estimator=self._template(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def predict_proba(self, X) -> np.ndarray:
        """The mean of the copies' class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        return np.mean([m.predict_proba(X) for m in self.estimators_], axis=0)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """The class of highest mean probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of ``classes_`` with the highest mean probability.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def transform(self, X) -> np.ndarray:
        """The copies' representations side by side.

        Each copy maps target rows into its own source representation space
        (``f_T(X) G`` for DATN); the spaces of different copies are not aligned,
        so they are concatenated, not averaged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Target rows.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_estimators * d)
        """
        check_is_fitted(self)
        return np.hstack([m.transform(X) for m in self.estimators_])

    def fit_transform(self, X, y, **fit_params) -> np.ndarray:
        """:meth:`fit`, then :meth:`transform` of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Labelled target rows.
        y : array-like of shape (n_samples,)
            Their labels.
        **fit_params
            As in :meth:`fit`.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_estimators * d)
        """
        return self.fit(X, y, **fit_params).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self._template().__sklearn_tags__()
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        if hasattr(self, "transform"):
            tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        return tags


# Defined plainly above, so that scikit-learn's set_output wraps them (it wraps
# the methods a class defines), then offered only when the copies have them.
for _name in ("transform", "fit_transform", "get_feature_names_out"):
    setattr(
        SeedEnsembleClassifier,
        _name,
        available_if(_estimator_has("transform"))(
            getattr(SeedEnsembleClassifier, _name)
        ),
    )


def _fit_member(member, X, y, fit_params: dict):
    return member.fit(X, y, **fit_params)
