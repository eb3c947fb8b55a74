"""numpydoc validation of every public docstring, as scikit-learn's test_docstrings.

Each public class and function of ``skdatn``, ``skdatn.baselines`` and
``skdatn.datasets``, and each public method of those classes, must document
every parameter of its signature in order, with a type and a description, and
its return value; every public class has an Examples section.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

MODULES = ("skdatn", "skdatn.baselines", "skdatn.datasets")

# Not checked anywhere (as in scikit-learn): RT02, the name of the returned
# object may stand beside its type; GL01/GL02, blank lines around the summary;
# SA01/ES01, a See Also section and an extended summary are optional here.
IGNORED = {"RT02", "GL01", "GL02", "SA01", "ES01"}
# Required of classes only: an Examples section.
CLASS_ONLY = {"EX01"}


def _public_objects():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # constants: __version__, BASELINES, MFEAT_VIEWS
            yield f"{module_name}.{name}", True
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(value):
                        yield f"{module_name}.{name}.{attr}", False


PUBLIC = sorted(set(_public_objects()))


def test_the_public_objects_are_found():
    names = {name for name, _ in PUBLIC}
    assert {"skdatn.DATNClassifier", "skdatn.DATNClassifierCV.fit"} <= names
    assert "skdatn.baselines.TransferClassifier.fit" in names
    assert "skdatn.datasets.make_transfer_task" in names


@pytest.mark.parametrize("name, top_level", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_docstring(name, top_level):
    result = numpydoc_validate.validate(name)
    ignored = IGNORED if top_level else IGNORED | CLASS_ONLY
    if top_level and not inspect.isclass(_resolve(name)):
        ignored = ignored | CLASS_ONLY
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code not in ignored]
    assert not errors, f"{name}:\n" + "\n".join(errors)


def _resolve(name: str):
    module_name, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)
