"""scikit-learn's estimator checks, with no expected failure."""

from conftest import FAST
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdatn import DATNClassifier


@parametrize_with_checks([DATNClassifier(**FAST)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
