"""Persistence: pickle/joblib round trips, skdatn.save/load, CPU-only loading."""

import io
import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import torch
from conftest import FAST
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import KFold

from skdatn import (
    DATNClassifier,
    DATNClassifierCV,
    Domain,
    SeedEnsembleClassifier,
    load,
    save,
)
from skdatn._persistence import FORMAT, FORMAT_VERSION
from skdatn.baselines import ShallowMapClassifier, WSDTNClassifier


def _outputs(clf, task):
    """Everything a fitted model computes, to compare two models exactly."""
    out = {
        "proba": clf.predict_proba(task.X_test),
        "predict": clf.predict(task.X_test),
        "decision": clf.decision_function(task.X_test),
        "transform": clf.transform(task.X_test),
    }
    if clf.source_net_ is not None:
        out["source"] = clf.transform_source(task.X_source.X)
    return out


def assert_same_model(a, b, task):
    for key, value in _outputs(a, task).items():
        assert_array_equal(value, _outputs(b, task)[key], err_msg=key)
    assert_array_equal(a.classes_, b.classes_)
    assert a.classes_.dtype == b.classes_.dtype
    assert_array_equal(a.G_, b.G_)
    assert a.history_ == b.history_
    for name in ("n_features_in_", "n_source_features_in_", "variant_", "n_iter_"):
        assert getattr(a, name) == getattr(b, name), name

    # NaN (error_score's default) is the same setting on both sides.
    def settings(estimator):
        return {
            k: "NaN" if isinstance(v, float) and np.isnan(v) else v
            for k, v in estimator.get_params().items()
        }

    assert settings(a) == settings(b)


VARIANTS = {
    "DATN": ({}, True),
    "DATN_unsup": ({"asymmetric": False}, True),
    "SSDAE": ({}, False),
    "DATN-l2-scaling": ({"input_scaling": "l2"}, True),
    "DATN-maxabs-scaling": ({"input_scaling": "maxabs"}, True),
    "DATN-no-scaling": ({"input_scaling": None}, True),
}


def _fit_variant(task, name):
    params, with_source = VARIANTS[name]
    clf = DATNClassifier(**{**FAST, **params})
    if with_source:
        return clf.fit(task.X, task.y, **task.fit_params)
    return clf.fit(task.X, task.y, X_unlabeled=task.X_unlabeled)


def _save_load(clf, tmp_path):
    path = tmp_path / "model.pt"
    save(clf, path)
    return load(path)


ROUND_TRIPS = {
    "pickle": lambda clf, tmp_path: pickle.loads(pickle.dumps(clf)),
    "joblib": lambda clf, tmp_path: (
        joblib.dump(clf, tmp_path / "model.joblib"),
        joblib.load(tmp_path / "model.joblib"),
    )[1],
    "skdatn.save": _save_load,
}


@pytest.mark.parametrize("how", list(ROUND_TRIPS))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_round_trip_gives_identical_predictions(task, tmp_path, how, variant):
    clf = _fit_variant(task, variant)
    loaded = ROUND_TRIPS[how](clf, tmp_path)
    assert type(loaded) is DATNClassifier
    assert_same_model(clf, loaded, task)


@pytest.mark.parametrize("how", list(ROUND_TRIPS))
def test_cv_round_trip(task, tmp_path, how):
    clf = DATNClassifierCV(alphas=[0.5, 2.0], betas=[0.0, 1.0], cv=2, **FAST).fit(
        task.X, task.y, **task.fit_params
    )
    loaded = ROUND_TRIPS[how](clf, tmp_path)
    assert type(loaded) is DATNClassifierCV
    assert_same_model(clf, loaded, task)
    assert loaded.best_params_ == clf.best_params_
    assert loaded.n_pretrainings_ == clf.n_pretrainings_
    assert set(loaded.cv_results_) == set(clf.cv_results_)
    for key, value in clf.cv_results_.items():
        if isinstance(value, np.ndarray):
            assert_array_equal(loaded.cv_results_[key], value, err_msg=key)
            assert loaded.cv_results_[key].dtype == value.dtype, key
        else:
            assert loaded.cv_results_[key] == value
    assert isinstance(loaded.cv_results_["param_alpha"], np.ma.MaskedArray)


def test_save_keeps_labels_feature_names_and_output_config(task, tmp_path):
    pd = pytest.importorskip("pandas")
    names = np.array(["ant", "bee", "cat"], dtype=object)
    X = pd.DataFrame(task.X, columns=[f"f{i}" for i in range(task.X.shape[1])])
    ys = task.X_source.y
    y_source = np.where(ys == -1, None, names[np.clip(ys, 0, None)]).astype(object)
    clf = DATNClassifier(**FAST).fit(
        X,
        names[task.y],
        X_source=Domain(task.X_source.X, y_source),
        pairs=task.pairs,
        X_unlabeled=task.X_unlabeled,
    )
    clf.set_output(transform="pandas")
    loaded = _save_load(clf, tmp_path)
    X_test = pd.DataFrame(task.X_test, columns=X.columns)
    assert_array_equal(loaded.predict(X_test), clf.predict(X_test))
    assert loaded.classes_.dtype == object and list(loaded.classes_) == list(names)
    assert_array_equal(loaded.feature_names_in_, X.columns)
    assert isinstance(loaded.transform(X_test), pd.DataFrame)


def test_saved_file_loads_with_torch_weights_only(task, tmp_path):
    """The file is plain data and tensors: torch's safe loader reads it as is."""
    clf = _fit_variant(task, "DATN")
    path = tmp_path / "model.pt"
    save(clf, path)
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == FORMAT and payload["format_version"] == FORMAT_VERSION
    assert payload["class"] == "DATNClassifier"
    state_dict = payload["state"]["target_net_"]["state_dict"]
    assert set(state_dict) == set(clf.target_net_.state_dict())


def test_save_to_a_file_object_and_a_loaded_model_refits(task):
    clf = _fit_variant(task, "DATN")
    buffer = io.BytesIO()
    save(clf, buffer)
    buffer.seek(0)
    loaded = load(buffer)
    assert_same_model(clf, loaded, task)
    # Its parameters are valid: it clones and refits.
    refit = clone(loaded).fit(task.X, task.y, **task.fit_params)
    assert_array_equal(refit.predict_proba(task.X_test), clf.predict_proba(task.X_test))


def test_parameters_that_are_not_plain_data(task, tmp_path):
    clf = DATNClassifier(
        **{
            **FAST,
            "random_state": np.random.RandomState(0),
            "device": torch.device("cpu"),
        }
    ).fit(task.X, task.y, **task.fit_params)
    with pytest.warns(UserWarning, match=r"random_state=RandomState\(MT19937\)"):
        loaded = _save_load(clf, tmp_path)
    assert loaded.random_state is None  # the default
    assert loaded.device == "cpu"  # a torch.device is kept as its string
    assert_array_equal(
        loaded.predict_proba(task.X_test), clf.predict_proba(task.X_test)
    )
    cv = DATNClassifierCV(
        alphas=[1.0], betas=[1.0], cv=KFold(2, shuffle=True, random_state=0), **FAST
    ).fit(task.X, task.y, **task.fit_params)
    with pytest.warns(UserWarning, match=r"cv=KFold\(n_splits=2"):
        assert _save_load(cv, tmp_path).cv == 5


def _torch_file(obj) -> io.BytesIO:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def _payload(task):
    clf = _fit_variant(task, "SSDAE")
    buffer = io.BytesIO()
    save(clf, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


LOAD_CASES = {
    "random-bytes": (
        lambda task: io.BytesIO(b"not a model at all"),
        "the file is not a model written by skdatn.save: torch.load",
    ),
    "a-pickle": (
        lambda task: io.BytesIO(pickle.dumps({"format": FORMAT})),
        "the file is not a model written by skdatn.save: torch.load",
    ),
    "a-pickled-estimator": (
        lambda task: io.BytesIO(pickle.dumps(_fit_variant(task, "SSDAE"))),
        "the file is not a model written by skdatn.save",
    ),
    "a-state-dict": (
        lambda task: _torch_file(_fit_variant(task, "SSDAE").target_net_.state_dict()),
        "the file is not a model written by skdatn.save: it is a OrderedDict "
        "without the 'skdatn.estimator' format marker",
    ),
    "a-list": (
        lambda task: _torch_file([1, 2]),
        "it is a list without the 'skdatn.estimator' format marker",
    ),
    "a-future-version": (
        lambda task: _torch_file(
            {**_payload(task), "format_version": FORMAT_VERSION + 1}
        ),
        rf"in file format version {FORMAT_VERSION + 1}; this skdatn .* reads versions "
        rf"up to {FORMAT_VERSION}. Upgrade skdatn",
    ),
    "a-bad-version": (
        lambda task: _torch_file({**_payload(task), "format_version": "1"}),
        "has an invalid format version '1'",
    ),
    "an-unknown-class": (
        lambda task: _torch_file({**_payload(task), "class": "Pipeline"}),
        r"holds a 'Pipeline'; this skdatn loads \['DATNClassifier', 'DATNClassifierCV', "
        r"'SeedEnsembleClassifier'\]",
    ),
    "an-unknown-parameter": (
        lambda task: _torch_file(
            {**_payload(task), "params": {**_payload(task)["params"], "gamma": 1.0}}
        ),
        r"sets parameters that this skdatn's DATNClassifier does not have: \['gamma'\]",
    ),
    "a-damaged-state": (
        lambda task: _torch_file(
            {**_payload(task), "state": {"G_": {"__skdatn__": "ndarray"}}}
        ),
        "the file is damaged: its model cannot be rebuilt",
    ),
}


@pytest.mark.parametrize("case", list(LOAD_CASES))
def test_load_refuses_files_that_are_not_ours(task, case):
    make, match = LOAD_CASES[case]
    with pytest.raises(ValueError, match=match) as info:
        load(make(task))
    assert type(info.value) is ValueError


def test_load_names_the_path_and_keeps_os_errors(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"'.*notes.txt' is not a model written by"):
        load(path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.pt")


@pytest.mark.parametrize("how", list(ROUND_TRIPS))
def test_seed_ensemble_round_trip(task, tmp_path, how):
    net = DATNClassifier(**{**FAST, "pretrain_epochs": 5, "finetune_epochs": 5})
    clf = SeedEnsembleClassifier(net, n_estimators=2, random_state=0).fit(
        task.X, task.y, **task.fit_params
    )
    loaded = ROUND_TRIPS[how](clf, tmp_path)
    assert type(loaded) is SeedEnsembleClassifier
    assert_array_equal(loaded.seeds_, clf.seeds_)
    assert loaded.estimator.get_params() == net.get_params()
    assert all(type(m) is DATNClassifier for m in loaded.estimators_)
    assert_array_equal(
        loaded.predict_proba(task.X_test), clf.predict_proba(task.X_test)
    )
    assert_array_equal(loaded.transform(task.X_test), clf.transform(task.X_test))
    assert_array_equal(loaded.get_feature_names_out(), clf.get_feature_names_out())


def test_save_refuses_an_ensemble_of_other_estimators(task, tmp_path):
    member = WSDTNClassifier(pretrain_epochs=2)
    clf = SeedEnsembleClassifier(member, n_estimators=2)
    clf.fit(task.X, task.y, **task.fit_params)
    with pytest.raises(TypeError, match=r"got WSDTNClassifier \(in estimators_\)"):
        save(clf, tmp_path / "m.pt")


def test_save_refuses_unfitted_and_foreign_estimators(task, tmp_path):
    with pytest.raises(NotFittedError):
        save(DATNClassifier(), tmp_path / "m.pt")
    baseline = ShallowMapClassifier().fit(task.X, task.y, **task.fit_params)
    with pytest.raises(
        TypeError, match="got ShallowMapClassifier; use pickle or joblib"
    ):
        save(baseline, tmp_path / "m.pt")

    class MyDATN(DATNClassifier):
        pass

    sub = MyDATN(**FAST).fit(task.X, task.y)
    with pytest.raises(TypeError, match="got MyDATN"):
        save(sub, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def _tensor_devices(obj) -> set[str]:
    """The device of every tensor that pickling ``obj`` writes."""
    devices: set[str] = set()

    class Recorder(pickle.Pickler):
        def reducer_override(self, value):
            if isinstance(value, torch.Tensor):
                devices.add(value.device.type)
            return NotImplemented

    Recorder(io.BytesIO()).dump(obj)
    return devices


def test_pickled_state_holds_only_cpu_tensors(task):
    clf = _fit_variant(task, "DATN")
    assert _tensor_devices(clf) == {"cpu"}


_LOAD_ON_CPU = textwrap.dedent(
    """
    import pickle, sys
    import numpy as np, torch
    import skdatn
    assert not torch.cuda.is_available()
    X_test = np.load(sys.argv[3])
    with open(sys.argv[1], "rb") as f:
        pickled = pickle.load(f)
    saved = skdatn.load(sys.argv[2])
    assert pickled.device_ == saved.device_ == "cuda"
    np.save(sys.argv[4], np.stack([pickled.predict_proba(X_test), saved.predict_proba(X_test)]))
    """
)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU to train on"
)
def test_gpu_trained_model_loads_on_a_cpu_only_machine(task, tmp_path):
    clf = DATNClassifier(**FAST, device="cuda").fit(task.X, task.y, **task.fit_params)
    assert clf.device_ == "cuda"
    assert _tensor_devices(clf) == {"cpu"}
    expected = clf.predict_proba(task.X_test)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(clf))
    save(clf, tmp_path / "model.pt")
    np.save(tmp_path / "X_test.npy", task.X_test)
    # A fresh interpreter that sees no GPU plays the CPU-only machine.
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_ON_CPU,
            *(str(tmp_path / n) for n in ("model.pkl", "model.pt", "X_test.npy")),
            str(tmp_path / "proba.npy"),
        ],
        env=env,
        check=True,
    )
    pickled, saved = np.load(tmp_path / "proba.npy")
    assert_array_equal(pickled, expected)
    assert_array_equal(saved, expected)


def test_a_model_named_as_trained_on_gpu_predicts_on_cpu(task, tmp_path):
    """``device_`` is a record of where training ran; inference never reads it."""
    clf = _fit_variant(task, "DATN")
    expected = clf.predict_proba(task.X_test)
    clf.device_ = "cuda:3"
    for loaded in (pickle.loads(pickle.dumps(clf)), _save_load(clf, tmp_path)):
        assert loaded.device_ == "cuda:3"
        assert_array_equal(loaded.predict_proba(task.X_test), expected)


def test_holders_pickle(task):
    """Holders cross process boundaries (joblib workers) intact."""
    holder = pickle.loads(pickle.dumps(Domain(task.X_source.X, task.X_source.y)))
    assert_array_equal(holder.X, task.X_source.X)
    assert_array_equal(holder.y, task.X_source.y)
    pairs = pickle.loads(pickle.dumps(task.pairs))
    assert_array_equal(pairs.target, task.pairs.target)


def test_files_of_the_unreleased_format_1_are_refused_clearly(task):
    clf = _fit_variant(task, "DATN")
    buffer = io.BytesIO()
    save(clf, buffer)
    buffer.seek(0)
    payload = torch.load(buffer, weights_only=True)
    payload["format_version"] = 1
    with pytest.raises(ValueError, match="format version 1.*Fit the model again"):
        load(_torch_file(payload))
