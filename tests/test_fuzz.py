"""Property-based tests: random problems either fit or fail with our clear errors.

Each fit example draws shapes, dtypes, label types, class counts, which optional
inputs are present (source, pairs, unlabelled rows), whether they come in
holders, and sometimes a NaN or inf. An oracle written from the documented rules
says which errors the problem deserves; a valid problem must fit and predict
finite probabilities, an invalid one must raise one of the expected ValueError or
TypeError messages, raised by skdatn or scikit-learn's validation, never from
inside torch or numpy.

CI runs a fixed (derandomized) set of examples; set
``SKDATN_HYPOTHESIS_PROFILE=explore`` to draw new ones, and
``SKDATN_FUZZ_SCALE=10`` for ten times as many. ``pytest --hypothesis-show-statistics``
counts the examples run and the outcomes (events) of the fit examples.
"""

import os
import re
import warnings
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from skdatn import DATNClassifier, Domain, Pairs
from skdatn._holders import read_transfer_inputs

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("SKDATN_HYPOTHESIS_PROFILE", "ci"))
SCALE = int(os.environ.get("SKDATN_FUZZ_SCALE", "1"))

#: Tiny pathways and few epochs: a fit takes milliseconds.
TINY = {
    "hidden_layer_sizes": (3,),
    "pretrain_epochs": 2,
    "finetune_epochs": 2,
    "n_iter_no_change": None,
    "learning_rate": 0.01,
    "random_state": 0,
}

ARGUMENT = re.compile(r"\b(X|y|X_source|y_source|pairs|X_unlabeled)\b")


def _raising_module(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__", "")


def assert_our_error(exc: BaseException) -> None:
    """A ValueError/TypeError naming an argument, raised by skdatn or sklearn."""
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    assert _raising_module(exc).startswith(("skdatn", "sklearn")), (
        _raising_module(exc),
        repr(exc),
    )
    assert ARGUMENT.search(str(exc)), str(exc)


# ------------------------------------------------------------------ problems
def _classes(kind: str, k: int) -> np.ndarray:
    if kind == "int":
        return np.arange(k) * 3 + 1
    if kind == "str":
        return np.array([f"class {i}" for i in range(k)])
    return np.array([False, True])[:k]


def _rows(rng, n: int, d: int, dtype, scale: float) -> np.ndarray:
    if np.dtype(dtype).kind == "i":
        return rng.integers(-5, 6, size=(n, d)).astype(dtype)
    return (scale * rng.normal(size=(n, d))).astype(dtype)


@dataclass
class Problem:
    X: np.ndarray
    y: np.ndarray
    classes: np.ndarray
    params: dict
    X_source: np.ndarray | None = None
    y_source: np.ndarray | None = None
    pairs: tuple | None = None
    X_unlabeled: np.ndarray | None = None
    holders: bool = False
    spoiled: str | None = None  # the input given a NaN or inf
    notes: list = field(default_factory=list)

    def fit_kwargs(self) -> dict:
        kw = {}
        if self.X_source is not None:
            if self.holders:
                kw["X_source"] = Domain(self.X_source, self.y_source)
            else:
                kw["X_source"], kw["y_source"] = self.X_source, self.y_source
        if self.pairs is not None:
            kw["pairs"] = Pairs(*self.pairs) if self.holders else self.pairs
        if self.X_unlabeled is not None:
            kw["X_unlabeled"] = (
                Domain(self.X_unlabeled) if self.holders else self.X_unlabeled
            )
        return kw


@st.composite
def problems(draw) -> Problem:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["int", "str", "bool"]))
    k = 1 if rng.random() < 0.1 else int(rng.integers(2, 3 if kind == "bool" else 5))
    classes = _classes(kind, k)
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    d_t, d_s = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    n = int(rng.integers(1, 13))  # rng: hypothesis favours tiny sizes
    p = Problem(
        X=_rows(rng, n, d_t, dtype, scale),
        y=classes[rng.integers(len(classes), size=n)],
        classes=classes,
        params={
            "asymmetric": draw(st.booleans()),
            "beta": draw(st.sampled_from([0.0, 1.0])),
            "batch_size": draw(st.sampled_from([None, None, 2, 5])),
            "input_scaling": draw(st.sampled_from(["standard", "l2", "maxabs", None])),
        },
        holders=draw(st.booleans()),
    )
    if draw(st.booleans()):
        n_s = int(rng.integers(0, 16))
        p.X_source = _rows(rng, n_s, d_s, dtype, scale)
        if draw(st.booleans()):  # labelled (some rows), else None: all unlabelled
            ys = classes[rng.integers(len(classes), size=n_s)]
            if kind != "bool":
                unlabeled = rng.random(n_s) < draw(st.sampled_from([0.0, 0.3, 1.0]))
                ys = ys.astype(object) if kind == "str" else ys
                ys[unlabeled] = None if kind == "str" else -1
            p.y_source = ys
    if draw(st.booleans()):
        n_p = int(rng.integers(0, 7))
        p.pairs = (
            _rows(rng, n_p, d_s, dtype, scale),
            _rows(rng, n_p, d_t, dtype, scale),
        )
    if draw(st.booleans()):
        p.X_unlabeled = _rows(rng, int(rng.integers(0, 7)), d_t, dtype, scale)
    spoilable = {
        "X": p.X,
        "X_source": p.X_source,
        "pairs (source side)": None if p.pairs is None else p.pairs[0],
        "pairs (target side)": None if p.pairs is None else p.pairs[1],
        "X_unlabeled": p.X_unlabeled,
    }
    spoilable = {k: v for k, v in spoilable.items() if v is not None and v.size}
    if spoilable and rng.random() < 0.2:  # rng: hypothesis favours 0
        p.spoiled = str(rng.choice(sorted(spoilable)))  # uniform, unlike a draw
        bad = rng.choice([np.nan, np.inf, -np.inf])
        a = spoilable[p.spoiled].astype(np.float64)
        a.flat[rng.integers(a.size)] = bad
        if p.spoiled == "X":
            p.X = a
        elif p.spoiled == "X_source":
            p.X_source = a
        elif p.spoiled == "X_unlabeled":
            p.X_unlabeled = a
        else:
            side = 0 if "source" in p.spoiled else 1
            p.pairs = (a, p.pairs[1]) if side == 0 else (p.pairs[0], a)
    return p


def expected_errors(p: Problem) -> list[str]:
    """The error messages (patterns) that ``p`` deserves; empty if it is valid.

    Several problems can coexist; the estimator may report any of them first.
    """
    errors = []
    if p.X_source is not None and not p.holders and p.y_source is None:
        errors.append("X_source was given without y_source")
    if p.spoiled is not None:
        errors.append(
            "Input X contains (NaN|infinity)"
            if p.spoiled == "X"
            else rf"Invalid {re.escape(p.spoiled)}: .*(NaN|infinity)"
        )
    if p.X_source is not None and p.X_source.shape[0] == 0:
        errors.append(r"Invalid X_source: Found array with 0 sample")
    if p.X_unlabeled is not None and p.X_unlabeled.shape[0] == 0:
        errors.append(r"Invalid X_unlabeled: Found array with 0 sample")
    if p.pairs is not None and p.pairs[0].shape[0] < 2:
        errors.append(r"pairs has [01] row\(s\); at least 2 are needed")
    has_source = p.X_source is not None or p.pairs is not None
    labeled = None
    if p.y_source is not None and len(p.y_source):
        ys = p.y_source
        labeled = ys[
            [
                not (v is None or (not isinstance(v, (bool, np.bool_)) and v == -1))
                for v in ys
            ]
        ]
    if labeled is not None and len(labeled):
        source_classes = set(labeled.tolist())
        if set(p.y.tolist()) - source_classes:
            errors.append("Every class of y must appear among the labelled source rows")
        if len(source_classes) < 2:
            errors.append(r"at least 2 classes; the labelled source rows \(y_source\)")
    elif len(set(p.y.tolist())) < 2:
        errors.append("at least 2 classes; y has 1 class")
    if (
        has_source
        and p.params["asymmetric"]
        and p.pairs is None
        and (labeled is None or not len(labeled))
    ):
        errors.append("needs pairs or labelled source rows")
    if (
        p.X_source is not None
        and len(p.X_source)
        and (labeled is None or not len(labeled))
        and p.params["beta"] == 0
        and p.pairs is None
    ):
        errors.append("The source domain has no rows to learn from")
    return errors


def _fit(p: Problem) -> DATNClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SlicingRiskWarning, sklearn's notes
        return DATNClassifier(**{**TINY, **p.params}).fit(p.X, p.y, **p.fit_kwargs())


@settings(max_examples=150 * SCALE)
@given(problems())
def test_fit_works_or_raises_the_expected_error(p):
    expected = expected_errors(p)
    try:
        clf = _fit(p)
    except Exception as exc:  # noqa: BLE001 - any error is checked below
        assert_our_error(exc)
        assert expected, f"a valid problem was refused: {exc!r}"
        matched = [e for e in expected if re.search(e, str(exc))]
        assert matched, (str(exc), expected)
        event(f"refused: {matched[0]}")
        return
    assert not expected, f"fit accepted a problem that deserves {expected}"
    event(f"fitted: {clf.variant_}")
    rng = np.random.default_rng(0)
    X_test = _rows(rng, 4, p.X.shape[1], p.X.dtype, 1.0)
    proba = clf.predict_proba(X_test)
    assert proba.shape == (4, len(clf.classes_))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X_test).tolist()) <= set(clf.classes_.tolist())
    assert set(p.y.tolist()) <= set(clf.classes_.tolist())
    assert clf.transform(X_test).shape == (4, TINY["hidden_layer_sizes"][-1])
    assert np.isfinite(clf.history_[-1]["loss"]) if clf.history_ else True
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.zeros((2, p.X.shape[1] + 1)))


# ------------------------------------------------------------- inference
@cache
def _fitted() -> DATNClassifier:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    return DATNClassifier(**TINY).fit(X, np.arange(12) % 3)


@st.composite
def rows(draw):
    """Rows for predict: any shape, dtype, maybe a NaN or inf; and their validity."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ndim = draw(st.sampled_from([1, 2, 2, 2, 3]))
    shape = tuple(draw(st.integers(0, 4)) for _ in range(ndim))
    kind = draw(
        st.sampled_from(["f8", "f4", "i8", "bool", "str", "text", "object", "complex"])
    )
    a = rng.normal(size=shape)
    if kind == "str":  # numbers written as strings: numpy reads them, so does sklearn
        a = a.astype(str)
    elif kind == "text":
        a = np.full(shape, "x")
    elif kind == "object":
        a = a.astype(object)
    elif kind == "bool":
        a = a > 0
    else:
        a = a.astype(kind)
    spoiled = a.size > 0 and kind in ("f8", "f4") and draw(st.integers(0, 3)) == 0
    if spoiled:
        a.flat[0] = draw(st.sampled_from([np.nan, np.inf]))
    valid = (
        ndim == 2
        and shape[0] >= 1
        and shape[1] == 3
        and kind not in ("text", "complex")
        and not spoiled
    )
    as_list = draw(st.booleans())
    return (a.tolist() if as_list else a), valid


@settings(max_examples=150 * SCALE)
@given(rows())
def test_inference_works_or_raises_our_error(case):
    X, valid = case
    clf = _fitted()
    for method in ("predict", "predict_proba", "decision_function", "transform"):
        try:
            out = getattr(clf, method)(X)
        except Exception as exc:  # noqa: BLE001
            assert_our_error(exc)
            assert not valid, f"{method} refused valid rows: {exc!r}"
        else:
            assert valid, f"{method} accepted invalid rows"
            assert np.isfinite(np.asarray(out, dtype=float)).all()


# ------------------------------------------------------------ the holders
_junk_leaf = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.just({"a": 1}),
    st.builds(
        lambda shape, kind: np.zeros(shape, dtype=kind),
        st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple),
        st.sampled_from(["f8", "i4", "U2", "O", "c16", "bool"]),
    ),
)
_junk = st.recursive(
    _junk_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.builds(Domain, inner, inner),
        st.builds(Pairs, inner, inner),
    ),
    max_leaves=6,
)
_good_rows = st.builds(lambda n: np.ones((n, 2)), st.integers(1, 4))


@settings(max_examples=300 * SCALE)
@given(
    X_source=st.one_of(st.none(), _good_rows, _junk),
    y_source=st.one_of(st.none(), _junk),
    pairs=st.one_of(st.none(), st.tuples(_good_rows, _good_rows), _junk),
    X_unlabeled=st.one_of(st.none(), _good_rows, _junk),
)
def test_reading_junk_transfer_inputs_raises_our_errors(
    X_source, y_source, pairs, X_unlabeled
):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read_transfer_inputs(
                4,
                2,
                X_source=X_source,
                y_source=y_source,
                pairs=pairs,
                X_unlabeled=X_unlabeled,
            )
    except Exception as exc:  # noqa: BLE001
        assert_our_error(exc)
