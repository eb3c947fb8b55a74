"""The Domain and Pairs holders and the reading of the transfer inputs."""

import numpy as np
import pytest
from sklearn.utils.validation import _is_arraylike, _num_samples

from skdatn import Domain, Pairs
from skdatn._holders import read_transfer_inputs, unlabeled_mask


@pytest.mark.parametrize(
    "holder",
    [
        Domain(np.zeros((4, 2)), [0, 1, 0, -1]),
        Pairs(np.zeros((4, 2)), np.zeros((4, 3))),
    ],
)
def test_holders_are_opaque_to_scikit_learn(holder):
    for attr in ("__len__", "shape", "__array__"):
        assert not hasattr(holder, attr)
    assert not _is_arraylike(holder)
    with pytest.raises(TypeError):
        _num_samples(holder)


def test_repr():
    assert repr(Domain(np.zeros((4, 2)))) == "Domain(X=<4 rows>, y=None)"
    assert (
        repr(Pairs([[1], [2]], [[3], [4]])) == "Pairs(source=<2 rows>, target=<2 rows>)"
    )


def test_unlabeled_mask():
    assert unlabeled_mask(np.array([0, -1, 2])).tolist() == [False, True, False]
    assert unlabeled_mask(np.array([0.0, -1.0])).tolist() == [False, True]
    assert unlabeled_mask(np.array(["a", None, -1, True], dtype=object)).tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert unlabeled_mask(np.array(["a", "-1"])).tolist() == [False, False]


def test_read_validates_without_copying_float_arrays():
    # A million source rows must not be copied whole (fit only reads them).
    Xs = np.arange(12.0).reshape(6, 2)
    inputs = read_transfer_inputs(
        3, 2, X_source=Domain(Xs, [0, 1, -1, 0, -1, 1]), pairs=Pairs(Xs[:2], Xs[:2])
    )
    assert inputs.X_source is Xs
    as_ints = read_transfer_inputs(3, 2, X_source=np.arange(12).reshape(6, 2))
    assert as_ints.X_source.dtype == np.float64
    assert inputs.source_labeled.tolist() == [True, True, False, True, False, True]
    assert inputs.n_source_features == 2


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"X_source": Domain(np.zeros((4, 2)), [0, 1]), "pairs": None},
            ValueError,
            "y_source has 2 labels but X_source has 4 rows",
        ),
        (
            {"X_source": Domain(np.zeros((4, 2))), "y_source": [0, 1, 0, 1]},
            ValueError,
            "y_source must be None when X_source is a skdatn.Domain",
        ),
        ({"y_source": [0, 1]}, ValueError, "y_source was given without X_source"),
        (
            {"X_source": Pairs(np.zeros((2, 2)), np.zeros((2, 2)))},
            TypeError,
            "pass pairs with the `pairs` argument",
        ),
        (
            {"pairs": Domain(np.zeros((2, 2)))},
            TypeError,
            "pairs must be a skdatn.Pairs",
        ),
        ({"pairs": np.zeros((2, 2))}, TypeError, "pairs must be a skdatn.Pairs"),
        (
            {"pairs": Pairs(np.zeros((3, 2)), np.zeros((2, 3)))},
            ValueError,
            "3 source rows and 2 target rows",
        ),
        (
            {"pairs": Pairs(np.zeros((2, 2)), np.zeros((2, 5)))},
            ValueError,
            r"pairs \(target side\) has 5 features but X has 3",
        ),
        (
            {
                "X_source": np.zeros((4, 4)),
                "pairs": Pairs(np.zeros((2, 2)), np.zeros((2, 3))),
            },
            ValueError,
            "X_source has 4",
        ),
        (
            {"X_unlabeled": np.zeros((4, 2))},
            ValueError,
            "X_unlabeled has 2 features but X has 3",
        ),
        (
            {"X_unlabeled": Domain(np.zeros((4, 3)), [0, 1, 0, 1])},
            ValueError,
            "without y",
        ),
        (
            {"X_unlabeled": np.array([[1.0, np.nan, 2.0]])},
            ValueError,
            "Invalid X_unlabeled",
        ),
        ({"X_source": Domain(np.zeros((3, 2, 2)))}, ValueError, "Invalid X_source"),
    ],
)
def test_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        read_transfer_inputs(5, 3, **kwargs)
