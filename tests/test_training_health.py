"""A diverging fit stops with TrainingDivergedError, keeps its log, returns no model."""

import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from conftest import FAST
from sklearn.exceptions import NotFittedError

from skdatn import DATNClassifier, DATNClassifierCV, TrainingDivergedError
from skdatn._torch.training import TrainingConfig, run_stage

#: Plain SGD with a huge step: the weights blow up within a few epochs.
EXPLODE = {"solver": "sgd", "learning_rate": 1e6}

STAGE_WORDS = {
    "pretrain_source": "pretraining of the source pathway",
    "pretrain_target": "pretraining of the target pathway",
    "finetune": "fine-tuning",
}


def _fit(task, stage, **params):
    """A fit set up to diverge in ``stage``."""
    if stage == "pretrain_source":
        return DATNClassifier(**{**FAST, **EXPLODE, **params}).fit(
            task.X, task.y, **task.fit_params
        )
    if stage == "pretrain_target":  # target-only: the target pathway comes first
        return DATNClassifier(**{**FAST, **EXPLODE, **params}).fit(task.X, task.y)
    # No pretraining: fine-tuning is the first stage that trains.
    return DATNClassifier(**{**FAST, **EXPLODE, "pretrain_epochs": 0, **params}).fit(
        task.X, task.y, **task.fit_params
    )


@pytest.mark.parametrize("stage", list(STAGE_WORDS))
def test_divergence_names_stage_and_epoch_and_keeps_history(task, stage):
    with pytest.raises(TrainingDivergedError) as info:
        _fit(task, stage)
    exc = info.value
    assert exc.stage == stage
    message = str(exc)
    assert STAGE_WORDS[stage] in message
    assert f"at epoch {exc.epoch}:" in message
    assert "Try a smaller learning_rate (it is 1e+06)" in message
    # The log up to the failure, the failing epoch last.
    history = exc.history
    assert history[-1]["stage"] == stage and history[-1]["epoch"] == exc.epoch
    assert not math.isfinite(history[-1]["loss"])
    assert all(math.isfinite(r["loss"]) for r in history[:-1])
    assert [r["epoch"] for r in history if r["stage"] == stage] == list(
        range(1, exc.epoch + 1)
    )


def test_diverged_estimator_has_history_but_no_model(task):
    clf = DATNClassifier(**{**FAST, **EXPLODE})
    with pytest.raises(TrainingDivergedError) as info:
        clf.fit(task.X, task.y, **task.fit_params)
    assert clf.history_ == info.value.history
    fitted = [k for k in vars(clf) if k.endswith("_")]
    assert fitted == ["history_"]
    with pytest.raises(NotFittedError):
        clf.predict(task.X_test)


def test_refit_that_diverges_discards_the_earlier_model(task):
    """A good fit, then a diverging refit: no mix of old pathways and new
    scalers or classes is left behind."""
    clf = DATNClassifier(**FAST).fit(task.X, task.y, **task.fit_params)
    assert clf.predict(task.X_test).shape == (task.X_test.shape[0],)
    clf.set_params(**EXPLODE)
    with pytest.raises(TrainingDivergedError):
        clf.fit(task.X, task.y, **task.fit_params)
    with pytest.raises(NotFittedError):
        clf.predict(task.X_test)
    # ... and a sane refit works again.
    clf.set_params(
        **{k: FAST.get(k, DATNClassifier().get_params()[k]) for k in EXPLODE}
    )
    proba = clf.fit(task.X, task.y, **task.fit_params).predict_proba(task.X_test)
    assert np.isfinite(proba).all()


def test_cv_divergence_leaves_cv_unfitted_with_history(task):
    params = {"alphas": [1.0], "betas": [1.0], "cv": 2, **FAST, **EXPLODE}
    clf = DATNClassifierCV(error_score="raise", **params)
    with pytest.raises(TrainingDivergedError) as info:
        clf.fit(task.X, task.y, **task.fit_params)
    assert clf.history_ == info.value.history
    with pytest.raises(NotFittedError):
        clf.predict(task.X_test)
    # With error_score's default, every fit failed: the search says so, and a
    # fitted search fitted again is left unfitted.
    clf = DATNClassifierCV(**{**params, "solver": "adam", "learning_rate": 0.01})
    clf.fit(task.X, task.y, **task.fit_params)
    clf.set_params(**EXPLODE)
    with pytest.raises(ValueError, match="All the 2 fits failed"):
        clf.fit(task.X, task.y, **task.fit_params)
    assert not hasattr(clf, "cv_results_") and not hasattr(clf, "history_")
    with pytest.raises(NotFittedError):
        clf.predict(task.X_test)


def test_divergence_error_pickles_with_its_details(task):
    with pytest.raises(TrainingDivergedError) as info:
        _fit(task, "finetune")
    clone = pickle.loads(pickle.dumps(info.value))
    assert (clone.stage, clone.epoch, str(clone)) == (
        info.value.stage,
        info.value.epoch,
        str(info.value),
    )
    assert len(clone.history) == len(info.value.history)
    assert isinstance(clone, FloatingPointError)


def _config(**changes):
    values = {
        "pretrain_epochs": 5,
        "finetune_epochs": 5,
        "solver": "sgd",
        "learning_rate": 0.1,
        "batch_size": None,
        "tol": 0.0,
        "n_iter_no_change": None,
        "alpha": 1.0,
        "beta": 1.0,
        "intra_weight": 1.0,
        "recon_weight": 0.1,
        "lambda_reg": 0.0,
        "lambda_pair": 0.1,
        "mmd_target": "encoded",
        "asymmetric": True,
        "verbose": 0,
        "generator": torch.Generator().manual_seed(0),
    }
    values.update(changes)
    return TrainingConfig(**values)


def test_a_nan_weight_with_a_finite_loss_is_caught():
    """The loss is computed before the step: a step can make a weight NaN while
    the logged loss is still finite. The epoch's end check catches it."""
    w = torch.ones(3, requires_grad=True)

    def steps(epoch):
        loss = (w**2).sum()
        if epoch == 2:
            # sqrt at 0: the value is 0 (finite), its gradient is infinite.
            loss = loss + torch.sqrt(w[0] - w[0].detach())
        yield {"loss": loss}

    history = []
    with pytest.raises(TrainingDivergedError, match="a weight became NaN or infinite"):
        run_stage("pretrain_target", [w], 5, steps, _config(), history)
    assert [r["epoch"] for r in history] == [1, 2]
    assert not torch.isfinite(w).all()


def test_finite_training_records_every_epoch():
    w = torch.ones(3, requires_grad=True)

    def steps(epoch):
        yield {"loss": (w**2).sum()}

    history = []
    assert run_stage("finetune", [w], 4, steps, _config(), history) == 4
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    assert all(math.isfinite(r["loss"]) for r in history)


def test_pretraining_stopped_by_its_epoch_limit_warns(task):
    from sklearn.exceptions import ConvergenceWarning

    params = dict(hidden_layer_sizes=(8,), finetune_epochs=2, random_state=0)
    with pytest.warns(ConvergenceWarning, match="pretrain_epochs=3 epochs with its"):
        DATNClassifier(pretrain_epochs=3, **params).fit(
            task.X, task.y, **task.fit_params
        )
    # Early stopping off: the epochs are the user's choice, no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        DATNClassifier(pretrain_epochs=3, n_iter_no_change=None, **params).fit(
            task.X, task.y, **task.fit_params
        )
        # A plateau reached well within the limit: no warning either.
        DATNClassifier(pretrain_epochs=300, n_iter_no_change=2, tol=0.5, **params).fit(
            task.X, task.y, **task.fit_params
        )
