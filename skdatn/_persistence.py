"""Saving and loading fitted DATN models without pickle.

A file holds one dict written by :func:`torch.save`: the pathways as
``state_dict`` tensors, every other fitted attribute and parameter as plain
data (str, int, float, bool, None, lists, tuples, dicts, tensors). It reads back
with ``torch.load(..., weights_only=True)``, which cannot run code from the file,
unlike :mod:`pickle`.
"""

from __future__ import annotations

import os
import warnings
from typing import IO, Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._datn import DATNClassifier
from ._datn_cv import DATNClassifierCV
from ._ensemble import SeedEnsembleClassifier
from ._preprocessing import InputScaler, make_scaler
from ._torch.networks import Pathway

__all__ = ["save", "load"]

#: Marks our files: ``load`` refuses a dict without it.
FORMAT = "skdatn.estimator"
#: Bumped when the layout changes; ``load`` refuses versions it does not know.
FORMAT_VERSION = 2  # 2: InputScaler (scale_, offset_); 1: never released

_CLASSES = {
    cls.__name__: cls
    for cls in (DATNClassifier, DATNClassifierCV, SeedEnsembleClassifier)
}
_TAG = "__skdatn__"  # key of the dicts that encode a non-plain value
_PLAIN = (type(None), bool, int, float, str)
#: Private attributes saved along with the fitted ones (ending in ``_``).
_PRIVATE_STATE = ("_n_features_out", "_sklearn_output_config")


def save(estimator: BaseEstimator, path: str | os.PathLike | IO[bytes]) -> None:
    """Save a fitted DATN model to a file that :func:`load` reads back.

    The file stores the pathways' ``state_dict`` and every other fitted
    attribute and parameter as plain data, so it loads with
    ``torch.load(..., weights_only=True)``: loading it cannot run code, unlike a
    pickle. The fitted pathways are on the CPU, so a model trained on a GPU
    loads on a machine without one.

    Parameters
    ----------
    estimator : DATNClassifier, DATNClassifierCV or SeedEnsembleClassifier
        A fitted estimator (an ensemble of either of the first two).
    path : str, path-like or binary file object
        Where to write.

    Raises
    ------
    TypeError
        If ``estimator`` is not a ``DATNClassifier``, a ``DATNClassifierCV``
        or a ``SeedEnsembleClassifier`` of them, or holds fitted scikit-learn
        transformers (``source_preprocessor``, ``target_preprocessor``): use
        :mod:`pickle` or :mod:`joblib` for those.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.

    Warns
    -----
    UserWarning
        When a parameter is not plain data (a ``RandomState`` instance as
        ``random_state``, a splitter as ``cv``, a callable ``scoring``): it is not
        saved and :func:`load` gives it its default value. The fitted model and
        its predictions are unaffected; only a refit would differ.

    See Also
    --------
    load : Read a model written by ``save``.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from skdatn import DATNClassifier, save, load
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 3)), np.arange(20) % 2
    >>> clf = DATNClassifier(hidden_layer_sizes=(4,), pretrain_epochs=5,
    ...                      random_state=0).fit(X, y)
    >>> buffer = io.BytesIO()  # or a path such as "model.pt"
    >>> save(clf, buffer)
    >>> _ = buffer.seek(0)
    >>> clone = load(buffer)
    >>> bool(np.array_equal(clone.predict_proba(X), clf.predict_proba(X)))
    True
    """
    check_is_fitted(estimator)
    content, replaced = _estimator_payload(estimator, None)
    if replaced:
        warnings.warn(
            f"save does not store parameters that are not plain data: "
            f"{', '.join(f'{k}={v}' for k, v in replaced.items())}. load gives them "
            f"their default values; the fitted model is unaffected (pickle or "
            f"joblib keep them).",
            UserWarning,
            stacklevel=2,
        )
    torch.save(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "skdatn_version": _version(),
            **content,
        },
        path,
    )


def _estimator_payload(estimator, name: str | None) -> tuple[dict, dict]:
    """The class, parameters and fitted state of one of skdatn's estimators as
    plain data, and the parameters left out (``{name: repr}``) because they are
    not plain data. An ensemble's copies and template are stored the same way."""
    cls = type(estimator)
    if _CLASSES.get(cls.__name__) is not cls:
        raise TypeError(
            f"save stores a DATNClassifier, a DATNClassifierCV or a "
            f"SeedEnsembleClassifier of them, got {cls.__name__}"
            f"{'' if name is None else f' (in {name})'}; use pickle or "
            f"joblib for other estimators."
        )
    fitted = [
        attribute
        for attribute in ("source_preprocessor_", "target_preprocessor_")
        if getattr(estimator, attribute, None) is not None
    ]
    if fitted:
        raise TypeError(
            f"save stores plain data only, and this model holds fitted scikit-learn "
            f"transformers ({', '.join(fitted)}): save it with joblib or pickle."
        )
    params, replaced = {}, {}
    for key, value in estimator.get_params(deep=False).items():
        if isinstance(value, torch.device):
            value = str(value)  # the same setting, as plain data
        try:
            params[key] = _encode(value, key)
        except TypeError:
            replaced[key] = repr(value)
    state = {
        key: _encode(value, key)
        for key, value in vars(estimator).items()
        if (key.endswith("_") and not key.startswith("__")) or key in _PRIVATE_STATE
    }
    content = {
        "class": cls.__name__,
        "params": params,
        "replaced_params": replaced,
        "state": state,
    }
    return content, replaced


def load(path: str | os.PathLike | IO[bytes]) -> BaseEstimator:
    """Load a model written by :func:`save`.

    The file is read with ``torch.load(..., weights_only=True)`` (no code from
    the file runs) onto the CPU.

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`save`.

    Returns
    -------
    estimator : DATNClassifier, DATNClassifierCV or SeedEnsembleClassifier
        The fitted estimator, predicting exactly as the saved one did.
        ``device_`` still names the device it was trained on; inference always
        runs on the CPU.

    Raises
    ------
    ValueError
        If the file was not written by :func:`save`, or by a version of skdatn
        whose file format this version does not know.

    See Also
    --------
    save : Write a fitted model.

    Examples
    --------
    >>> import io
    >>> from skdatn import load
    >>> load(io.BytesIO(b"not a model"))
    Traceback (most recent call last):
    ...
    ValueError: the file is not a model written by skdatn.save: ...
    """
    where = "the file" if hasattr(path, "read") else repr(os.fspath(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on foreign pickles
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise  # a missing file, a directory, ...: the OS's message is clear
    except Exception as exc:
        raise ValueError(
            f"{where} is not a model written by skdatn.save: torch.load(..., "
            f"weights_only=True) cannot read it ({type(exc).__name__})."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(
            f"{where} is not a model written by skdatn.save: it is a "
            f"{type(payload).__name__} without the {FORMAT!r} format marker."
        )
    version = payload.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{where} has an invalid format version {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{where} was written by skdatn {payload.get('skdatn_version')} in file "
            f"format version {version}; this skdatn ({_version()}) reads versions up "
            f"to {FORMAT_VERSION}. Upgrade skdatn to load it."
        )
    if version < FORMAT_VERSION:  # format 1 was never released
        raise ValueError(
            f"{where} was written by a development version of skdatn "
            f"({payload.get('skdatn_version')}) in file format version {version}, "
            f"which this skdatn ({_version()}) does not read. Fit the model again "
            f"and save it."
        )
    return _rebuild(payload, where)


def _rebuild(payload: dict, where: str):
    """The estimator that :func:`_estimator_payload` wrote."""
    cls = _CLASSES.get(payload.get("class"))
    if cls is None:
        raise ValueError(
            f"{where} holds a {payload.get('class')!r}; this skdatn loads "
            f"{sorted(_CLASSES)}."
        )
    try:
        params = _decode(payload["params"], where)
        state = _decode(payload["state"], where)
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(
            f"{where} is damaged: its model cannot be rebuilt ({type(exc).__name__}: "
            f"{exc})."
        ) from exc
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise ValueError(
            f"{where} sets parameters that this skdatn's {cls.__name__} does not "
            f"have: {unknown}."
        )
    estimator = cls(**params)
    for name, value in state.items():
        setattr(estimator, name, value)
    return estimator


def _version() -> str:
    from . import __version__

    return __version__


# ----------------------------------------------------------- plain encoding
def _encode(value: Any, name: str) -> Any:
    """``value`` as data that ``torch.load(weights_only=True)`` reads back."""
    if isinstance(value, np.generic):  # before _PLAIN: np.float64 is a float
        return {_TAG: "scalar", "dtype": value.dtype.str, "value": value.item()}
    if type(value) in _PLAIN:
        return value
    if isinstance(value, np.ma.MaskedArray):
        return {
            _TAG: "masked",
            "data": _encode(np.asarray(value.data), name),
            "mask": _encode(np.ma.getmaskarray(value), name),
        }
    if isinstance(value, np.ndarray):
        return _encode_array(value, name)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, Pathway):
        return {
            _TAG: "pathway",
            "n_features": value.encoder[0].in_features,
            "hidden": [layer.out_features for layer in value.encoder],
            "n_classes": value.classifier.out_features,
            "state_dict": {
                k: v.detach().cpu().clone() for k, v in value.state_dict().items()
            },
        }
    if isinstance(value, InputScaler):
        return {
            _TAG: "scaler",
            "kind": value.kind_,
            "attributes": {
                k: _encode(v, name) for k, v in vars(value).items() if k.endswith("_")
            },
        }
    if isinstance(value, BaseEstimator):  # an ensemble's template and copies
        return {_TAG: "estimator", **_estimator_payload(value, name)[0]}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, name) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        if _TAG in value or not all(type(k) in _PLAIN for k in value):
            raise TypeError(f"save cannot store the dict {name}: unsupported keys.")
        return {k: _encode(v, name) for k, v in value.items()}
    raise TypeError(f"save cannot store {name} of type {type(value).__name__}.")


def _encode_array(a: np.ndarray, name: str) -> dict:
    if a.dtype.kind in "biuf":
        # order="K" keeps the memory layout (G_ is Fortran-ordered): matrix
        # products, hence predictions, may differ in the last bit without it.
        tensor = torch.from_numpy(np.array(a, copy=True, order="K"))
        return {_TAG: "ndarray", "dtype": a.dtype.str, "tensor": tensor}
    if a.dtype.kind in "OU":  # labels, feature names: a list of plain items
        items = [v.item() if isinstance(v, np.generic) else v for v in a.ravel()]
        if not all(type(v) in _PLAIN for v in items):
            raise TypeError(
                f"save cannot store {name}: it holds values other than str, int, "
                f"float, bool and None."
            )
        return {_TAG: "ndarray", "dtype": a.dtype.str, "shape": a.shape, "items": items}
    raise TypeError(
        f"save cannot store {name}: arrays of dtype {a.dtype} are not supported."
    )


def _scaler(kind: str, attributes: dict) -> InputScaler:
    """The fitted scaler of a file."""
    scaler = make_scaler(kind)
    scaler.kind_ = kind
    for k, v in attributes.items():
        setattr(scaler, k, v)
    return scaler


def _decode(value: Any, where: str = "the file") -> Any:
    if isinstance(value, list):
        return [_decode(v, where) for v in value]
    if isinstance(value, tuple):
        return tuple(_decode(v, where) for v in value)
    if not isinstance(value, dict):
        return value
    kind = value.get(_TAG)
    if kind is None:
        return {k: _decode(v, where) for k, v in value.items()}
    if kind == "estimator":
        return _rebuild(value, where)
    if kind == "scalar":
        return np.dtype(value["dtype"]).type(value["value"])
    if kind == "ndarray":
        if "tensor" in value:
            return value["tensor"].numpy().astype(np.dtype(value["dtype"]), copy=False)
        out = np.empty(len(value["items"]), dtype=np.dtype(value["dtype"]))
        out[:] = value["items"]
        return out.reshape(value["shape"])
    if kind == "masked":
        return np.ma.MaskedArray(
            _decode(value["data"], where), mask=_decode(value["mask"], where)
        )
    if kind == "pathway":
        net = Pathway(
            value["n_features"], value["hidden"], value["n_classes"], torch.Generator()
        ).double()
        net.load_state_dict(value["state_dict"])
        return net.eval()
    if kind == "scaler":
        attributes = {k: _decode(v, where) for k, v in value["attributes"].items()}
        return _scaler(value["kind"], attributes)
    raise ValueError(f"Unknown encoded value {kind!r} in the file.")
