"""A subclass's parameters taken from its base class: its signature and their docs.

DATNClassifierCV takes every parameter of DATNClassifier but the two it
searches over. scikit-learn reads an estimator's parameters from the signature
of its ``__init__``, so they must all stand there; this module builds that
signature, and the docstring entries, from the base's own, so that each
parameter is declared once (in DATNClassifier) and only the defaults that
differ are written again.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping

_SECTION = re.compile(r"^(\s*)Parameters\n\1-{10}\n", re.MULTILINE)


def inherited_signature(
    own_init: Callable,
    base: type,
    exclude: Iterable[str],
    defaults: Mapping[str, object],
) -> inspect.Signature:
    """``own_init``'s signature with its ``**params`` replaced by the base's
    parameters (keyword-only, but ``exclude``), ``defaults`` overriding theirs."""
    own = inspect.signature(own_init).parameters.values()
    skip = {"self", *(p.name for p in own), *exclude}
    unknown = set(defaults) - set(base._get_param_names())
    if unknown:
        raise ValueError(f"defaults for unknown parameters: {sorted(unknown)}")
    inherited = [
        p.replace(kind=p.KEYWORD_ONLY, default=defaults.get(p.name, p.default))
        for p in inspect.signature(base.__init__).parameters.values()
        if p.name not in skip
    ]
    kept = [p for p in own if p.kind != p.VAR_KEYWORD]
    return inspect.Signature([*kept, *inherited])


def _parameter_entries(doc: str) -> tuple[str, list[tuple[list[str], str]]]:
    """The indentation of ``doc``'s Parameters section and its entries, each
    as (names, text); ``a, b : type`` documents two names in one entry."""
    match = _SECTION.search(doc)
    if match is None:
        raise ValueError("the docstring has no Parameters section")
    indent = match.group(1)
    entries: list[tuple[list[str], str]] = []
    for line in doc[match.end() :].split("\n"):
        if not line.strip():
            break
        if line.startswith(indent) and not line[len(indent)].isspace():
            names = line.strip().split(" : ")[0]
            entries.append(([n.strip() for n in names.split(",")], line + "\n"))
        else:
            entries[-1] = (entries[-1][0], entries[-1][1] + line + "\n")
    return indent, entries


def inherited_parameter_docs(
    doc: str | None,
    base_doc: str | None,
    marker: str,
    names: Iterable[str],
    defaults: Mapping[str, object],
) -> str | None:
    """``doc`` with its ``marker`` line replaced by the base docstring's entries
    of ``names``, in the base's order, each ``default=`` of ``defaults`` rewritten.
    ``None`` when Python runs without docstrings (``-OO``)."""
    if doc is None or base_doc is None:
        return doc
    if marker not in doc:
        raise ValueError(f"the docstring has no line {marker!r}")
    wanted = set(names)
    indent, entries = _parameter_entries(base_doc)
    if _parameter_entries(doc)[0] != indent:
        raise ValueError("the two docstrings are indented differently")
    texts = []
    for entry_names, text in entries:
        if not wanted.intersection(entry_names):
            continue
        first, rest = text.split("\n", 1)
        for name in set(defaults).intersection(entry_names):
            first = re.sub(r"default=.*$", f"default={defaults[name]!r}", first)
        texts.append(first + "\n" + rest)
    return doc.replace(indent + marker + "\n", "".join(texts))
