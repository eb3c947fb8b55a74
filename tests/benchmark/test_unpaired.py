"""The benchmark's unpaired protocol: the pairs withheld, the methods that need none."""

import json

import numpy as np
import pytest
from conftest import DATA_DIR, needs_data

from skdatn.benchmark import build_task, parse_task, run_benchmark
from skdatn.benchmark.__main__ import main
from skdatn.benchmark._controls import noise_source
from skdatn.benchmark._methods import resolve_methods
from skdatn.benchmark._runner import row_key
from skdatn.benchmark._tasks import UNPAIRED_TASKS, _DataCache, without_pairs


def test_the_unpaired_protocol_runs_the_methods_that_need_no_pairs():
    names = {m.name for m in resolve_methods(None, unpaired=True)}
    assert names == {
        "SVM",
        "DATN_plus",
        "NoiseSource_plus",
        "CDLS",
        "CDSPP",
        "NoiseSource_CDLS",
        "NoiseSource_CDSPP",
    }
    # The paired protocol's defaults are unchanged by it.
    paired = {m.name for m in resolve_methods(None)}
    assert not {"NoiseSource_plus", "DATN_plus", "NoiseSource_CDSPP"} & paired
    assert {"CCA", "TTI", "HHTL", "ShallowMap", "WSDTN"} <= paired


def test_a_baselines_noise_control_fits_it_on_the_noise_source():
    data = _DataCache(None).get("mfeat")
    split = without_pairs(build_task(parse_task("mfeat:fac>fou"), data, 0))
    split.seed = 0
    methods = {m.name: m for m in resolve_methods(["CDSPP", "NoiseSource_CDSPP"])}
    real = methods["CDSPP"].fit_inputs(split)
    noise = methods["NoiseSource_CDSPP"].fit_inputs(split)
    expected = noise_source(split, 0).fit_params["X_source"]
    np.testing.assert_array_equal(noise["X_source"].X, expected.X)
    np.testing.assert_array_equal(noise["X_source"].y, real["X_source"].y)
    assert not np.allclose(noise["X_source"].X, real["X_source"].X)
    assert noise["X_unlabeled"] is real["X_unlabeled"]  # the target side kept
    assert methods["NoiseSource_CDSPP"].baseline


def test_without_pairs_withholds_the_pairs_and_nothing_else():
    data = _DataCache(None).get("mfeat")
    split = build_task(parse_task("mfeat:fac>fou"), data, 0)
    unpaired = without_pairs(split)
    assert unpaired.pairs is None and "pairs" not in unpaired.fit_params
    assert split.pairs is not None and "pairs" in split.fit_params  # not modified
    assert unpaired.fit_params["X_source"] is split.fit_params["X_source"]
    noisy = noise_source(unpaired, 0)
    assert "pairs" not in noisy.fit_params
    assert noisy.X_source.X.shape == split.X_source.X.shape
    assert not np.allclose(noisy.X_source.X, split.X_source.X)


def test_unpaired_rows_are_marked_and_kept_apart_from_the_paired_ones():
    paired = run_benchmark(
        ["mfeat:fac>fou"], ["SVM", "DATN_plus"], quick=True, progress=None
    )
    unpaired = run_benchmark(
        ["mfeat:fac>fou"],
        ["SVM", "DATN_plus", "NoiseSource_plus"],
        quick=True,
        unpaired=True,
        progress=None,
    )
    assert all(r.get("error") is None for r in unpaired), unpaired
    assert all(r["protocol"] == "unpaired" for r in unpaired)
    assert all("protocol" not in r for r in paired)
    # The SVM does not use the pairs: the same accuracy either way.
    assert paired[0]["accuracy"] == unpaired[0]["accuracy"]
    # The transfer model does: another fit.
    assert row_key(paired[1]) != row_key(unpaired[1])


def test_cli_unpaired_keeps_its_results_apart(tmp_path, capsys):
    out = tmp_path / "rows.json"
    args = ["--quick", "--unpaired", "--methods", "SVM", "--out", str(out), "--quiet"]
    assert main(args) == 0
    rows = json.loads(out.read_text())
    assert [r["method"] for r in rows] == ["SVM"]
    assert rows[0]["run"]["unpaired"] is True and rows[0]["protocol"] == "unpaired"
    assert (
        f"{rows[0]['dataset']}:{rows[0]['source']}>{rows[0]['target']}"
        == (UNPAIRED_TASKS[0])
    )
    # A paired run cannot resume from the unpaired file.
    with pytest.raises(SystemExit) as exit_:
        main(["--quick", "--methods", "SVM", "--out", str(out), "--quiet"])
    assert exit_.value.code == 2
    assert "holds results of other settings" in capsys.readouterr().err


@needs_data
@pytest.mark.slow
def test_office_caltech_tasks_follow_the_cdls_protocol():
    data = _DataCache(DATA_DIR).get("office_caltech")
    split = build_task(parse_task("office_caltech:surf_A>googlenet_W"), data, 0)
    assert split.pairs is None and "pairs" not in split.fit_params
    assert np.bincount(split.y).tolist() == [3] * 10
    labeled = np.asarray(split.X_source.y)
    assert np.bincount(labeled[labeled >= 0]).tolist() == [20] * 10
    assert split.X.shape[1] == 1024 and split.X_source.X.shape[1] == 800
    rows = run_benchmark(
        ["office_caltech:surf_C>googlenet_D"],
        ["SVM", "CDSPP", "DATN_plus"],
        data_dir=DATA_DIR,
        quick=True,
        progress=None,
    )
    assert all(r.get("error") is None and r["protocol"] == "unpaired" for r in rows)
