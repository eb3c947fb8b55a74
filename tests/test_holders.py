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
    # Among string labels the string "-1" marks an unlabelled row too.
    assert unlabeled_mask(np.array(["a", "-1"])).tolist() == [False, True]
    assert unlabeled_mask(np.array(["a", "-1", None], dtype=object)).tolist() == [
        False,
        True,
        True,
    ]


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


# ------------------------------------------------------------ column names
def frame(X, names):
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(X, columns=names)


def named_fit(**changes):
    """A fit whose every input is a DataFrame naming its columns."""
    rng = np.random.default_rng(0)
    t, s = ["t0", "t1", "t2"], ["s0", "s1"]
    args = {
        "X": frame(rng.normal(size=(6, 3)), t),
        "y": [0, 1] * 3,
        "X_source": Domain(frame(rng.normal(size=(8, 2)), s), [0, 1] * 4),
        "pairs": Pairs(
            frame(rng.normal(size=(4, 2)), s), frame(rng.normal(size=(4, 3)), t)
        ),
        "X_unlabeled": frame(rng.normal(size=(5, 3)), t),
    }
    args.update(changes)
    return args


def test_fit_keeps_the_source_column_names():
    from skdatn import DATNClassifier

    clf = DATNClassifier(hidden_layer_sizes=(4,), pretrain_epochs=2, finetune_epochs=2)
    args = named_fit()
    clf.fit(args.pop("X"), args.pop("y"), **args)
    assert clf.feature_names_in_.tolist() == ["t0", "t1", "t2"]
    assert clf.source_feature_names_in_.tolist() == ["s0", "s1"]
    Xs = named_fit()["X_source"].X
    assert clf.transform_source(Xs).shape == (8, 4)
    with pytest.raises(ValueError, match="X has the same names in another order"):
        clf.transform_source(Xs[["s1", "s0"]])


@pytest.mark.parametrize(
    "name, change, message",
    [
        (
            "X_unlabeled",
            lambda a: {"X_unlabeled": a["X_unlabeled"][["t2", "t1", "t0"]]},
            r"X_unlabeled should match those of X: X_unlabeled has the same names "
            r"in another order \(reorder its columns as in X\)",
        ),
        (
            "pairs (target side)",
            lambda a: {
                "pairs": Pairs(
                    a["pairs"].source, a["pairs"].target.rename(columns={"t0": "u"})
                )
            },
            r"pairs \(target side\) should match those of X: .* names not in X "
            r"\(\['u'\]",
        ),
        (
            "pairs (source side)",
            lambda a: {"pairs": (a["pairs"].source[["s1", "s0"]], a["pairs"].target)},
            r"pairs \(source side\) should match those of X_source",
        ),
    ],
)
def test_rows_of_a_domain_must_name_their_columns_alike(name, change, message):
    args = named_fit()
    args.update(change(args))
    X = args.pop("X")
    with pytest.raises(ValueError, match=message):
        read_transfer_inputs(
            len(X),
            X.shape[1],
            feature_names=np.array(X.columns, dtype=object),
            **{k: v for k, v in args.items() if k != "y"},
        )


def test_string_minus_one_marks_unlabelled_source_rows():
    from skdatn import DATNClassifier

    rng = np.random.default_rng(0)
    ys = np.array(["cat", "dog", "-1", "-1"] * 3)
    clf = DATNClassifier(hidden_layer_sizes=(4,), pretrain_epochs=2, finetune_epochs=2)
    clf.fit(
        rng.normal(size=(6, 3)),
        ["cat", "dog"] * 3,
        X_source=Domain(rng.normal(size=(12, 2)), ys),
        pairs=Pairs(rng.normal(size=(4, 2)), rng.normal(size=(4, 3))),
    )
    assert clf.classes_.tolist() == ["cat", "dog"]
