"""Smoke tests of the benchmark: parsing, CV folds, a quick run, table, JSON, plots."""

import json
import warnings

import numpy as np
import pytest
from conftest import DATA_DIR, needs_data
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning

from skdatn import Domain, Pairs
from skdatn.benchmark import (
    ANALYSES,
    DATASETS,
    TaskSpec,
    baseline_classes,
    build_task,
    default_tasks,
    format_table,
    parse_task,
    run_analyses,
    run_benchmark,
)
from skdatn.benchmark.__main__ import main
from skdatn.datasets import load_mfeat
from skdatn.exceptions import NegativeTransferWarning

BUILTIN = [
    "DATN",
    "DATN_plus",
    "DATN_sup",
    "NoiseSource",
    "ShuffledPairs",
    "DATN_unsup",
    "SSDAE",
    "DNN",
    "SVM",
]
ROW_KEYS = {
    "dataset",
    "source",
    "target",
    "method",
    "seed",
    "accuracy",
    "fit_seconds",
    "params",
}


def test_parse_task():
    assert parse_task("mfeat:fac>fou") == TaskSpec("mfeat", "fac", "fou")
    assert parse_task("Reuters:en->fr") == TaskSpec("reuters", "en", "fr")
    assert str(TaskSpec("mfeat", "pix", "fou")) == "mfeat:pix>fou"


@pytest.mark.parametrize(
    "text, match",
    [
        ("fac>fou", "dataset:source>target"),
        ("mfeat:fac", "dataset:source>target"),
        ("mfeat:fac>fac", "two different views"),
        ("nope:a>b", "Unknown dataset 'nope'"),
    ],
)
def test_parse_task_errors(text, match):
    with pytest.raises(ValueError, match=match):
        parse_task(text)


def test_default_tasks_are_the_mfeat_development_tasks():
    assert [str(t) for t in default_tasks()] == [
        "mfeat:fac>fou",
        "mfeat:fac>zer",
        "mfeat:pix>fou",
    ]


def test_unknown_method_and_grid():
    with pytest.raises(ValueError, match="Unknown method 'XYZ'"):
        run_benchmark(["mfeat:fac>fou"], ["XYZ"], progress=None)
    with pytest.raises(ValueError, match="Unknown grid"):
        run_benchmark(["mfeat:fac>fou"], ["SVM"], grid="huge", progress=None)
    with pytest.raises(ValueError, match="unknown target view 'abc'"):
        run_benchmark(["mfeat:fac>abc"], ["SVM"], progress=None)


def test_baseline_classes_are_the_baselines_registry():
    from skdatn.baselines import BASELINES

    assert baseline_classes() == BASELINES
    assert baseline_classes() is not BASELINES  # a copy: the registry stays as is


class _MajorityBaseline(ClassifierMixin, BaseEstimator):
    """A stand-in baseline with DATNClassifier's fit signature."""

    def __init__(self, random_state=None, max_epochs=100):
        self.random_state = random_state
        self.max_epochs = max_epochs

    def fit(self, X, y, *, X_source=None, y_source=None, pairs=None, X_unlabeled=None):
        assert isinstance(X_source, Domain) and isinstance(pairs, Pairs)
        values, counts = np.unique(y, return_counts=True)
        self.classes_ = values
        self.majority_ = values[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.majority_)


def test_a_registered_baseline_runs(monkeypatch):
    from skdatn import baselines

    monkeypatch.setitem(baselines.BASELINES, "Majority", _MajorityBaseline)
    assert baseline_classes()["Majority"] is _MajorityBaseline
    rows = run_benchmark(
        ["mfeat:fac>fou"], ["Majority", "DNN"], quick=True, progress=None
    )
    assert [r["method"] for r in rows] == ["Majority", "DNN"]
    assert rows[0]["accuracy"] == pytest.approx(0.1, abs=0.05)
    # quick mode runs the baselines only when they are named
    rows = run_benchmark(["mfeat:fac>fou"], ["DNN"], quick=True, progress=None)
    assert [r["method"] for r in rows] == ["DNN"]


class _FallingBack(_MajorityBaseline):
    """A stand-in whose fit warns as DATNClassifierCV's fallback does."""

    def fit(self, X, y, **inputs):
        warnings.warn("The source does not help", NegativeTransferWarning, stacklevel=2)
        return super().fit(X, y, **inputs)


def test_a_rows_fallback_warns_nobody(monkeypatch, recwarn):
    # The row itself says that the model fell back (its variant): the main job
    # prints no warning for it.
    from skdatn import baselines

    monkeypatch.setitem(baselines.BASELINES, "FallingBack", _FallingBack)
    rows = run_benchmark(["mfeat:fac>fou"], ["FallingBack"], quick=True, progress=None)
    assert rows[0].get("error") is None
    assert not [w for w in recwarn if w.category is NegativeTransferWarning]


def test_quick_run_all_methods(capsys):
    rows = run_benchmark(
        ["mfeat:fac>fou"], BUILTIN, seeds=[0, 1], quick=True, grid="quick"
    )
    err = capsys.readouterr().err
    assert "mfeat:fac>fou seed=1 SVM: accuracy=" in err
    methods = {r["method"] for r in rows}
    assert {"DATN", "DATN_sup", "DATN_unsup", "SSDAE", "DNN", "SVM"} <= methods
    assert {"NoiseSource", "ShuffledPairs"} <= methods
    for r in rows:
        assert ROW_KEYS <= set(r)
        assert r.get("error") is None, r
        assert 0.0 <= r["accuracy"] <= 1.0
    datn = [r for r in rows if r["method"] == "DATN"]
    assert [r["seed"] for r in datn] == [0, 1]
    assert set(datn[0]["params"]) == {"alpha", "beta", "variant", "transfer_weight"}
    assert json.loads(json.dumps(rows)) == rows
    table = format_table(rows)
    assert "mfeat:fac>fou" in table and "±" in table and "DATN_unsup" in table


def test_datn_is_the_papers_and_datn_plus_the_cv_defaults_run_when_named():
    from skdatn import PAPER_SETTINGS, DATNClassifier, DATNClassifierCV
    from skdatn.benchmark._methods import BUILTIN_METHODS, resolve_methods

    assert "DATN_plus" not in {m.name for m in resolve_methods(None)}
    assert [m.name for m in resolve_methods(["datn_plus"])] == ["DATN_plus"]
    ctx = {
        "estimator_kwargs": {},
        "grid": "small",
        "n_jobs": None,
        "networks": 1,
        "n_labeled": 30,
        "sparse": False,
        "quick": False,
        "progress": False,
    }
    extensions = ("pair_label_share", "self_training")
    for name in ("DATN", "DATN_sup", "DATN_unsup"):
        params = BUILTIN_METHODS[name].build(ctx, 0).get_params()
        assert all(params[k] == 0 for k in extensions), name
    plus = BUILTIN_METHODS["DATN_plus"].build(ctx, 0).get_params()
    cv_defaults = DATNClassifierCV().get_params()
    assert all(plus[k] == cv_defaults[k] > 0 for k in extensions)
    # Every other setting of DATN_plus is DATN's.
    datn = BUILTIN_METHODS["DATN"].build(ctx, 0).get_params()
    differ = {k for k in datn if k not in ("cv", "error_score") and datn[k] != plus[k]}
    assert differ == set(extensions)
    # DATN_plus is the estimators' defaults; DATN turns them off (PAPER_SETTINGS).
    assert all(plus[k] == DATNClassifier().get_params()[k] for k in extensions)
    assert {k: datn[k] for k in extensions} == PAPER_SETTINGS


def test_networks_average_the_datn_family_and_report_each_selection():
    methods = ["DATN", "DATN_sup", "DNN", "SVM"]
    rows = run_benchmark(
        ["mfeat:fac>fou"], methods, quick=True, networks=2, progress=None
    )
    by = {r["method"]: r for r in rows}
    assert all(r.get("error") is None for r in rows), rows
    # Each of DATN's networks selects its own (alpha, beta); DATN_sup keeps beta=0.
    assert len(by["DATN"]["params"]["alpha"]) == 2
    assert by["DATN_sup"]["params"]["beta"] == [0.0, 0.0]
    assert by["DNN"]["params"] == {} and by["SVM"]["params"] == {"svc__C": 10.0}
    single = run_benchmark(["mfeat:fac>fou"], ["DATN"], quick=True, progress=None)
    assert set(single[0]["params"]) == {"alpha", "beta", "variant", "transfer_weight"}
    assert not isinstance(single[0]["params"]["alpha"], list)
    with pytest.raises(ValueError, match="networks must be an int >= 1"):
        run_benchmark(["mfeat:fac>fou"], ["DNN"], networks=0, progress=None)


def test_cli_quick_writes_json_and_table(tmp_path, capsys):
    out = tmp_path / "results.json"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(
            ["--quick", "--methods", "DNN,SVM", "--seeds", "3", "--out", str(out)]
        )
    assert status == 0
    # Fixed settings: a pretraining at its epoch limit is not news there.
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    captured = capsys.readouterr()
    assert "DNN" in captured.out and "SVM" in captured.out
    # One seed: no spread to show.
    assert "±" not in captured.out and "(one seed)" in captured.out
    assert "DATN grid" not in captured.out  # DATN did not run
    assert f"results in {out}, saved after every fit" in captured.err
    assert "SVM: accuracy=" in captured.err
    rows = json.loads(out.read_text())
    assert len(rows) == 2 and {r["seed"] for r in rows} == {3}
    assert all(ROW_KEYS <= set(r) for r in rows)


def test_cli_saves_each_row_as_it_comes_and_resumes(tmp_path, monkeypatch, capsys):
    import skdatn.benchmark.__main__ as cli
    from skdatn.benchmark import _runner

    monkeypatch.chdir(tmp_path)
    argv = ["--quick", "--methods", "DNN,SVM"]
    real_fit = _runner.fit_and_score
    fits = []

    def stop_after_one(method, *args):
        if fits:
            raise KeyboardInterrupt  # the user stops the run during its second fit
        fits.append(method.name)
        return real_fit(method, *args)

    monkeypatch.setattr(_runner, "fit_and_score", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        cli.main(argv)
    out = tmp_path / cli.DEFAULT_OUT
    assert [r["method"] for r in json.loads(out.read_text())] == ["DNN"]
    # The rerun does only the missing fit and keeps the first one's row.
    fits.clear()
    monkeypatch.setattr(
        _runner,
        "fit_and_score",
        lambda m, *a: (fits.append(m.name), real_fit(m, *a))[1],
    )
    assert cli.main(argv) == 0
    assert fits == ["SVM"]
    err = capsys.readouterr().err
    assert "1 fits already there are not run again" in err
    assert "DNN: accuracy=" in err and "(done before)" in err
    assert [r["method"] for r in json.loads(out.read_text())] == ["DNN", "SVM"]
    # Other settings do not mix with these rows.
    with pytest.raises(SystemExit):
        cli.main([*argv, "--grid", "none"])
    assert "holds results of other settings" in capsys.readouterr().err
    fits.clear()
    assert cli.main([*argv, "--restart"]) == 0
    assert fits == ["DNN", "SVM"]


def test_cli_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--tasks", "mfeat:fac"])
    assert exc.value.code == 2
    assert "dataset:source>target" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--datasets", "nope"])
    assert "Unknown dataset 'nope'" in capsys.readouterr().err


def test_missing_data_dir_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--tasks", "reuters:en>fr", "--data-dir", str(tmp_path), "--quick"])
    assert exc.value.code == 2
    assert "Reuters data file was not found" in capsys.readouterr().err


def test_build_task_subsets_and_source_test_rows():
    data = load_mfeat()
    split = build_task(TaskSpec("mfeat", "fac", "zer"), data, seed=0, n_pairs=50)
    assert split.pairs.source.shape == (50, 216)
    np.testing.assert_array_equal(
        split.X_test_source, data.views["fac"][split.indices["test"]]
    )


def test_quick_analyses_and_plots(tmp_path):
    rows = run_analyses(
        "mfeat:fac>fou",
        [0],
        methods=["DATN", "DATN_sup", "DATN_plus", "DNN"],
        quick=True,
        progress=None,
    )
    kinds = {r["analysis"] for r in rows}
    assert kinds == set(ANALYSES)
    assert all(r.get("error") is None for r in rows)
    pairs = sorted({r["setting"]["n_pairs"] for r in rows if r["analysis"] == "pairs"})
    assert pairs == [50, 100, 200, 400]
    unlabeled = [r for r in rows if r["analysis"] == "target_unlabeled"]
    assert {r["method"] for r in unlabeled} == {"DATN", "DATN_sup", "DATN_plus"}
    sizes = sorted({r["setting"]["n_target_unlabeled"] for r in unlabeled})
    assert sizes == [38, 75, 150, 300]
    labels = [r for r in rows if r["analysis"] == "source_labels"]
    assert all(0 <= r["source_accuracy"] <= 1 for r in labels)
    pytest.importorskip("matplotlib")
    from skdatn.benchmark import plot_analyses

    paths = plot_analyses(rows, tmp_path / "plots")
    assert sorted(p.name for p in paths) == [
        "fig3_source_labels.png",
        "fig4_pairs.png",
        "fig5_source_unlabeled.png",
        "fig5_target_unlabeled.png",
        "fig6_sensitivity.png",
        "source_quality.png",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_an_analysis_rerun_fits_only_the_missing_rows():
    """A run stopped inside a sweep point resumes with that point's missing
    fits alone: the rows done before are kept, none is computed twice."""
    from skdatn.benchmark._runner import row_key

    kwargs = dict(
        analyses=["source_labels", "sensitivity"],
        methods=["DNN", "DATN_sup"],
        quick=True,
        progress=None,
    )
    first = run_analyses("mfeat:fac>fou", [0], **kwargs)
    lost = [first[0], first[-1]]  # one method of a Fig. 3 point, a Fig. 6 point
    assert [r["analysis"] for r in lost] == ["source_labels", "sensitivity"]
    done = {row_key(r): r for r in first if r not in lost}
    fresh = []
    again = run_analyses("mfeat:fac>fou", [0], **kwargs, done=done, on_row=fresh.append)
    assert [row_key(r) for r in fresh] == [row_key(r) for r in lost]
    assert [r["accuracy"] for r in fresh] == [r["accuracy"] for r in lost]
    assert fresh[0]["source_accuracy"] == lost[0]["source_accuracy"]
    assert [row_key(r) for r in again] == [row_key(r) for r in first]


def test_degrade_source_goes_from_the_real_source_to_the_noise_control(mfeat_task):
    from numpy.testing import assert_allclose, assert_array_equal

    from skdatn.benchmark._controls import degrade_source, noise_source

    t = mfeat_task
    kept = {
        k: np.array(v, copy=True)
        for k, v in (
            ("Xs", t.X_source.X),
            ("ys", t.X_source.y),
            ("Ps", t.pairs.source),
            ("Pt", t.pairs.target),
        )
    }
    real = [t.X_source.X, t.pairs.source]
    noise = noise_source(t, 3)
    fake = [noise.X_source.X, noise.pairs.source]
    assert degrade_source(t, 3, 0) is t
    for level in (0.5, 1.0):
        out = degrade_source(t, 3, level)
        got = [out.X_source.X, out.pairs.source]
        assert out.fit_params["X_source"] is out.X_source
        assert out.fit_params["pairs"] is out.pairs
        assert_array_equal(out.X_source.y, t.X_source.y)
        assert out.pairs.target is t.pairs.target
        assert out.fit_params["X_unlabeled"] is t.X_unlabeled
        for g, r, f in zip(got, real, fake, strict=True):
            if level == 1.0:
                assert_array_equal(g, f)  # exactly the noise control's rows
            else:
                assert_allclose(g, (r + f) / 2)
    # Nothing the split held is modified.
    assert_array_equal(t.X_source.X, kept["Xs"])
    assert_array_equal(t.X_source.y, kept["ys"])
    assert_array_equal(t.pairs.source, kept["Ps"])
    assert_array_equal(t.pairs.target, kept["Pt"])
    assert t.fit_params["X_source"] is t.X_source
    for level in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="level must be in"):
            degrade_source(t, 3, level)


def test_source_quality_sweeps_the_noise_level_and_resumes():
    from skdatn.benchmark._analyses import SOURCE_NOISE_LEVELS
    from skdatn.benchmark._runner import row_key

    kwargs = dict(analyses=["source_quality"], quick=True, progress=None)
    rows = run_analyses("mfeat:fac>fou", [0], **kwargs)
    assert all(r.get("error") is None for r in rows)
    assert {r["analysis"] for r in rows} == {"source_quality"}
    assert sorted((r["setting"]["source_noise"], r["method"]) for r in rows) == sorted(
        (level, m)
        for level in SOURCE_NOISE_LEVELS
        for m in ("DATN_plus", "SSDAE", "SVM")
    )
    assert all(
        r["setting"] == {"source_noise": r["setting"]["source_noise"]} for r in rows
    )
    # DATN_plus searches α (the quick grid), one network.
    plus = [r for r in rows if r["method"] == "DATN_plus"]
    assert all(r["params"]["alpha"] in (0.5, 2.0) for r in plus)
    done = {row_key(r): r for r in rows}
    fresh = []
    again = run_analyses("mfeat:fac>fou", [0], **kwargs, done=done, on_row=fresh.append)
    assert fresh == []
    assert [row_key(r) for r in again] == [row_key(r) for r in rows]


def test_sensitivity_rows_are_the_test_accuracy_of_datn_fits():
    """Fig. 6 shares the pretraining in one search; each point is still the
    test accuracy of a DATNClassifier fit (the paper's) at that (alpha, beta)."""
    from skdatn import PAPER_SETTINGS, DATNClassifier
    from skdatn.benchmark import DATASETS
    from skdatn.benchmark._methods import _QUICK_ESTIMATOR

    rows = run_analyses(
        "mfeat:fac>fou", [1], analyses=["sensitivity"], quick=True, progress=None
    )
    assert len(rows) == 4 and all(r["analysis"] == "sensitivity" for r in rows)
    split = build_task(TaskSpec("mfeat", "fac", "fou"), load_mfeat(), seed=1)
    settings = {
        **DATASETS["mfeat"].estimator_kwargs,
        **_QUICK_ESTIMATOR,
        **PAPER_SETTINGS,
        "n_threads": 1,
    }
    for row in rows:
        clf = DATNClassifier(**row["setting"], **settings, random_state=1)
        clf.fit(split.X, split.y, **split.fit_params)
        accuracy = np.mean(clf.predict(split.X_test) == split.y_test)
        assert row["accuracy"] == accuracy, row["setting"]
    assert len({r["accuracy"] for r in rows}) > 1


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(DATASETS) - {"mfeat"}))
def test_real_dataset_tasks_fit_their_sizes(name):
    """Every data set's default tasks can be cut and run (quick DNN + SVM)."""
    rows = run_benchmark(
        default_tasks([name]),
        ["DATN_sup", "SVM"],
        data_dir=DATA_DIR,
        quick=True,
        progress=None,
    )
    assert rows and all(r.get("error") is None for r in rows), rows


def test_parallel_selection_gives_the_sequential_rows():
    def run(n_jobs):
        rows = run_benchmark(
            ["mfeat:fac>fou"], ["DATN"], quick=True, n_jobs=n_jobs, progress=None
        )
        return rows[0]["accuracy"], rows[0]["params"]

    assert run(2) == run(None)


def test_cli_threads_reach_the_run_and_its_estimators(monkeypatch, tmp_path):
    import skdatn.benchmark.__main__ as cli
    from skdatn.benchmark import _runner

    seen = {}
    real_context = _runner._context

    def spy(*args, **kwargs):
        ctx = real_context(*args, **kwargs)
        seen["n_threads"] = ctx["estimator_kwargs"].get("n_threads")
        seen["torch"] = __import__("torch").get_num_threads()
        return ctx

    monkeypatch.setattr(_runner, "_context", spy)
    out = str(tmp_path / "rows.json")
    argv = ["--quick", "--methods", "SVM", "--threads", "2", "--quiet", "--out", out]
    assert cli.main(argv) == 0
    # The run's thread count is the torch setting here and the estimators'
    # n_threads (which also holds in worker processes with --n-jobs).
    assert seen == {"n_threads": 2, "torch": 2}


def test_sizes_replace_the_split_sizes_of_every_task():
    sizes = {"pairs": 100, "target_unlabeled": 0.3, "target_labeled_per_class": 2}
    rows = run_benchmark(
        ["mfeat:fac>fou", "mfeat:fac>zer"],
        ["DNN"],
        quick=True,
        sizes=sizes,
        progress=None,
    )
    expected = {
        "target_labeled": 20,
        "pairs": 100,
        "source_labeled": 400,
        "source_unlabeled": 300,
        "target_unlabeled": 600,
        "test": 500,
    }
    assert [r["sizes"] for r in rows] == [expected, expected]
    assert all(r.get("error") is None for r in rows)
    # Without sizes the rows keep their old keys.
    plain = run_benchmark(["mfeat:fac>fou"], ["DNN"], quick=True, progress=None)
    assert "sizes" not in plain[0]


@pytest.mark.parametrize(
    "sizes, match",
    [
        ({"pair": 3}, "Unknown split size 'pair'"),
        ({"test": 1.5}, r"sizes\['test'\] must be an int >= 0"),
        ({"pairs": -1}, r"sizes\['pairs'\] must be an int >= 0"),
        ({"pairs": True}, r"sizes\['pairs'\] must be"),
        ({"target_labeled_per_class": 0.5}, "must be an int >= 1"),
        ([("pairs", 3)], "sizes must be a dict or None"),
        ({"test": 2000}, "The requested sets need"),
    ],
)
def test_bad_sizes_fail_before_any_fit(sizes, match):
    with pytest.raises(ValueError, match=match):
        run_benchmark(
            ["mfeat:fac>fou"], ["DNN"], quick=True, sizes=sizes, progress=None
        )


def test_cli_sizes(tmp_path, capsys):
    out = tmp_path / "rows.json"
    argv = ["--quick", "--methods", "SVM", "--quiet", "--out", str(out)]
    assert main([*argv, "--sizes", "pairs=100", "test=0.2"]) == 0
    row = json.loads(out.read_text())[0]
    assert row["sizes"]["pairs"] == 100 and row["sizes"]["test"] == 400
    for bad, message in [
        ("pairs=x", "--sizes takes KEY=VALUE items"),
        ("pairs", "--sizes takes KEY=VALUE items"),
        ("pair=3", "Unknown split size 'pair'"),
    ]:
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--sizes", bad])
        assert exc.value.code == 2
        assert message in capsys.readouterr().err


def analysis_row(analysis: str, setting: dict, method: str, seed: int, accuracy):
    """A row of run_analyses on mfeat fac>fou."""
    return {
        "dataset": "mfeat",
        "source": "fac",
        "target": "fou",
        "method": method,
        "seed": seed,
        "accuracy": accuracy,
        "analysis": analysis,
        "setting": setting,
    }


def plotted(rows, tmp_path, monkeypatch):
    """The one figure plot_analyses draws from ``rows`` (kept open)."""
    plt = pytest.importorskip("matplotlib.pyplot")
    from skdatn.benchmark import plot_analyses

    figures = []
    monkeypatch.setattr(plt, "close", figures.append)
    plot_analyses(rows, tmp_path)
    (fig,) = figures
    return plt, fig


def test_fig3_ticks_show_the_source_accuracy(tmp_path, monkeypatch):
    rows = [
        {
            **analysis_row("source_labels", {"source_labels": n}, "DATN_sup", 0, 0.5),
            "source_accuracy": acc,
        }
        for n, acc in [(25, 0.828), (100, 0.922)]
    ]
    plt, fig = plotted(rows, tmp_path, monkeypatch)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["25\n0.83", "100\n0.92"]
    assert fig.axes[0].get_xscale() == "log"
    plt.close(fig)


def test_fig4_ticks_sit_at_the_pair_counts_and_the_legend_beside(tmp_path, monkeypatch):
    rows = [
        analysis_row("pairs", {"n_pairs": n}, method, 0, 0.5 + n / 100)
        for n in (4, 9, 18, 35)
        for method in ("DATN", "HHTL")
    ]
    plt, fig = plotted(rows, tmp_path, monkeypatch)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "9", "18", "35"]
    assert list(ax.get_xticks()) == [4, 9, 18, 35]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # beside the axes, hiding nothing
    plt.close(fig)


def test_source_quality_is_drawn_and_tabled_against_the_noise_level(
    tmp_path, monkeypatch
):
    from skdatn.benchmark._summary import format_analyses

    levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    rows = [
        analysis_row("source_quality", {"source_noise": x}, m, 0, acc)
        for x in levels
        for m, acc in (("DATN_plus", 0.8 - 0.3 * x), ("SSDAE", 0.6))
    ]
    plt, fig = plotted(rows, tmp_path, monkeypatch)
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"  # the levels start at 0
    assert list(ax.get_xticks()) == list(levels)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["DATN_plus", "SSDAE"]
    plt.close(fig)
    by_name = {
        line.split("  ")[0]: line.split() for line in format_analyses(rows).splitlines()
    }
    assert by_name["method"][1:] == ["0", "0.25", "0.5", "0.75", "1", "1", "-", "0"]
    assert by_name["DATN_plus - SSDAE"][3:] == [
        "+0.200",
        "+0.125",
        "+0.050",
        "-0.025",
        "-0.100",
    ]


def test_without_data_dir_a_missing_data_set_is_downloaded(monkeypatch):
    import dataclasses

    from skdatn.benchmark import _tasks

    def absent(data_dir):
        raise FileNotFoundError("not in the local data folder")

    spec = dataclasses.replace(
        _tasks.DATASETS["reuters"], load=absent, fetch=lambda: "downloaded"
    )
    monkeypatch.setitem(_tasks.DATASETS, "reuters", spec)
    assert _tasks._DataCache(None).get("reuters") == "downloaded"
    # A folder given explicitly is the user's choice: its absence is an error.
    with pytest.raises(FileNotFoundError, match="local data folder"):
        _tasks._DataCache("/nowhere").get("reuters")


def test_curves_show_the_seeds_spread_on_an_honest_scale(tmp_path, monkeypatch):
    setting = "n_source_unlabeled"
    rows = [
        analysis_row(
            "source_unlabeled",
            {setting: n},
            "DATN",
            seed,
            0.75 + 0.01 * seed + n / 1000,
        )
        for n in (10, 20)
        for seed in range(3)
    ]
    plt, fig = plotted(rows, tmp_path, monkeypatch)
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert high - low >= 0.2 - 1e-9  # a 0.02 spread does not fill the axis
    assert low <= 0.75 and high >= 0.79 and 0.0 <= low and high <= 1.0
    assert ax.collections  # the band of mean ± standard error
    assert "mean ± s.e. over 3 seed(s)" in ax.get_title()
    plt.close(fig)


@pytest.mark.parametrize(
    "means", [[0.549, 0.545, 0.569], [0.98, 0.99], [0.01, 0.02], [0.3, 0.7]]
)
def test_the_y_axis_holds_the_curves_and_their_bands(means):
    plt = pytest.importorskip("matplotlib.pyplot")
    from skdatn.benchmark._plots import MIN_SPAN, _honest_scale

    fig, ax = plt.subplots()
    _honest_scale(ax, {"DATN": [(i, m, 0.011, None, 5) for i, m in enumerate(means)]})
    low, high = ax.get_ylim()
    assert 0.0 <= low <= min(means) - 0.011 + 1e-9 or low == 0.0
    assert max(means) + 0.011 - 1e-9 <= high <= 1.0 or high == 1.0
    assert high - low >= MIN_SPAN - 1e-9
    plt.close(fig)


def test_fig6_shows_mean_and_standard_error_on_an_honest_colour_scale(
    tmp_path, monkeypatch
):
    from skdatn.benchmark._plots import MIN_SPAN

    rows = [
        analysis_row(
            "sensitivity",
            {"alpha": a, "beta": b},
            "DATN",
            seed,
            0.70 + 0.01 * a + 0.002 * seed,
        )
        for a in (0.5, 2.0)
        for b in (0.0, 1.0)
        for seed in range(3)
    ]
    plt, fig = plotted(rows, tmp_path, monkeypatch)
    ax = fig.axes[0]
    low, high = ax.images[0].get_clim()
    assert high - low >= MIN_SPAN - 1e-9  # a 0.015 spread is not the full colour range
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts[0] == "0.707\n±0.001" and texts[-1] == "0.722\n±0.001"
    assert "mean ± s.e. over 3 seed(s)" in ax.get_title()
    plt.close(fig)


def test_analysis_tables_pair_each_method_with_the_reference_seed_by_seed():
    from skdatn.benchmark._summary import format_analyses

    sweep = [
        analysis_row("source_unlabeled", {"n_source_unlabeled": n}, m, seed, acc)
        for seed, shift in ((0, 0.0), (1, 0.1))
        for n, m, acc in (
            (10, "DATN_sup", 0.5),
            (20, "DATN_sup", 0.5),
            (10, "DATN", 0.52),
            (20, "DATN", 0.56),
        )
        for acc in [acc + shift]
    ]
    grid = [
        analysis_row("sensitivity", {"alpha": a, "beta": b}, "DATN", 0, 0.6 + a / 10)
        for a in (0.0, 1.0)
        for b in (0.0, 1.0)
    ]
    lines = format_analyses(sweep + grid).splitlines()
    assert lines[0].startswith("source_unlabeled: target test accuracy, mean ± s.e.")
    by_name = {line.split("  ")[0]: line.split() for line in lines if line}
    # The seeds differ by 0.1, their differences from DATN_sup do not: no spread.
    assert by_name["DATN"][1:] == ["0.570", "±", "0.050", "0.610", "±", "0.050"] + [
        "+0.040",
        "±",
        "0.000",
    ]
    assert by_name["DATN - DATN_sup"][3:] == ["+0.020", "±", "0.000"] + [
        "+0.060",
        "±",
        "0.000",
    ]
    assert by_name["0"][1:] == ["0.600", "0.600"]  # one seed: no error
    assert by_name["1"][1:] == ["0.700", "0.700"]
