"""Every Python code block of README.md and docs/ runs.

The blocks of one page run in order in one namespace (a page builds on its earlier
blocks), in a folder of their own. Before a page's first block, the namespace holds
the names the pages use for a user's data (:func:`_user_data`). The only other help
they get is short training: :func:`_short_training` lowers the epochs and widths
that ``DATNClassifier`` and ``DATNClassifierCV`` default to, so that the pages run in
seconds; what the reader sees is run unchanged.

Literal blocks (``::``) that are not Python (shell commands, YAML, tables) are
named in ``NOT_PYTHON``; blocks that cannot run here (a cluster's address) in
``ILLUSTRATIVE``. A literal block that neither parses as Python nor is named there
fails the test, so no block is skipped silently.
"""

import ast
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (file, first line of the block): literal blocks that are not Python.
NOT_PYTHON = {
    (
        "docs/distributed.rst",
        'pip install -e ".[distributed]"       # dask[distributed] and ray',
    ),
    ("docs/distributed.rst", "distributed:"),
    ("docs/distributed.rst", "python speed/thread_bound.py"),
    (
        "docs/distributed.rst",
        "python speed/distributed_speed.py --task 'fac>fou' --seed 0",
    ),
    (
        "docs/user_guide/inputs.rst",
        "fit(X, y, *, X_source=None, y_source=None, pairs=None, X_unlabeled=None)",
    ),
}
#: (file, first line of the block): Python that needs what a test machine lacks.
ILLUSTRATIVE = {
    # A Dask cluster's address.
    ("README.md", "import dask"),
}


def _rst_blocks(path: Path):
    """The ``code-block:: python`` and ``::`` blocks of an RST file: (line, code)."""
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"\s*\.\. code-block::\s*(\S+)", line)
        literal = line.rstrip().endswith("::") and not re.match(r"\s*\.\. ", line)
        if (directive and directive.group(1) == "python") or literal:
            indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip() or lines[j].lstrip().startswith(":")
            ):
                j += 1
            start = j
            block = []
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
            ):
                block.append(lines[j])
                j += 1
            code = inspect.cleandoc("\n".join(block))
            if code:
                yield start + 1, code, bool(directive)
            i = j
        else:
            i += 1


def _markdown_blocks(path: Path):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "```python":
            end = lines.index("```", i + 1)
            yield i + 2, "\n".join(lines[i + 1 : end]), True


def _pages():
    pages = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.rst"))
    for page in pages:
        rel = page.relative_to(ROOT).as_posix()
        if rel.startswith(("docs/_build", "docs/auto_examples", "docs/generated")):
            continue
        reader = _markdown_blocks if page.suffix == ".md" else _rst_blocks
        blocks = list(reader(page))
        if blocks:
            yield rel, blocks


PAGES = dict(_pages())


def _python_blocks(rel: str) -> list[tuple[int, str]]:
    """The page's Python blocks to run; a literal block that is not Python must be
    named in NOT_PYTHON."""
    out = []
    for line, code, is_python in PAGES[rel]:
        first = code.splitlines()[0].strip()
        if (rel, first) in NOT_PYTHON:
            continue
        if not is_python:
            try:
                ast.parse(code)
            except SyntaxError as exc:
                raise AssertionError(
                    f"{rel}:{line}: a literal block that is not Python ({exc.msg}); "
                    f"name it in NOT_PYTHON as ({rel!r}, {first!r})."
                ) from None
        if (rel, first) in ILLUSTRATIVE:
            continue
        out.append((line, code))
    return out


@pytest.fixture
def _short_training(monkeypatch):
    """Train briefly: the estimators' default epochs and widths, lowered."""
    from skdatn import DATNClassifier, DATNClassifierCV

    short = {
        "hidden_layer_sizes": (32,),
        "pretrain_epochs": 10,
        "finetune_epochs": 5,
    }
    for cls in (DATNClassifier, DATNClassifierCV):
        init = cls.__init__
        signature = inspect.signature(init)
        if init.__kwdefaults__:
            kw = dict(init.__kwdefaults__)
            kw.update({k: v for k, v in short.items() if k in kw})
            monkeypatch.setattr(init, "__kwdefaults__", kw)
        if init.__defaults__:
            names = [
                p.name
                for p in signature.parameters.values()
                if p.default is not inspect.Parameter.empty
                and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            ]
            values = [
                short.get(n, d) for n, d in zip(names, init.__defaults__, strict=True)
            ]
            monkeypatch.setattr(init, "__defaults__", tuple(values))


def _user_data() -> dict:
    """The names the pages use for a user's data, on a small mfeat task."""
    from skdatn import Domain, Pairs
    from skdatn.datasets import load_mfeat, make_transfer_task

    views, y = load_mfeat(return_X_y=True)
    task = make_transfer_task(views["fac"], views["fou"], y, n_test=200, random_state=0)
    return {
        "task": task,
        "X": task.X,
        "y": task.y,
        "Xs": task.X_source.X,
        "ys": task.X_source.y,
        "Xps": task.pairs.source,
        "Xpt": task.pairs.target,
        "Xu": task.X_unlabeled.X,
        "X_test": task.X_test,
        "y_test": task.y_test,
        "Domain": Domain,
        "Pairs": Pairs,
    }


#: Pages whose blocks take minutes (a Dask cluster and a 36-point search).
SLOW = {"docs/distributed.rst"}

#: Pages whose blocks import an optional extra: they skip, naming it, where it
#: is not installed (the oldest-versions CI stage installs the test extra only).
NEEDS = {"docs/distributed.rst": ("dask.distributed", "ray")}


@pytest.mark.parametrize(
    "rel",
    [
        pytest.param(rel, marks=pytest.mark.slow) if rel in SLOW else rel
        for rel in sorted(PAGES)
    ],
)
def test_the_pages_python_blocks_run(rel, _short_training, tmp_path, monkeypatch):
    for module in NEEDS.get(rel, ()):
        pytest.importorskip(module, reason=f"{rel} needs the 'distributed' extra")
    blocks = _python_blocks(rel)
    if not blocks:
        pytest.skip(f"{rel} has no Python block to run")
    monkeypatch.chdir(tmp_path)
    namespace = _user_data()
    for line, code in blocks:
        try:
            exec(compile(code, f"{rel}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"{rel}, the block at line {line} fails: {type(exc).__name__}: {exc}"
            ) from exc
