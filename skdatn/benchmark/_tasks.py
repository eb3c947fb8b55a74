"""The benchmark's data sets and its transfer tasks: which views, split how."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch

from .. import Domain
from ..datasets import (
    fetch_cub_image_text,
    fetch_office_caltech,
    fetch_reuters_multilingual,
    fetch_three_sources,
    fetch_webis_cls10_books,
    fetch_wikipedia_image_text,
    load_cub_image_text,
    load_mfeat,
    load_office_caltech,
    load_reuters_multilingual,
    load_three_sources,
    load_webis_cls10_books,
    load_wikipedia_image_text,
    make_transfer_task,
    make_unpaired_task,
)


@dataclass(frozen=True)
class DatasetSpec:
    """How the benchmark loads one data set and cuts its transfer tasks."""

    name: str
    load: Callable[[Any], Bunch]
    default_tasks: tuple[tuple[str, str], ...]
    task_kwargs: dict = field(default_factory=dict)
    estimator_kwargs: dict = field(default_factory=dict)
    embedded: bool = False
    note: str = ""
    #: Downloads it into the data home (``skdatn.datasets.fetch_*``), if possible.
    fetch: Callable[[], Bunch] | None = None
    #: Whether its views are rows of the same items (pairs can be cut from them);
    #: an unpaired data set's tasks are cut by ``make_unpaired_task``.
    paired: bool = True


def _load_mfeat(data_dir) -> Bunch:
    return load_mfeat()


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "mfeat",
            _load_mfeat,
            (("fac", "fou"), ("fac", "zer"), ("pix", "fou")),
            embedded=True,
            note="embedded; development tasks",
        ),
        DatasetSpec(
            "reuters",
            load_reuters_multilingual,
            (("en", "fr"), ("en", "de")),
            # 1200 documents: 18 labelled target rows + 1140 in the other sets.
            task_kwargs=dict(
                n_pairs=180,
                n_source_labeled=300,
                n_source_unlabeled=180,
                n_target_unlabeled=180,
                n_test=300,
            ),
            fetch=fetch_reuters_multilingual,
            note="development tasks",
        ),
        DatasetSpec(
            "wikipedia",
            load_wikipedia_image_text,
            # image>text: a real source weaker than the target (the guard's task).
            (("text", "image"), ("image", "text")),
            fetch=fetch_wikipedia_image_text,
            note="development tasks",
        ),
        DatasetSpec(
            "cub",
            load_cub_image_text,
            (("text", "image"), ("image", "text")),
            # 600 images: 30 labelled target rows + 560 in the other sets.
            task_kwargs=dict(
                n_pairs=100,
                n_source_labeled=150,
                n_source_unlabeled=90,
                n_target_unlabeled=100,
                n_test=120,
            ),
            fetch=fetch_cub_image_text,
            note="held out",
        ),
        DatasetSpec(
            "3sources",
            load_three_sources,
            (("bbc", "guardian"), ("bbc", "reuters")),
            # 169 stories, smallest class 11: 12 labelled target rows + 155 others;
            # 60 labelled source rows make a missing source class unlikely.
            task_kwargs=dict(
                n_target_labeled_per_class=2,
                n_pairs=35,
                n_source_labeled=60,
                n_source_unlabeled=15,
                n_target_unlabeled=15,
                n_test=30,
            ),
            fetch=fetch_three_sources,
            note="held out; tiny",
        ),
        DatasetSpec(
            "webis",
            load_webis_cls10_books,
            (("en", "de"),),
            # 800 paired reviews: 20 labelled German rows + 770 others; for en>de
            # the 1000 English-only labelled reviews are the labelled source rows.
            task_kwargs=dict(
                n_target_labeled_per_class=10,
                n_pairs=250,
                n_source_labeled=0,
                n_source_unlabeled=100,
                n_target_unlabeled=150,
                n_test=250,
            ),
            fetch=fetch_webis_cls10_books,
            note="held out; sparse (densified by the estimator), not in defaults",
        ),
        DatasetSpec(
            "office_caltech",
            load_office_caltech,
            # The CDLS/CDSPP protocol (make_unpaired_task's defaults): 20 labelled
            # SURF rows per class, 3 labelled GoogLeNet rows per class, the other
            # target rows unlabelled and tested.
            (
                ("surf_A", "googlenet_W"),
                ("surf_C", "googlenet_D"),
                ("surf_C", "googlenet_A"),
            ),
            fetch=fetch_office_caltech,
            paired=False,
            note="unpaired; development tasks (the other directions are held out)",
        ),
    )
}

DEFAULT_DATASETS = ("mfeat",)
_SIZE_KEYS = ("pairs", "source_labeled", "source_unlabeled", "target_unlabeled", "test")
_ROW_SIZES = ("target_labeled",) + _SIZE_KEYS


@dataclass(frozen=True)
class TaskSpec:
    """One transfer direction of one data set, e.g. ``mfeat:fac>fou``."""

    dataset: str
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.dataset}:{self.source}>{self.target}"


def parse_task(text: str) -> TaskSpec:
    """Parse ``"dataset:source>target"`` (``->`` works too) into a TaskSpec."""
    if not isinstance(text, str) or ":" not in text:
        raise ValueError(
            f"A task must look like 'dataset:source>target' (e.g. 'mfeat:fac>fou'), "
            f"got {text!r}."
        )
    dataset, _, direction = text.partition(":")
    dataset = dataset.strip().lower()
    direction = direction.replace("->", ">")
    if direction.count(">") != 1:
        raise ValueError(
            f"A task must look like 'dataset:source>target' (e.g. 'mfeat:fac>fou'), "
            f"got {text!r}."
        )
    source, target = (part.strip() for part in direction.split(">"))
    _check_dataset(dataset)
    if not source or not target or source == target:
        raise ValueError(
            f"Task {text!r} needs two different views, source>target, e.g. "
            f"'mfeat:fac>fou'."
        )
    return TaskSpec(dataset, source, target)


def _check_dataset(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose from {sorted(DATASETS)}.")
    return DATASETS[name]


def default_tasks(datasets: Iterable[str] = DEFAULT_DATASETS) -> list[TaskSpec]:
    """The default tasks of the given data sets (development tasks where defined)."""
    return [
        TaskSpec(name, s, t)
        for name in datasets
        for s, t in _check_dataset(name).default_tasks
    ]


#: The development tasks of the unpaired protocol (``../shared/data/README.md``):
#: the default tasks of the paired development data sets with their pairs
#: withheld, but Wikipedia image>text (the guard's task, whose real source is
#: weaker than the target), and Office-Caltech's.
UNPAIRED_TASKS = tuple(
    str(task)
    for task in default_tasks(("mfeat", "reuters", "wikipedia", "office_caltech"))
    if str(task) != "wikipedia:image>text"
)


class _DataCache:
    """Load each data set once per benchmark run."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self._data: dict[str, Bunch] = {}

    def get(self, name: str) -> Bunch:
        if name not in self._data:
            spec = _check_dataset(name)
            try:
                self._data[name] = spec.load(self.data_dir)
            except FileNotFoundError:
                # Without --data-dir, a data set that can be downloaded is.
                if self.data_dir is not None or spec.fetch is None:
                    raise
                self._data[name] = spec.fetch()
        return self._data[name]


def _check_views(task: TaskSpec, data: Bunch) -> None:
    for role, view in (("source", task.source), ("target", task.target)):
        if view not in data.views:
            raise ValueError(
                f"Task {task}: unknown {role} view {view!r} of {task.dataset}; its "
                f"views are {list(data.views)}."
            )


def build_task(task: TaskSpec, data: Bunch, seed: int, **overrides) -> Bunch:
    """Cut one transfer task with the data set's sizes (``overrides`` replace them).

    The split is :func:`~skdatn.datasets.make_transfer_task`; for a source view
    with extra labelled rows seen in that view only (Webis-CLS-10 English),
    those rows join the labelled source rows. An unpaired data set's split is
    :func:`~skdatn.datasets.make_unpaired_task`'s (no pairs, no
    ``X_test_source``).
    """
    _check_views(task, data)
    kwargs = {**DATASETS[task.dataset].task_kwargs, **overrides}
    if not DATASETS[task.dataset].paired:
        out = make_unpaired_task(
            data.views[task.source],
            data.targets[task.source],
            data.views[task.target],
            data.targets[task.target],
            random_state=seed,
            **kwargs,
        )
        out.pairs = None
        out.seed = seed
        return out
    out = make_transfer_task(
        data.views[task.source],
        data.views[task.target],
        data.target,
        random_state=seed,
        **kwargs,
    )
    extra_X = data.get("unpaired_views", {}).get(task.source)
    if extra_X is not None:
        extra_y = data.unpaired_target[task.source]
        if sp.issparse(extra_X):
            Xs = sp.vstack([extra_X, out.X_source.X]).tocsr()
        else:
            Xs = np.vstack([extra_X, out.X_source.X])
        ys = np.concatenate([extra_y, np.asarray(out.X_source.y)])
        out.X_source = Domain(Xs, ys)
        out.fit_params["X_source"] = out.X_source
    out.X_test_source = data.views[task.source][out.indices["test"]]
    out.seed = seed
    return out


def without_pairs(split: Bunch) -> Bunch:
    """A copy of ``split`` with its pairs withheld (the unpaired protocol)."""
    out = Bunch(**split)
    out.fit_params = {k: v for k, v in split.fit_params.items() if k != "pairs"}
    out.pairs = None
    return out


#: The split sizes ``run_benchmark(sizes=...)`` may replace, and their
#: ``make_transfer_task`` names.
_SIZE_ARGS = {
    "pairs": "n_pairs",
    "source_labeled": "n_source_labeled",
    "source_unlabeled": "n_source_unlabeled",
    "target_unlabeled": "n_target_unlabeled",
    "test": "n_test",
    "target_labeled_per_class": "n_target_labeled_per_class",
}


def _check_sizes(sizes) -> dict:
    """``sizes`` as ``make_transfer_task`` keyword arguments, or a clear error."""
    if sizes is None:
        return {}
    if not isinstance(sizes, dict):
        raise ValueError(f"sizes must be a dict or None, got {type(sizes).__name__}.")
    out = {}
    for key, value in sizes.items():
        if key not in _SIZE_ARGS:
            raise ValueError(
                f"Unknown split size {key!r} in sizes; choose from {list(_SIZE_ARGS)}."
            )
        count = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        share = isinstance(value, (float, np.floating)) and 0.0 <= value <= 1.0
        if key == "target_labeled_per_class":
            ok = count and value >= 1
            need = "an int >= 1"
        else:
            ok = (count and value >= 0) or share
            need = (
                "an int >= 0 (a count) or a float in [0, 1] (a fraction of all items)"
            )
        if not ok:
            raise ValueError(f"sizes[{key!r}] must be {need}, got {value!r}.")
        out[_SIZE_ARGS[key]] = value
    return out
