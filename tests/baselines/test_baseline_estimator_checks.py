"""scikit-learn's estimator checks for every baseline."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdatn.baselines import BASELINES


@parametrize_with_checks([cls() for cls in BASELINES.values()])
def test_sklearn_compatible_baseline(estimator, check):
    check(estimator)
