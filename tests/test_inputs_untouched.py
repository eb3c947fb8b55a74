"""Nothing the user passes is modified, kept, or shared with the fitted model."""

import warnings

import numpy as np
import pytest
import torch
from conftest import FAST
from numpy.testing import assert_array_equal

from skdatn import DATNClassifier, DATNClassifierCV, Domain, Pairs


def _inputs(task, dtype):
    """Every input of a full DATN fit, as fresh C-contiguous arrays of ``dtype``
    (the layout most likely to be used without a copy)."""
    return {
        "X": np.ascontiguousarray(task.X, dtype=dtype),
        "y": task.y.copy(),
        "X_source": np.ascontiguousarray(task.X_source.X, dtype=dtype),
        "y_source": task.X_source.y.copy(),
        "pairs_source": np.ascontiguousarray(task.pairs.source, dtype=dtype),
        "pairs_target": np.ascontiguousarray(task.pairs.target, dtype=dtype),
        "X_unlabeled": np.ascontiguousarray(task.X_unlabeled.X, dtype=dtype),
        "X_test": np.ascontiguousarray(task.X_test, dtype=dtype),
    }


def _fit_kwargs(a, holders):
    if holders:
        return {
            "X_source": Domain(a["X_source"], a["y_source"]),
            "pairs": Pairs(a["pairs_source"], a["pairs_target"]),
            "X_unlabeled": Domain(a["X_unlabeled"]),
        }
    return {
        "X_source": a["X_source"],
        "y_source": a["y_source"],
        "pairs": (a["pairs_source"], a["pairs_target"]),
        "X_unlabeled": a["X_unlabeled"],
    }


def _arrays_of(obj, seen=None):
    """Every ndarray reachable from a fitted estimator's attributes (tensors,
    module parameters and buffers, scalers, lists and dicts included)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, torch.Tensor):
        yield obj.detach().cpu().numpy()
    elif isinstance(obj, torch.nn.Module):
        for t in [*obj.parameters(), *obj.buffers()]:
            yield from _arrays_of(t, seen)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _arrays_of(v, seen)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _arrays_of(v, seen)
    elif hasattr(obj, "__dict__"):
        for v in vars(obj).values():
            yield from _arrays_of(v, seen)


def _outputs(clf, a):
    return [
        clf.predict(a["X_test"]),
        clf.predict_proba(a["X_test"]),
        clf.decision_function(a["X_test"]),
        clf.transform(a["X_test"]),
        clf.transform_source(a["X_source"]),
    ]


@pytest.mark.parametrize("holders", [True, False], ids=["holders", "raw"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scaling", ["standard", "none"])
def test_inputs_are_unchanged_and_never_shared(task, holders, dtype, scaling):
    a = _inputs(task, dtype)
    copies = {k: v.copy() for k, v in a.items()}
    clf = DATNClassifier(**FAST, input_scaling=scaling)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SlicingRiskWarning: raw arrays
        clf.fit(a["X"], a["y"], **_fit_kwargs(a, holders))
    outputs = _outputs(clf, a)
    for name, value in a.items():
        assert_array_equal(value, copies[name], err_msg=name)
        assert value.dtype == copies[name].dtype
    fitted = list(_arrays_of({k: v for k, v in vars(clf).items() if k.endswith("_")}))
    assert len(fitted) > 10  # the walk reached the pathways and the scalers
    for name, value in a.items():
        for array in fitted + outputs:
            assert not np.shares_memory(array, value), name


def test_read_only_inputs_work_without_warnings(task):
    a = _inputs(task, np.float64)
    for value in a.values():
        value.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for scaling in ("standard", "none"):
            clf = DATNClassifier(**FAST, input_scaling=scaling).fit(
                a["X"], a["y"], **_fit_kwargs(a, holders=True)
            )
            _outputs(clf, a)


def test_cv_leaves_inputs_unchanged(task):
    a = _inputs(task, np.float64)
    copies = {k: v.copy() for k, v in a.items()}
    clf = DATNClassifierCV(alphas=[1.0], betas=[0.0, 1.0], cv=2, **FAST)
    clf.fit(a["X"], a["y"], **_fit_kwargs(a, holders=True))
    _outputs(clf, a)
    for name, value in a.items():
        assert_array_equal(value, copies[name], err_msg=name)
    for array in _arrays_of({k: v for k, v in vars(clf).items() if k.endswith("_")}):
        for name, value in a.items():
            assert not np.shares_memory(array, value), name
