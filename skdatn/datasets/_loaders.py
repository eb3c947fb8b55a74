"""Loaders of the real data sets kept outside the package (``data_dir``).

Every loader of a paired data set returns a :class:`~sklearn.utils.Bunch` with the same core fields:

- ``views``: dict of view name to an array (or CSR matrix) of shape
  ``(n_items, n_view_features)``; row i of every view is the same item;
- ``target``: labels of shape ``(n_items,)``;
- ``paired``: boolean mask of shape ``(n_items,)``, True where the item is truly
  seen in every view (all True for these data sets);
- ``view_names``, ``DESCR`` and ``filename``.

Data sets with extra rows seen in one view only (Webis-CLS-10) add them as
``unpaired_views`` / ``unpaired_target``.

Office-Caltech10 is not paired across its views (:func:`load_office_caltech`):
its Bunch has ``views`` and, instead of one ``target``, ``targets`` (a label
vector per view), and ``paired=False``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch

__all__ = [
    "DEFAULT_DATA_DIR",
    "load_cub_image_text",
    "load_office_caltech",
    "load_reuters_multilingual",
    "load_three_sources",
    "load_webis_cls10_books",
    "load_wikipedia_image_text",
]

#: Used when ``data_dir`` is None and the ``SKDATN_DATA_DIR`` variable is unset:
#: the project's shared data folder, relative to the working directory.
DEFAULT_DATA_DIR = os.path.join("..", "shared", "data")

REUTERS_VIEWS = ("en", "fr", "de", "it", "es")
THREE_SOURCES_VIEWS = ("bbc", "guardian", "reuters")
#: The views of Office-Caltech10, ``{feature}_{domain}`` (domains A amazon,
#: C caltech10, D dslr, W webcam): the arrays of its ``.npz`` of the same names.
OFFICE_CALTECH_VIEWS = (
    "surf_A",
    "surf_C",
    "surf_D",
    "surf_W",
    "googlenet_A",
    "googlenet_D",
    "googlenet_W",
    "caffenet_D",
)


def folder_path(value, name: str, env: str, default: str) -> Path:
    """The folder ``value``, else ``$env``, else ``default`` (``~`` expanded);
    ``name`` is the argument named in the error for a value that is not a path."""
    if value is None:
        value = os.environ.get(env) or default
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a path (str or os.PathLike) or None, "
            f"got {type(value).__name__}."
        )
    return Path(value).expanduser()


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    """The data folder: ``data_dir``, else ``$SKDATN_DATA_DIR``, else the default."""
    return folder_path(data_dir, "data_dir", "SKDATN_DATA_DIR", DEFAULT_DATA_DIR)


def _find_file(data_dir, folder: str, filename: str, dataset: str) -> Path:
    """Locate ``filename`` in ``data_dir/folder/`` or directly in ``data_dir``."""
    root = resolve_data_dir(data_dir)
    candidates = [root / folder / filename, root / filename]
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(f"'{p}'" for p in candidates)
    fetcher = _FETCHERS.get(folder)
    how = (
        f"skdatn.datasets.{fetcher}() downloads it from its original location; or "
        if fetcher
        else f"the original location is in the data set's description ({dataset}); "
    )
    raise FileNotFoundError(
        f"The {dataset} data file was not found (tried {tried}). {how}pass data_dir= "
        f"the folder that holds '{folder}/{filename}', or set the SKDATN_DATA_DIR "
        f"environment variable to it."
    )


#: The downloader of each data folder that has one (skdatn.datasets.fetch_*).
_FETCHERS = {
    "reuters_multilingual_1200": "fetch_reuters_multilingual",
    "three_sources": "fetch_three_sources",
    "cub_image_text": "fetch_cub_image_text",
    "webis_cls10_books_en_de": "fetch_webis_cls10_books",
    "wikipedia_image_text": "fetch_wikipedia_image_text",
    "office_caltech10": "fetch_office_caltech",
}


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key: np.array(data[key]) for key in data.files}


def _check_keys(arrays: dict, keys, path: Path) -> None:
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ValueError(
            f"'{path}' lacks the arrays {missing}; it does not look like the expected "
            f"data file (found {sorted(arrays)})."
        )


def _read(data_dir, folder: str, filename: str, dataset: str, keys) -> tuple:
    """The path of a data set's file and its arrays, which must hold ``keys``."""
    path = _find_file(data_dir, folder, filename, dataset)
    arrays = _load_npz(path)
    _check_keys(arrays, keys, path)
    return path, arrays


def _result(
    return_X_y: bool, views: dict, y: np.ndarray, path: Path, descr: str, **extra
):
    """What a loader returns: ``(views, y)``, or the Bunch of :func:`_bunch`."""
    if return_X_y:
        return views, y
    return _bunch(views, y, path, descr, **extra)


def _bunch(views: dict, y: np.ndarray, path: Path, descr: str, **extra) -> Bunch:
    n = y.shape[0]
    for name, X in views.items():
        if X.shape[0] != n:
            raise ValueError(
                f"'{path}': view {name!r} has {X.shape[0]} rows but there are {n} "
                f"labels; the file is corrupt."
            )
    fields = dict(
        views=views,
        target=y,
        paired=np.ones(n, dtype=bool),
        view_names=list(views),
        unpaired_views={},
        unpaired_target={},
        DESCR=descr,
        filename=str(path),
    )
    return Bunch(**{**fields, **extra})


def load_reuters_multilingual(
    data_dir: str | os.PathLike | None = None, *, return_X_y: bool = False
):
    """Load the multilingual Reuters sample: 1200 news documents in 5 languages.

    Row i of every view is the same document (English original and its machine
    translations); the values are tf-idf over 2000 words per language, with
    independent vocabularies (heterogeneous feature spaces). Six balanced
    topics (200 documents each).

    Parameters
    ----------
    data_dir : str or path-like, default=None
        Folder holding ``reuters_multilingual_1200/reuters_1200_5lang.npz`` (or
        the ``.npz`` itself). ``None`` uses ``$SKDATN_DATA_DIR`` or
        ``../shared/data``.
    return_X_y : bool, default=False
        Return ``(views, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``views`` (dict ``en``, ``fr``, ``de``, ``it``, ``es`` of float32 arrays
        of shape (1200, 2000)), ``target`` (int64, 0..5), ``paired`` (all True),
        ``view_names``, ``DESCR``, ``filename``.
    (views, y) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When the data file is not under ``data_dir``.
    """
    path, arrays = _read(
        data_dir,
        "reuters_multilingual_1200",
        "reuters_1200_5lang.npz",
        "Reuters",
        [f"X_{v}" for v in REUTERS_VIEWS] + ["y"],
    )
    views = {v: arrays[f"X_{v}"] for v in REUTERS_VIEWS}
    return _result(
        return_X_y,
        views,
        arrays["y"],
        path,
        "Multilingual Reuters (Amini et al. 2009; Grimal's 1200-document sample): "
        "tf-idf, 2000 words per language, views en fr de it es, 6 topics. Row i "
        "of every view is the same document.",
    )


def load_wikipedia_image_text(
    data_dir: str | os.PathLike | None = None, *, return_X_y: bool = False
):
    """Load the Wikipedia image-text data set: 2866 article sections, 10 classes.

    Row i of ``image`` (128-word SIFT bag of visual words) and of ``text``
    (10-topic LDA proportions) come from the same section.

    Parameters
    ----------
    data_dir : str or path-like, default=None
        Folder holding ``wikipedia_image_text/wikipedia_2866.npz`` (or the
        ``.npz`` itself). ``None`` uses ``$SKDATN_DATA_DIR`` or ``../shared/data``.
    return_X_y : bool, default=False
        Return ``(views, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``views`` (dict ``image`` (2866, 128), ``text`` (2866, 10)), ``target``
        (int64, 0..9), ``paired`` (all True), ``is_train`` (the standard 2173
        training rows), ``class_names``, ``view_names``, ``DESCR``, ``filename``.
    (views, y) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When the data file is not under ``data_dir``.
    """
    path, arrays = _read(
        data_dir,
        "wikipedia_image_text",
        "wikipedia_2866.npz",
        "Wikipedia",
        ["X_img", "X_txt", "y", "is_train", "class_names"],
    )
    views = {"image": arrays["X_img"], "text": arrays["X_txt"]}
    return _result(
        return_X_y,
        views,
        arrays["y"],
        path,
        "Wikipedia image-text (Rasiwasia et al. 2010): image SIFT-BoW 128, text "
        "LDA 10, 10 categories. Row i's image and text come from the same section.",
        is_train=arrays["is_train"],
        class_names=[str(c) for c in arrays["class_names"]],
    )


def load_cub_image_text(
    data_dir: str | os.PathLike | None = None, *, return_X_y: bool = False
):
    """Load the CUB birds image-text data set: 600 images of 10 classes.

    Row i of ``image`` (GoogLeNet, 1024) and ``text`` (doc2vec of the image's
    descriptions, 300) describe the same bird image.

    Parameters
    ----------
    data_dir : str or path-like, default=None
        Folder holding ``cub_image_text/cub_600.npz`` (or the ``.npz`` itself).
        ``None`` uses ``$SKDATN_DATA_DIR`` or ``../shared/data``.
    return_X_y : bool, default=False
        Return ``(views, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``views`` (dict ``image`` (600, 1024), ``text`` (600, 300)), ``target``
        (int64, 0..9, 60 each), ``paired`` (all True), ``view_names``,
        ``DESCR``, ``filename``.
    (views, y) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When the data file is not under ``data_dir``.
    """
    path, arrays = _read(
        data_dir,
        "cub_image_text",
        "cub_600.npz",
        "CUB image-text",
        ["X_img", "X_txt", "y"],
    )
    views = {"image": arrays["X_img"], "text": arrays["X_txt"]}
    return _result(
        return_X_y,
        views,
        arrays["y"],
        path,
        "CUB-200-2011, first 10 classes (60 images each): image GoogLeNet 1024, "
        "text doc2vec 300. Row i's views describe the same image.",
    )


def load_three_sources(
    data_dir: str | os.PathLike | None = None, *, return_X_y: bool = False
):
    """Load 3Sources: the same 169 news stories from BBC, The Guardian and Reuters.

    Each view is a term-count matrix over the outlet's own vocabulary; row i of
    every view is the same story (written independently by each outlet).

    Parameters
    ----------
    data_dir : str or path-like, default=None
        Folder holding ``three_sources/3sources_169.npz`` (or the ``.npz``
        itself). ``None`` uses ``$SKDATN_DATA_DIR`` or ``../shared/data``.
    return_X_y : bool, default=False
        Return ``(views, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``views`` (dict ``bbc`` (169, 3560), ``guardian`` (169, 3631),
        ``reuters`` (169, 3068), float64 counts), ``target`` (int64, 0..5,
        unbalanced: 56 21 11 18 51 12), ``paired`` (all True), ``view_names``,
        ``DESCR``, ``filename``.
    (views, y) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When the data file is not under ``data_dir``.
    """
    path, arrays = _read(
        data_dir,
        "three_sources",
        "3sources_169.npz",
        "3Sources",
        [f"X_{v}" for v in THREE_SOURCES_VIEWS] + ["y"],
    )
    views = {v: arrays[f"X_{v}"].astype(np.float64) for v in THREE_SOURCES_VIEWS}
    return _result(
        return_X_y,
        views,
        arrays["y"],
        path,
        "3Sources (Greene & Cunningham 2009): 169 stories reported by BBC, The "
        "Guardian and Reuters, term counts over each outlet's vocabulary, 6 topics.",
    )


def _csr(arrays: dict, prefix: str, path: Path) -> sp.csr_matrix:
    keys = [f"{prefix}_{part}" for part in ("data", "indices", "indptr", "shape")]
    _check_keys(arrays, keys, path)
    data, indices, indptr, shape = (arrays[k] for k in keys)
    return sp.csr_matrix(
        (data.astype(np.float64), indices, indptr), shape=tuple(int(s) for s in shape)
    )


def load_webis_cls10_books(
    data_dir: str | os.PathLike | None = None, *, return_X_y: bool = False
):
    """Load the Webis-CLS-10 books slice: English / German review sentiment.

    The paired items are 800 German book reviews (view ``de``) and their English
    machine translations (view ``en``). 1000 further English reviews with
    labels, seen in English only, come as ``unpaired_views["en"]`` and
    ``unpaired_target["en"]``. Every matrix is a sparse CSR of word counts.

    Parameters
    ----------
    data_dir : str or path-like, default=None
        Folder holding ``webis_cls10_books_en_de/cls10_books_en_de.npz`` (or the
        ``.npz`` itself). ``None`` uses ``$SKDATN_DATA_DIR`` or ``../shared/data``.
    return_X_y : bool, default=False
        Return ``(views, y)`` of the 800 paired reviews instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``views`` (dict ``en`` (800, 22478), ``de`` (800, 18927), CSR float64),
        ``target`` (int64 sentiment, 0 negative, 1 positive), ``paired`` (all
        True), ``unpaired_views`` (``{"en": CSR (1000, 22478)}``),
        ``unpaired_target`` (``{"en": (1000,) labels}``), ``vocabularies``
        (dict of view to array of tokens), ``view_names``, ``DESCR``,
        ``filename``.
    (views, y) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When the data file is not under ``data_dir``.
    """
    path, arrays = _read(
        data_dir,
        "webis_cls10_books_en_de",
        "cls10_books_en_de.npz",
        "Webis-CLS-10",
        ["y_pair", "y_en_train", "vocab_en", "vocab_de"],
    )
    views = {"en": _csr(arrays, "en_pair", path), "de": _csr(arrays, "de_pair", path)}
    if return_X_y:
        return views, arrays["y_pair"]
    return _bunch(
        views,
        arrays["y_pair"],
        path,
        "Webis-CLS-10 books (Prettenhofer & Stein 2010): 800 German reviews (de) "
        "with their English translations (en), plus 1000 labelled English-only "
        "reviews (unpaired_views['en']); word counts; sentiment labels.",
        unpaired_views={"en": _csr(arrays, "en_train", path)},
        unpaired_target={"en": arrays["y_en_train"]},
        vocabularies={"en": arrays["vocab_en"], "de": arrays["vocab_de"]},
    )


def _domain_labels(view: str) -> str:
    """The ``.npz`` array of the labels of an Office-Caltech10 view (``y_A`` ...)."""
    return "y_" + view.rsplit("_", 1)[1]


def load_office_caltech(
    data_dir: str | os.PathLike | None = None, *, return_X_y: bool = False
):
    """Load Office-Caltech10: images of 10 classes in 4 domains, 3 feature types.

    The domains are amazon (``A``, 958 images), caltech10 (``C``, 1123), dslr
    (``D``, 157) and webcam (``W``, 295). Each view is one feature type of one
    domain: SURF-800 bag of visual words (``surf_A``, ``surf_C``, ``surf_D``,
    ``surf_W``), GoogLeNet 1024 (``googlenet_A``, ``googlenet_D``,
    ``googlenet_W``) and CaffeNet 4096 (``caffenet_D``).

    The views are **not** instance-paired: the SURF and deep-feature rows of a
    domain are grouped by class in the same order, but within a class their
    order differs, so they share labels, not items. Each view therefore comes
    with its own label vector (``targets``) and ``paired`` is False; build an
    unpaired task (e.g. source ``surf_A``, target ``googlenet_W``) with
    :func:`make_unpaired_task`. Only ``googlenet_D`` and ``caffenet_D`` are
    mutually row-aligned (see the data set's ``SOURCE.md``).

    Parameters
    ----------
    data_dir : str or path-like, default=None
        Folder holding ``office_caltech10/office_caltech10_features.npz`` (or
        the ``.npz`` itself). ``None`` uses ``$SKDATN_DATA_DIR`` or
        ``../shared/data``.
    return_X_y : bool, default=False
        Return ``(views, targets)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``views`` (dict of the eight views above: SURF counts as float64 arrays
        of shape (n_domain, 800), GoogLeNet as float32 (n_domain, 1024),
        CaffeNet as float32 (157, 4096)), ``targets`` (dict with the same keys:
        each view's labels, int64 class codes 0..9, sorted by class),
        ``target_names`` (the 10 class names, in the order of the codes:
        backpack, bike, calculator, headphones, keyboard, laptop, monitor,
        mouse, mug, projector), ``view_names``, ``paired`` (False), ``DESCR``,
        ``filename``.
    (views, targets) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        When the data file is not under ``data_dir``
        (:func:`fetch_office_caltech` downloads it).

    Examples
    --------
    >>> from skdatn.datasets import load_office_caltech, make_unpaired_task
    >>> data = load_office_caltech()  # doctest: +SKIP
    >>> data.views["surf_A"].shape, data.views["googlenet_W"].shape  # doctest: +SKIP
    ((958, 800), (295, 1024))
    >>> task = make_unpaired_task(
    ...     data.views["surf_A"], data.targets["surf_A"],
    ...     data.views["googlenet_W"], data.targets["googlenet_W"],
    ...     random_state=0,
    ... )  # doctest: +SKIP
    >>> task.X_source.X.shape, task.X.shape, task.X_test.shape  # doctest: +SKIP
    ((200, 800), (30, 1024), (265, 1024))
    """
    label_keys = sorted({_domain_labels(v) for v in OFFICE_CALTECH_VIEWS})
    path, arrays = _read(
        data_dir,
        "office_caltech10",
        "office_caltech10_features.npz",
        "Office-Caltech10",
        [*OFFICE_CALTECH_VIEWS, *label_keys, "class_names"],
    )
    views, targets = {}, {}
    for name in OFFICE_CALTECH_VIEWS:
        X, y = arrays[name], arrays[_domain_labels(name)]
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"'{path}': view {name!r} has {X.shape[0]} rows but "
                f"{_domain_labels(name)} has {y.shape[0]} labels; the file is corrupt."
            )
        views[name] = X.astype(np.float64) if name.startswith("surf_") else X
        targets[name] = y.copy()
    if return_X_y:
        return views, targets
    return Bunch(
        views=views,
        targets=targets,
        target_names=[str(c) for c in arrays["class_names"]],
        view_names=list(views),
        paired=False,
        DESCR="Office-Caltech10 (Saenko et al. 2010; Gong et al. 2012): 10 classes "
        "in 4 domains (A amazon, C caltech10, D dslr, W webcam); SURF-800 counts "
        "(A C D W), GoogLeNet 1024 (A D W), CaffeNet 4096 (D). NOT instance-paired "
        "across feature types (class-level only): each view has its own labels "
        "in targets.",
        filename=str(path),
    )
