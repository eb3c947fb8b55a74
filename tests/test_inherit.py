import inspect

import pytest
from sklearn.base import BaseEstimator

from skdatn import DATNClassifier, DATNClassifierCV
from skdatn._inherit import inherited_parameter_docs, inherited_signature


class Base(BaseEstimator):
    """A base.

    Parameters
    ----------
    a : int, default=1
        The a.
    b, c : float, default=2.0
        Two of them; the text may say default=2.0 again.
    d : str, default="x"
        The d.

    Attributes
    ----------
    e_ : int
        Not a parameter.
    """

    def __init__(self, a=1, *, b=2.0, c=2.0, d="x"):
        self.a, self.b, self.c, self.d = a, b, c, d


class Child(Base):
    """A child.

    Parameters
    ----------
    z : int, default=0
        Its own.
    <inherited>
    d : str, default="x"
        Its own words for d.
    """

    def __init__(self, z=0, **params):
        pass


def test_signature_adds_the_base_parameters_keyword_only():
    sig = inherited_signature(Child.__init__, Base, ["a"], {"c": 5.0})
    params = list(sig.parameters.values())
    assert [p.name for p in params] == ["self", "z", "b", "c", "d"]
    assert all(p.kind == p.KEYWORD_ONLY for p in params[2:])
    assert [p.default for p in params[1:]] == [0, 2.0, 5.0, "x"]


def test_signature_refuses_a_default_of_no_parameter():
    with pytest.raises(ValueError, match="unknown parameters: \\['nope'\\]"):
        inherited_signature(Child.__init__, Base, [], {"nope": 1})


def test_docs_take_the_base_entries_in_order_with_new_defaults():
    doc = inherited_parameter_docs(
        Child.__doc__, Base.__doc__, "<inherited>", ["b", "c"], {"c": 5.0}
    )
    assert "<inherited>" not in doc
    section = doc.split("Parameters\n    ----------\n")[1]
    assert section.splitlines()[:5] == [
        "    z : int, default=0",
        "        Its own.",
        "    b, c : float, default=5.0",
        "        Two of them; the text may say default=2.0 again.",
        '    d : str, default="x"',
    ]
    assert "The a." not in doc and "The d." not in doc


def test_docs_need_the_marker_and_pass_missing_docstrings():
    with pytest.raises(ValueError, match="no line '<other>'"):
        inherited_parameter_docs(Child.__doc__, Base.__doc__, "<other>", [], {})
    assert inherited_parameter_docs(None, Base.__doc__, "<inherited>", [], {}) is None


def test_datn_cv_documents_datn_parameters_with_its_defaults():
    doc = DATNClassifierCV.__doc__
    assert "    self_training : int, default=1\n" in doc
    assert "    pair_label_share : float, default=0.5\n" in doc
    # The other entries are DATNClassifier's, word for word.
    entry = DATNClassifier.__doc__.split("    lambda_pair :")[1].split("\n    ")[0]
    assert "    lambda_pair :" + entry in doc
    assert "<the parameters of DATNClassifier>" not in doc


def test_datn_cv_signature_is_what_scikit_learn_reads():
    names = DATNClassifierCV._get_param_names()
    shared = set(DATNClassifier._get_param_names()) - {"alpha", "beta"}
    assert set(names) == shared | {
        "alphas",
        "betas",
        "cv",
        "scoring",
        "fallback",
        "n_jobs",
    }
    sig = inspect.signature(DATNClassifierCV)
    assert sig.parameters["self_training"].default == 1


def test_datn_cv_refuses_unknown_parameters():
    with pytest.raises(TypeError, match=r"\['alpha'\].*set alphas and betas"):
        DATNClassifierCV(alpha=1.0)
