"""Sphinx configuration for the skdatn documentation.

Build from the repository root with ``sphinx-build -W -b html docs docs/_build/html``
(after ``pip install -e ".[docs]"``). Every example of ``examples/`` is executed;
``-D plot_gallery=0`` skips the execution for a quick look at the text.
"""

import os
import sys
import warnings
from pathlib import Path

# Document the checkout this file belongs to, even without an editable install;
# docs/ itself holds the gallery's sort key.
_DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(_DOCS.parent))
sys.path.insert(0, str(_DOCS))
# The examples run from examples/; the loaders' default data folder
# (../shared/data from the working directory) is then not the copy beside the
# clone, so point them at it (a folder set by the reader is kept).
os.environ.setdefault("SKDATN_DATA_DIR", str(_DOCS.parent.parent / "shared" / "data"))

import skdatn  # noqa: E402
from diagrams import draw_all  # noqa: E402

# The diagrams of the pages (docs/diagrams.py), drawn into docs/_figures/.
draw_all()

project = "skdatn"
author = "the skdatn developers"
copyright = "2026, the skdatn developers"
version = skdatn.__version__
release = skdatn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "cli_help",  # docs/cli_help.py: a command's --help from its parser
    "result_figures",  # docs/result_figures.py: tables and plots from result files
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_figures"]
root_doc = "index"
default_role = "literal"

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc's Parameters sections give the types
# The class template lists the methods itself (autosummary table + autodoc).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False


def _skip_sklearn_member(app, what, name, obj, skip, options):
    """Leave out the members inherited from scikit-learn (``get_params``, ``score``,
    the metadata-routing ``set_*_request``...): their docstrings link into
    scikit-learn's own documentation. The class template names them instead."""
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] == "sklearn":
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_member)


# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "_gallery_order.ExampleOrder",
    "doc_module": ("skdatn",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skdatn": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 0,
    # An example that raises fails the build.
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# Examples run with the Agg backend; silence matplotlib's note about it.
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg",
)

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skdatn {version}"
html_static_path = ["_static"]
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
