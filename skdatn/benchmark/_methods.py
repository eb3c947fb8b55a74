"""The benchmark's methods: DATN, its variants and controls, the target-only models and the baselines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import Bunch

from .. import (
    PAPER_SETTINGS,
    BalancedKFold,
    DATNClassifier,
    DATNClassifierCV,
    SeedEnsembleClassifier,
    held_out_log_loss,
)
from ..baselines import BASELINES
from ._controls import CONTROLS

#: The paper's grid for α and β (5-fold CV on the training set).
PAPER_GRID = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0)

#: The default search's settings, read once.
_SEARCH_DEFAULTS = DATNClassifierCV().get_params()

#: Selection grids for DATN's α and β (5-fold CV on the labelled target rows);
#: "small" is DATNClassifierCV's default.
GRIDS: dict[str, dict[str, list[float]] | None] = {
    "paper": {"alpha": list(PAPER_GRID), "beta": list(PAPER_GRID)},
    "small": {
        "alpha": list(_SEARCH_DEFAULTS["alphas"]),
        "beta": list(_SEARCH_DEFAULTS["betas"]),
    },
    "quick": {"alpha": [0.5, 2.0], "beta": [1.0]},
    "none": None,
}

# Quick mode's settings, for DATN and for any baseline that has them.
_QUICK_ESTIMATOR = dict(
    hidden_layer_sizes=(32, 16), pretrain_epochs=5, finetune_epochs=5
)
_SVM_C = [0.1, 1.0, 10.0, 100.0]
#: The weight α of the single fits that stand for the paper's DATN in the
#: analyses (Figures 3-5, no search): the paper's α=2.
ANALYSIS_ALPHA = 2.0
#: Networks averaged by DATN and its variants (SeedEnsembleClassifier).
DEFAULT_NETWORKS = 5


@dataclass(frozen=True)
class Method:
    """A method of the benchmark: how to build it, what it fits on, its params."""

    name: str
    build: Callable[[dict, int], Any]
    fit_inputs: Callable[[Bunch], dict]
    transfer: bool = True
    baseline: bool = False
    #: Run when no methods are named (False: only when named in ``methods``).
    default: bool = True
    #: Run when no methods are named in the unpaired protocol (it needs no pairs).
    unpaired: bool = False

    def describe(self, fitted) -> dict:
        if isinstance(fitted, SeedEnsembleClassifier):
            chosen = [self.describe(m) for m in fitted.estimators_]
            return {k: [c[k] for c in chosen] for k in chosen[0]} if chosen[0] else {}
        if isinstance(fitted, DATNClassifierCV):
            # variant: "DATN"/"DATN_sup", or "SSDAE" where the guard fell back;
            # transfer_weight: the guard's weight of the transfer model.
            return {
                **_plain_dict(fitted.best_params_),
                "variant": fitted.variant_,
                "transfer_weight": float(fitted.transfer_weight_),
            }
        if isinstance(fitted, GridSearchCV):
            return _plain_dict(fitted.best_params_)
        return {}


def _all_inputs(task: Bunch) -> dict:
    return dict(task.fit_params)


def _no_inputs(task: Bunch) -> dict:
    return {}


def _control_inputs(control: Callable[[Bunch, int], Bunch]):
    """DATN's fit inputs with the source made useless by ``control`` (seeded by
    the split's seed): see :mod:`skdatn.benchmark._controls`."""

    def fit_inputs(task: Bunch) -> dict:
        return dict(control(task, task.seed).fit_params)

    return fit_inputs


def _ensembled(build: Callable[[dict, int], Any]) -> Callable[[dict, int], Any]:
    """``build``, averaged over ``ctx["networks"]`` seeds when that is above 1."""

    def build_ensemble(ctx: dict, seed: int):
        estimator = build(ctx, seed)
        networks = ctx.get("networks", 1)
        if networks == 1:
            return estimator
        # A line per network: a five-network fit takes minutes.
        verbose = int(ctx.get("progress", False))
        return SeedEnsembleClassifier(
            estimator, networks, random_state=seed, verbose=verbose
        )

    return build_ensemble


def _datn_factory(**fixed) -> Callable[[dict, int], DATNClassifier]:
    def build(ctx: dict, seed: int) -> DATNClassifier:
        return DATNClassifier(**{**ctx["estimator_kwargs"], **fixed}, random_state=seed)

    return build


def _datn_cv_factory(**fixed) -> Callable[[dict, int], Any]:
    """DATN with α (and β unless ``fixed``) chosen by 5-fold CV over the grid."""

    def build(ctx: dict, seed: int):
        estimator = _datn_factory(**fixed)(ctx, seed)
        grid = GRIDS[ctx["grid"]]
        if grid is None:
            return estimator
        grid = {**grid, **{k: [v] for k, v in fixed.items()}}
        # The selection of GridSearchCV over the grid, with the pretraining shared.
        params = {
            k: v
            for k, v in estimator.get_params().items()
            if k not in ("alpha", "beta")
        }
        return DATNClassifierCV(
            alphas=grid["alpha"],
            betas=grid["beta"],
            cv=BalancedKFold(min(5, ctx["n_labeled"]), random_state=seed),
            scoring=held_out_log_loss,
            n_jobs=ctx["n_jobs"],
            **params,
        )

    return build


def _build_svm(ctx: dict, seed: int):
    pipe = make_pipeline(StandardScaler(with_mean=not ctx["sparse"]), SVC())
    return GridSearchCV(
        pipe,
        {"svc__C": _SVM_C},
        cv=BalancedKFold(min(5, ctx["n_labeled"]), random_state=seed),
    )


BUILTIN_METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        # The paper's DATN: skdatn's extensions beyond it off (PAPER_SETTINGS).
        Method("DATN", _ensembled(_datn_cv_factory(**PAPER_SETTINGS)), _all_inputs),
        # The estimators' defaults: DATN with skdatn's extensions.
        Method(
            "DATN_plus",
            _ensembled(_datn_cv_factory()),
            _all_inputs,
            default=False,
            unpaired=True,
        ),
        Method(
            "DATN_sup",
            _ensembled(_datn_cv_factory(**PAPER_SETTINGS, beta=0.0)),
            _all_inputs,
        ),
        # A control shows a collapse (or the fallback), not a 0.02 difference:
        # the paper's DATN's full selection, one network.
        *(
            Method(name, _datn_cv_factory(**PAPER_SETTINGS), _control_inputs(control))
            for name, control in CONTROLS.items()
        ),
        # The noise control of the defaults (DATN_plus's search, one network):
        # the unpaired protocol's control.
        Method(
            "NoiseSource_plus",
            _datn_cv_factory(),
            _control_inputs(CONTROLS["NoiseSource"]),
            default=False,
            unpaired=True,
        ),
        # The paper's variants and target-only models (the extensions need a
        # source and the asymmetric transfer; they are off, as in the paper).
        Method(
            "DATN_unsup",
            _ensembled(_datn_factory(**PAPER_SETTINGS, asymmetric=False)),
            _all_inputs,
        ),
        Method(
            "SSDAE",
            _ensembled(_datn_factory(**PAPER_SETTINGS)),
            lambda task: {"X_unlabeled": task.fit_params["X_unlabeled"]},
            transfer=False,
        ),
        Method(
            "DNN",
            _ensembled(_datn_factory(**PAPER_SETTINGS, recon_weight=0.0)),
            _no_inputs,
            transfer=False,
        ),
        Method("SVM", _build_svm, _no_inputs, transfer=False, unpaired=True),
    )
}


def baseline_classes() -> dict[str, type]:
    """The transfer baselines the benchmark runs: ``skdatn.baselines.BASELINES``
    (benchmark name to class)."""
    return dict(BASELINES)


def _baseline_method(name: str, cls: type, control=None) -> Method:
    """A baseline of the benchmark: seeded, shrunk in quick mode, fitted on
    every transfer input (the baselines share DATNClassifier's fit signature).

    With ``control`` (a function of :mod:`~skdatn.benchmark._controls`), the
    baseline's control: fitted on the inputs with the source made useless, run
    by default in the unpaired protocol only (``NoiseSource_<name>``).
    """

    def build(ctx: dict, seed: int):
        params = cls().get_params()
        kwargs = {"random_state": seed} if "random_state" in params else {}
        if ctx.get("quick"):
            kwargs.update({k: v for k, v in _QUICK_ESTIMATOR.items() if k in params})
        return cls(**kwargs)

    return Method(
        name,
        build,
        _all_inputs if control is None else _control_inputs(control),
        baseline=True,
        default=control is None,
        unpaired=not getattr(cls, "_needs_pairs", False),
    )


def available_methods() -> dict[str, Method]:
    """The built-in methods followed by the baselines."""
    methods = dict(BUILTIN_METHODS)
    classes = baseline_classes()
    for name, cls in classes.items():
        if name not in methods:
            methods[name] = _baseline_method(name, cls)
    # The noise controls of the baselines that need no pairs (the unpaired
    # protocol's): does their lead over the target-only models come from the source?
    for name, cls in classes.items():
        control = f"NoiseSource_{name}"
        if not getattr(cls, "_needs_pairs", False) and control not in methods:
            methods[control] = _baseline_method(control, cls, CONTROLS["NoiseSource"])
    return methods


def resolve_methods(
    names: Sequence[str] | None, *, baselines: bool = True, unpaired: bool = False
) -> list[Method]:
    """Look the given method names up (case-insensitive).

    None means every method run by default (not ``DATN_plus``, DATN with
    skdatn's extensions beyond the paper as ``DATNClassifierCV`` has them by
    default, which runs when named), without the baselines when ``baselines``
    is False. In the unpaired protocol (``unpaired``) the default methods are
    those that need no pairs: SVM, the baselines that need none and their noise
    controls (``NoiseSource_CDLS``, ...), ``DATN_plus`` and its noise control
    ``NoiseSource_plus``.
    """
    methods = available_methods()
    if names is None:
        chosen = "unpaired" if unpaired else "default"
        return [
            m
            for m in methods.values()
            if getattr(m, chosen) and (baselines or not m.baseline)
        ]
    lookup = {k.lower(): v for k, v in methods.items()}
    out = []
    for name in names:
        if name.lower() not in lookup:
            raise ValueError(
                f"Unknown method {name!r}; available methods: {list(methods)}."
            )
        out.append(lookup[name.lower()])
    return out


def _plain_dict(params: dict) -> dict:
    return {k: _plain(v) for k, v in params.items()}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value
