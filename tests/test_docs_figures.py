"""The measured figures that README.md quotes are those of the committed result files.

The benchmark page renders its tables from ``docs/benchmark/*.json`` at build time;
the README cannot, so each figure it quotes is recomputed here from its file.
"""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "benchmark"


def _rows(name: str) -> list[dict]:
    return json.loads((RESULTS / name).read_text())


def _benchmark(name: str, method: str, task=("mfeat", "fac", "fou")) -> list[float]:
    return [
        r["accuracy"]
        for r in _rows(name)
        if (r["dataset"], r["source"], r["target"]) == task and r["method"] == method
    ]


def _mean_std(values) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


#: Each README figure and how its file gives it (mfeat fac>fou, seeds 0-2).
FIGURES = {
    "one DATNClassifierCV with its defaults": lambda: _mean_std(
        [
            r["rules"]["prior:guard"]
            for r in _rows("dev_guard_rules.json")
            if r["task"] == "mfeat_fac-fou" and r["level"] == 0
        ]
    ),
    "a single DATNClassifier() fit": lambda: (
        f"{np.mean([r['accuracy'] for r in _rows('dev_defaults_single.json') if r['task'] == 'mfeat:fac>fou' and r['config'] == 'ext_a1']):.3f}"
    ),
    "the search with the paper's settings": lambda: _mean_std(
        [
            r["acc"]
            for r in _rows("dev_controls.json")
            if r["task"] == "mfeat:fac>fou" and r["cond"] == "real"
        ]
    ),
    "an ensemble of five networks with the paper's settings": lambda: _mean_std(
        _benchmark("dev_mfeat_wikipedia.json", "DATN")
    ),
    "an SVM": lambda: f"{np.mean(_benchmark('dev_mfeat_wikipedia.json', 'SVM')):.3f}",
}


@pytest.mark.parametrize("what", FIGURES)
def test_the_readmes_figures_are_those_of_their_files(what):
    readme = " ".join((ROOT / "README.md").read_text().replace("`", "").split())
    figure = FIGURES[what]()
    assert f"{figure} for {what}" in readme, (what, figure)


def test_the_analysis_tables_keep_every_cell_of_format_analyses():
    """docs/result_figures.py cuts the tables of ``format_analyses`` into cells at the
    columns of their rule line: every line keeps its text, no cell is lost."""
    pytest.importorskip("docutils")
    pytest.importorskip("matplotlib")
    from skdatn.benchmark._summary import format_analyses

    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import result_figures
    finally:
        sys.path.remove(str(ROOT / "docs"))
    page = (ROOT / "docs" / "benchmark_figures.rst").read_text()
    uses = re.findall(r"analysis-table:: (\S+)\n\s+:analysis: (\w+)", page)
    assert uses
    for name, analysis in uses:
        rows = _rows(Path(name).name)
        text = format_analyses([r for r in rows if r.get("analysis") == analysis])
        _, header, lines = result_figures._analysis_section(rows, analysis)
        expected = [" ".join(line.split()) for line in text.splitlines()[3:]]
        assert [" ".join(" ".join(cells).split()) for cells in lines] == expected
        assert " ".join(header) == " ".join(text.splitlines()[1].split())
