"""pyproject.toml's version bounds against the pins of the oldest-versions CI stage.

``.ci/oldest`` runs the test suite with the versions of ``.ci/oldest-constraints.txt``
installed; the lower bounds of the runtime dependencies must be those versions, so
that the bounds say what was tested.
"""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")

ROOT = Path(__file__).resolve().parents[1]
PINNED = ["scikit-learn", "torch", "numpy", "scipy", "joblib", "threadpoolctl"]
# Private scikit-learn API is used (sklearn.base._fit_context,
# sklearn.utils._param_validation): the newest tested minor release is the last
# allowed, and likewise for torch.
CAPPED = ["scikit-learn", "torch"]


def _dependencies():
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    return {r.name: r.specifier for r in requirements}


def _pins():
    pins = {}
    for line in (ROOT / ".ci" / "oldest-constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            pins[requirement.name] = Version(specifier.version)
    return pins


def test_pins_cover_the_bounded_dependencies():
    assert sorted(_pins()) == sorted(PINNED)
    assert set(PINNED) <= set(_dependencies())


@pytest.mark.parametrize("name", PINNED)
def test_lower_bound_is_the_pin(name):
    specifier = _dependencies()[name]
    lower = [s for s in specifier if s.operator == ">="]
    assert len(lower) == 1, f"{name}: one '>=' bound expected in {specifier}"
    pin = _pins()[name]
    # Only the public part: the pin may name a build (torch's "+cpu").
    assert Version(lower[0].version) == Version(pin.public), (
        f"{name}: pyproject.toml says {specifier}, .ci/oldest-constraints.txt pins {pin}"
    )
    assert specifier.contains(pin, prereleases=True)


@pytest.mark.parametrize("name", CAPPED)
def test_upper_bound(name):
    specifier = _dependencies()[name]
    upper = [s for s in specifier if s.operator == "<"]
    assert len(upper) == 1, f"{name}: one '<' bound expected in {specifier}"
    assert Version(upper[0].version) > _pins()[name]
