"""Every bad input of DATNClassifier and DATNClassifierCV gets a clear error.

One table per entry point: ``fit`` (data and hyper-parameters), inference on a
fitted model, and DATNClassifierCV's own parameters. Each row names the exact
error type and a piece of its message (which names the argument).
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.utils._param_validation import InvalidParameterError

from skdatn import DATNClassifier, DATNClassifierCV, Domain, Pairs

TINY = {
    "hidden_layer_sizes": (4,),
    "pretrain_epochs": 2,
    "finetune_epochs": 2,
    "random_state": 0,
}

_rng = np.random.default_rng(0)
X = _rng.normal(size=(10, 3))
Y = np.array([0, 1] * 5)
XS = _rng.normal(size=(12, 4))
YS = np.array([0, 1, -1] * 4)
PS = _rng.normal(size=(5, 4))
PT = _rng.normal(size=(5, 3))
XU = _rng.normal(size=(6, 3))


def spoil(a, value=np.nan):
    """A float copy of ``a`` with one bad value."""
    a = np.array(a, dtype=float)
    a.flat[1] = value
    return a


def text(shape):
    return np.full(shape, "a")


def fit_args(**changes):
    """A valid DATN fit (every transfer input), with some arguments replaced."""
    args = {
        "X": X,
        "y": Y,
        "X_source": Domain(XS, YS),
        "pairs": Pairs(PS, PT),
        "X_unlabeled": XU,
    }
    args.update(changes)
    return args


# The "huge" cases overflow inside the scaler before our check names them.
pytestmark = [
    pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
]

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is present")

# (id, fit arguments, estimator parameters, error type, message pattern)
FIT_CASES = [
    # --- NaN / inf in every input
    ("nan-X", fit_args(X=spoil(X)), {}, ValueError, "Input X contains NaN"),
    ("inf-X", fit_args(X=spoil(X, np.inf)), {}, ValueError, "X contains infinity"),
    ("nan-y", fit_args(y=spoil(Y)), {}, ValueError, "Input y contains NaN"),
    (
        "nan-X_source",
        fit_args(X_source=Domain(spoil(XS), YS)),
        {},
        ValueError,
        "Invalid X_source: Input X_source contains NaN",
    ),
    (
        "inf-X_source",
        fit_args(X_source=spoil(XS, -np.inf), y_source=YS),
        {},
        ValueError,
        "Invalid X_source: .*infinity",
    ),
    (
        "nan-y_source",
        fit_args(X_source=Domain(XS, spoil(YS))),
        {},
        ValueError,
        "y_source contains NaN; mark unlabelled source rows with -1",
    ),
    (
        "nan-pairs-source",
        fit_args(pairs=Pairs(spoil(PS), PT)),
        {},
        ValueError,
        r"Invalid pairs \(source side\): .*NaN",
    ),
    (
        "inf-pairs-target",
        fit_args(pairs=(PS, spoil(PT, np.inf))),
        {},
        ValueError,
        r"Invalid pairs \(target side\): .*infinity",
    ),
    (
        "nan-X_unlabeled",
        fit_args(X_unlabeled=spoil(XU)),
        {},
        ValueError,
        "Invalid X_unlabeled: .*NaN",
    ),
    (
        "nan-X_unlabeled-domain",
        fit_args(X_unlabeled=Domain(spoil(XU))),
        {},
        ValueError,
        "Invalid X_unlabeled: .*NaN",
    ),
    (
        "nan-sparse-X",
        fit_args(X=sp.csr_matrix(spoil(X))),
        {},
        ValueError,
        "Input X contains NaN",
    ),
    (
        "nan-sparse-X_source",
        fit_args(X_source=Domain(sp.coo_matrix(spoil(XS)), YS)),
        {},
        ValueError,
        "Invalid X_source: Input X_source contains NaN",
    ),
    (
        "nan-dataframe-X_unlabeled",
        fit_args(X_unlabeled=pd.DataFrame(spoil(XU))),
        {},
        ValueError,
        "Invalid X_unlabeled: Input X_unlabeled contains NaN",
    ),
    (
        "pandas-NA-y",
        fit_args(y=pd.Series([0, 1, pd.NA] * 3 + [0], dtype="Int64")),
        {},
        ValueError,
        "Input y contains NaN",
    ),
    # --- values that overflow float32 training precision after scaling
    (
        "huge-X",
        fit_args(X=X * 1e300),
        {},
        ValueError,
        r"The target rows \(X, X_unlabeled .*\) are too large to train on",
    ),
    (
        "huge-X_source-unscaled",
        fit_args(X_source=Domain(XS * 1e39, YS)),
        {"input_scaling": "none"},
        ValueError,
        r"The source rows \(X_source .*\) are too large to train on",
    ),
    # --- wrong number of features
    (
        "features-X_source-vs-pairs",
        fit_args(X_source=Domain(_rng.normal(size=(12, 5)), YS)),
        {},
        ValueError,
        r"pairs \(source side\) has 4 features but X_source has 5",
    ),
    (
        "features-pairs-target",
        fit_args(pairs=Pairs(PS, PT[:, :2])),
        {},
        ValueError,
        r"pairs \(target side\) has 2 features but X has 3",
    ),
    (
        "features-X_unlabeled",
        fit_args(X_unlabeled=XU[:, :2]),
        {},
        ValueError,
        "X_unlabeled has 2 features but X has 3",
    ),
    # --- pairs
    (
        "pairs-row-mismatch",
        fit_args(pairs=Pairs(PS, PT[:4])),
        {},
        ValueError,
        "two sides of pairs must have the same number of rows.*5 source rows and 4 target rows",
    ),
    (
        "pairs-one",
        fit_args(pairs=Pairs(PS[:1], PT[:1])),
        {},
        ValueError,
        r"pairs has 1 row\(s\); at least 2 are needed",
    ),
    (
        "pairs-none-rows",
        fit_args(pairs=(PS[:0], PT[:0])),
        {},
        ValueError,
        r"pairs has 0 row\(s\); at least 2 are needed",
    ),
    (
        "no-pairs-no-source-labels-for-DATN",
        fit_args(pairs=None, X_source=Domain(XS)),
        {},
        ValueError,
        "needs pairs or labelled source rows",
    ),
    # --- labels
    (
        "class-missing-from-y_source",
        fit_args(X_source=Domain(XS, np.where(YS == 1, 0, YS))),
        {},
        ValueError,
        r"Every class of y must appear among the labelled source rows; \[1\]",
    ),
    (
        "single-class-y",
        fit_args(y=np.zeros(10, dtype=int), X_source=None, pairs=None),
        {},
        ValueError,
        r"at least 2 classes; y has 1 class",
    ),
    (
        "single-class-y_source",
        fit_args(
            y=np.zeros(10, dtype=int), X_source=Domain(XS, np.where(YS == 1, 0, YS))
        ),
        {},
        ValueError,
        r"at least 2 classes; the labelled source rows \(y_source\) have 1 class",
    ),
    (
        "continuous-y",
        fit_args(y=np.linspace(0, 1, 10)),
        {},
        ValueError,
        "Unknown label type: continuous",
    ),
    (
        "mixed-type-y",
        fit_args(y=np.array(["a", 1] * 5, dtype=object), X_source=None, pairs=None),
        {},
        ValueError,
        "Invalid y: labels must be comparable",
    ),
    (
        "mixed-type-y_source",
        fit_args(X_source=XS, y_source=np.array(["a", 1, None] * 4, dtype=object)),
        {},
        ValueError,
        "Invalid y_source: labels must be comparable",
    ),
    (
        "continuous-y_source",
        fit_args(X_source=Domain(XS, np.linspace(0, 1, 12))),
        {},
        ValueError,
        "Invalid y_source: Unknown label type: continuous",
    ),
    (
        "length-y_source",
        fit_args(X_source=XS, y_source=YS[:5]),
        {},
        ValueError,
        "y_source has 5 labels but X_source has 12 rows",
    ),
    (
        "length-y",
        fit_args(y=Y[:5]),
        {},
        ValueError,
        r"inconsistent numbers of samples: \[10, 5\]",
    ),
    (
        "2d-y_source",
        fit_args(X_source=XS, y_source=YS[:, None]),
        {},
        ValueError,
        r"y_source must be 1-D .*shape \(12, 1\)",
    ),
    (
        "y_source-without-X_source",
        fit_args(X_source=None, y_source=YS),
        {},
        ValueError,
        "y_source was given without X_source",
    ),
    (
        "y_source-twice",
        fit_args(y_source=YS),
        {},
        ValueError,
        "y_source must be None when X_source is a skdatn.Domain",
    ),
    # --- non-numeric, ragged, complex
    (
        "text-X",
        fit_args(X=text((10, 3))),
        {},
        ValueError,
        "Invalid X: expected an array-like of numbers .*got non-numeric dtype <U1",
    ),
    (
        "text-X_source",
        fit_args(X_source=Domain(text((12, 4)), YS)),
        {},
        ValueError,
        "Invalid X_source: expected an array-like of numbers",
    ),
    (
        "text-pairs-target",
        fit_args(pairs=Pairs(PS, text((5, 3)))),
        {},
        ValueError,
        r"Invalid pairs \(target side\): expected an array-like of numbers",
    ),
    (
        "text-X_unlabeled",
        fit_args(X_unlabeled=text((6, 3))),
        {},
        ValueError,
        "Invalid X_unlabeled: expected an array-like of numbers",
    ),
    (
        "ragged-X",
        fit_args(X=[[1.0, 2.0, 3.0], [1.0, 2.0]] * 5),
        {},
        ValueError,
        "Invalid X: .*got rows of different lengths",
    ),
    (
        "complex-X",
        fit_args(X=X.astype(complex)),
        {},
        ValueError,
        "Complex data not supported",
    ),
    (
        "text-column-dataframe-X",
        fit_args(X=pd.DataFrame({"a": ["x"] * 10, "b": 1.0, "c": 2.0})),
        {},
        ValueError,
        "Invalid X: expected an array-like of numbers .*got non-numeric DataFrame",
    ),
    # --- dimensions
    ("3d-X", fit_args(X=np.zeros((10, 3, 2))), {}, ValueError, "dim 3"),
    (
        "3d-X_source",
        fit_args(X_source=Domain(np.zeros((12, 4, 2)), YS)),
        {},
        ValueError,
        "Invalid X_source: Found array with dim 3",
    ),
    (
        "3d-pairs",
        fit_args(pairs=Pairs(np.zeros((5, 4, 2)), PT)),
        {},
        ValueError,
        r"Invalid pairs \(source side\): Found array with dim 3",
    ),
    (
        "3d-X_unlabeled",
        fit_args(X_unlabeled=np.zeros((6, 3, 2))),
        {},
        ValueError,
        "Invalid X_unlabeled: Found array with dim 3",
    ),
    (
        "1d-X_source",
        fit_args(X_source=Domain(np.zeros(12), YS)),
        {},
        ValueError,
        "Invalid X_source: Expected 2D array, got 1D array",
    ),
    # --- empty
    (
        "empty-X",
        fit_args(X=X[:0], y=Y[:0]),
        {},
        ValueError,
        r"0 sample\(s\) \(shape=\(0, 3\)\)",
    ),
    (
        "no-features-X",
        fit_args(X=X[:, :0]),
        {},
        ValueError,
        r"0 feature\(s\)",
    ),
    (
        "empty-X_source",
        fit_args(X_source=Domain(XS[:0], YS[:0])),
        {},
        ValueError,
        r"Invalid X_source: Found array with 0 sample\(s\)",
    ),
    (
        "empty-X_unlabeled",
        fit_args(X_unlabeled=XU[:0]),
        {},
        ValueError,
        r"Invalid X_unlabeled: Found array with 0 sample\(s\)",
    ),
    (
        "no-source-rows-to-learn",
        fit_args(X_source=Domain(XS), pairs=None),
        {"beta": 0, "asymmetric": False},
        ValueError,
        "The source domain has no rows to learn from",
    ),
    (
        "source-labels-forgotten",
        fit_args(X_source=XS),
        {},
        ValueError,
        r"X_source was given without y_source\. .* y_source=ys\) or "
        r"X_source=Domain\(Xs, ys\)",
    ),
    # --- holders with the wrong content, or in the wrong place
    (
        "Domain-of-None",
        fit_args(X_source=Domain(None)),
        {},
        TypeError,
        r"X_source \(the X of its skdatn.Domain\) must be .*got None",
    ),
    (
        "Domain-of-text",
        fit_args(X_source=Domain("abc")),
        {},
        ValueError,
        "Invalid X_source: expected an array-like of numbers .*non-numeric str",
    ),
    (
        "Domain-of-dict",
        fit_args(X_source=Domain({"a": 1})),
        {},
        TypeError,
        "Invalid X_source: expected an array-like of numbers .*non-numeric dict",
    ),
    (
        "Domain-in-Domain",
        fit_args(X_source=Domain(Domain(XS))),
        {},
        TypeError,
        "X_source .* got a skdatn.Domain",
    ),
    (
        "Domain-as-labels",
        fit_args(X_source=Domain(XS, Domain(XS, YS))),
        {},
        TypeError,
        "y_source must be an array-like of labels, got a skdatn.Domain",
    ),
    (
        "Pairs-with-None",
        fit_args(pairs=Pairs(None, PT)),
        {},
        TypeError,
        r"pairs \(source side\) must be .*got None",
    ),
    (
        "Domain-in-Pairs",
        fit_args(pairs=Pairs(Domain(PS), PT)),
        {},
        TypeError,
        r"pairs \(source side\) must be .*got a skdatn.Domain",
    ),
    (
        "Pairs-as-X_source",
        fit_args(X_source=Pairs(PS, PT)),
        {},
        TypeError,
        "pass pairs with the `pairs` argument",
    ),
    (
        "Domain-as-pairs",
        fit_args(pairs=Domain(PS)),
        {},
        TypeError,
        "pairs must be a skdatn.Pairs or a tuple .*got a skdatn.Domain",
    ),
    (
        "array-as-pairs",
        fit_args(pairs=PS),
        {},
        TypeError,
        "pairs must be a skdatn.Pairs or a tuple .*got ndarray",
    ),
    (
        "three-sided-pairs",
        fit_args(pairs=(PS, PT, PT)),
        {},
        TypeError,
        "pairs must be a skdatn.Pairs or a tuple .*got tuple",
    ),
    (
        "Pairs-as-X_unlabeled",
        fit_args(X_unlabeled=Pairs(PS, PT)),
        {},
        TypeError,
        "X_unlabeled must be an array-like or a skdatn.Domain, got a skdatn.Pairs",
    ),
    (
        "labelled-Domain-as-X_unlabeled",
        fit_args(X_unlabeled=Domain(XU, [0, 1] * 3)),
        {},
        ValueError,
        "X_unlabeled holds unlabelled target rows: give it as Domain\\(X\\) without y",
    ),
    (
        "Domain-of-None-as-X_unlabeled",
        fit_args(X_unlabeled=Domain(None)),
        {},
        TypeError,
        r"X_unlabeled \(the X of its skdatn.Domain\) must be .*got None",
    ),
    (
        "Domain-as-X",
        fit_args(X=Domain(X, Y)),
        {},
        TypeError,
        "X must be an array-like of numbers .*got a skdatn.Domain",
    ),
    (
        "Pairs-as-y",
        fit_args(y=Pairs(PS, PT)),
        {},
        TypeError,
        "y must be an array-like of labels .*got a skdatn.Pairs",
    ),
    # --- device
    pytest.param(
        "cuda-without-gpu",
        fit_args(),
        {"device": "cuda"},
        ValueError,
        "device='cuda' was requested but no CUDA GPU is available",
        marks=NO_CUDA,
    ),
    pytest.param(
        "cuda-1-without-gpu",
        fit_args(),
        {"device": torch.device("cuda:1")},
        ValueError,
        "device='cuda:1' was requested but no CUDA GPU is available",
        marks=NO_CUDA,
    ),
    (
        "unknown-device",
        fit_args(),
        {"device": "tpu"},
        ValueError,
        "device must be 'auto'",
    ),
    # --- hyper-parameters (through _parameter_constraints, or at fit)
    *[
        (
            f"param-{name}={value!r}",
            fit_args(),
            {name: value},
            InvalidParameterError,
            f"The '{name}' parameter of DATNClassifier must be",
        )
        for name, value in [
            ("learning_rate", 0),
            ("learning_rate", -1.0),
            ("learning_rate", np.inf),
            ("alpha", np.nan),
            ("beta", -1),
            ("intra_weight", -0.5),
            ("recon_weight", np.nan),
            ("lambda_reg", np.inf),
            ("lambda_pair", 0),
            ("tol", -1e-4),
            ("solver", "lbfgs"),
            ("mmd_target", "both"),
            ("input_scaling", "minmax"),
            ("batch_size", 0),
            ("batch_size", 2.5),
            ("pretrain_epochs", 2.5),
            ("finetune_epochs", -1),
            ("n_iter_no_change", 0),
            ("asymmetric", "yes"),
            ("device", 0),
            ("hidden_layer_sizes", "wide"),
            ("hidden_layer_sizes", 0),
            ("source_hidden_layer_sizes", "wide"),
            ("random_state", "seed"),
            ("verbose", "loud"),
        ]
    ],
    (
        "param-hidden-layer-zero-width",
        fit_args(),
        {"hidden_layer_sizes": (8, 0)},
        ValueError,
        r"hidden_layer_sizes must be a non-empty sequence of positive ints, got \(8, 0\)",
    ),
    (
        "param-hidden-layer-empty",
        fit_args(),
        {"hidden_layer_sizes": ()},
        ValueError,
        r"hidden_layer_sizes must be a non-empty sequence of positive ints, got \(\)",
    ),
    (
        "param-top-widths-differ",
        fit_args(),
        {"hidden_layer_sizes": (8, 4), "source_hidden_layer_sizes": (8, 2)},
        ValueError,
        "The top widths of the two pathways must be equal",
    ),
]


def _case_id(case):
    return case.values[0] if hasattr(case, "values") else case[0]


@pytest.mark.parametrize(
    "name, args, params, error, match", FIT_CASES, ids=map(_case_id, FIT_CASES)
)
def test_fit_rejects_bad_input(name, args, params, error, match):
    args = dict(args)
    clf = DATNClassifier(**{**TINY, **params})
    with pytest.raises(error, match=match) as info:
        clf.fit(args.pop("X"), args.pop("y"), **args)
    assert type(info.value) is error  # the exact type, not a subclass
    assert "target_net_" not in vars(clf)


def test_cv_rejects_the_same_bad_inputs():
    """DATNClassifierCV validates through the same code before any training."""
    for _, args, params, error, match in FIT_CASES[:20]:
        if params:
            continue
        args = dict(args)
        clf = DATNClassifierCV(alphas=[1.0], betas=[1.0], cv=2, **TINY)
        with pytest.raises(error, match=match):
            clf.fit(args.pop("X"), args.pop("y"), **args)


@pytest.fixture(scope="module")
def fitted():
    args = fit_args()
    return DATNClassifier(**TINY).fit(args.pop("X"), args.pop("y"), **args)


INFERENCE = [
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
]

# (id, rows given to inference, error type, message pattern)
PREDICT_CASES = [
    ("nan", spoil(X), ValueError, "Input X contains NaN"),
    ("inf", spoil(X, -np.inf), ValueError, "Input X contains infinity"),
    ("nan-sparse", sp.csr_matrix(spoil(X)), ValueError, "Input X contains NaN"),
    (
        "features",
        X[:, :2],
        ValueError,
        "X has 2 features, but DATNClassifier is expecting 3",
    ),
    ("3d", np.zeros((2, 3, 1)), ValueError, "dim 3"),
    ("1d", np.zeros(3), ValueError, "Expected 2D array, got 1D array"),
    ("text", text((2, 3)), ValueError, "Invalid X: expected an array-like of numbers"),
    ("empty", X[:0], ValueError, r"0 sample\(s\)"),
    (
        "Domain",
        Domain(X),
        TypeError,
        "X must be an array-like of numbers .*skdatn.Domain",
    ),
    (
        "overflow",
        np.full((2, 3), 1.7e308),
        ValueError,
        "X gives non-finite .*too large for the model",
    ),
]


@pytest.mark.parametrize("method", INFERENCE)
@pytest.mark.parametrize(
    "name, rows, error, match", PREDICT_CASES, ids=[c[0] for c in PREDICT_CASES]
)
def test_inference_rejects_bad_rows(fitted, method, name, rows, error, match):
    with pytest.raises(error, match=match) as info:
        getattr(fitted, method)(rows)
    assert type(info.value) is error


SOURCE_CASES = [
    ("nan", spoil(XS), ValueError, "Invalid X: Input X contains NaN"),
    (
        "features",
        XS[:, :2],
        ValueError,
        "X has 2 features, but transform_source expects 4",
    ),
    ("3d", np.zeros((2, 4, 1)), ValueError, "Invalid X: Found array with dim 3"),
    ("empty", XS[:0], ValueError, r"Invalid X: Found array with 0 sample\(s\)"),
    (
        "Domain",
        Domain(XS),
        TypeError,
        "X must be an array-like of numbers .*skdatn.Domain",
    ),
]


@pytest.mark.parametrize(
    "name, rows, error, match", SOURCE_CASES, ids=[c[0] for c in SOURCE_CASES]
)
def test_transform_source_rejects_bad_rows(fitted, name, rows, error, match):
    with pytest.raises(error, match=match) as info:
        fitted.transform_source(rows)
    assert type(info.value) is error


def test_inference_before_fit_and_source_transform_without_source():
    for method in INFERENCE:
        with pytest.raises(Exception, match="not fitted yet"):
            getattr(DATNClassifier(), method)(X)
    target_only = DATNClassifier(**TINY).fit(X, Y)
    with pytest.raises(ValueError, match="needs a model fitted with source data"):
        target_only.transform_source(XS)


CV_CASES = [
    (
        "alphas-empty",
        {"alphas": []},
        ValueError,
        r"alphas must be a non-empty list .*got \[\]",
    ),
    (
        "alphas-text",
        {"alphas": ["a"]},
        ValueError,
        r"alphas must be a non-empty list .*\['a'\]",
    ),
    (
        "betas-negative",
        {"betas": [-1]},
        ValueError,
        r"betas must be .*non-negative .*\[-1\]",
    ),
    ("betas-nan", {"betas": [np.nan]}, ValueError, "betas must be a non-empty list"),
    (
        "alphas-ragged",
        {"alphas": [[1, 2], [3]]},
        ValueError,
        "alphas must be a non-empty list",
    ),
    (
        "alphas-not-array",
        {"alphas": "ab"},
        InvalidParameterError,
        "The 'alphas' parameter of DATNClassifierCV must be an array-like",
    ),
    (
        "cv-one-fold",
        {"cv": 1},
        InvalidParameterError,
        "The 'cv' parameter of DATNClassifierCV must be an int in the range \\[2, inf\\)",
    ),
    (
        "cv-too-many-folds",
        {"cv": 20},
        ValueError,
        "n_splits=20 greater than the number of samples",
    ),
    (
        "scoring-unknown",
        {"scoring": "bogus"},
        ValueError,
        "'bogus' is not a valid scoring value",
    ),
]


@pytest.mark.parametrize(
    "name, params, error, match", CV_CASES, ids=[c[0] for c in CV_CASES]
)
def test_cv_rejects_bad_parameters(name, params, error, match):
    clf = DATNClassifierCV(
        **{"alphas": [1.0], "betas": [1.0], "cv": 2, **TINY, **params}
    )
    with pytest.raises(error, match=match) as info:
        clf.fit(X, Y)
    assert type(info.value) is error


def test_no_torch_or_numpy_error_escapes():
    """None of the cases above is answered from inside torch or numpy: the error is
    raised by skdatn or by scikit-learn's validation."""
    cases = [c.values if hasattr(c, "values") else c for c in FIT_CASES]
    for name, args, params, _error, _ in cases:
        if params.get("device") is not None and torch.cuda.is_available():
            continue
        args = dict(args)
        try:
            DATNClassifier(**{**TINY, **params}).fit(
                args.pop("X"), args.pop("y"), **args
            )
        except (ValueError, TypeError) as exc:
            origin = _raising_module(exc)
            assert origin.startswith(("skdatn", "sklearn")), (name, origin)
        else:
            pytest.fail(f"{name}: no error")


def _raising_module(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__", "")
