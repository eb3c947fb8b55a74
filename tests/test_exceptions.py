"""skdatn.exceptions: every public warning and error class, in one module."""

import inspect
import pickle

import skdatn
from skdatn import exceptions


def test_every_warning_and_error_lives_in_exceptions():
    public = {
        name
        for name, obj in vars(skdatn).items()
        if inspect.isclass(obj) and issubclass(obj, (Warning, Exception))
    }
    assert public == set(exceptions.__all__)
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert getattr(skdatn, name) is cls
        assert cls.__module__ == "skdatn.exceptions"


def test_training_diverged_error_pickles_with_its_record():
    error = exceptions.TrainingDivergedError("boom", "finetune", 3, [{"loss": 1.0}])
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.stage, again.epoch, again.history) == (
        "boom",
        "finetune",
        3,
        [{"loss": 1.0}],
    )
