"""Downloaders of the real data sets, from their original public location.

Each ``fetch_*`` function downloads the original file once (from the repository,
commit and path named in the data set's description), checks its SHA-256,
converts it to the ``.npz`` that the matching ``load_*`` function reads, and
keeps both under a data home (``data_home``, else ``$SKDATN_DATA``, else
``~/skdatn_data``). Later calls read the cached ``.npz``: they work offline.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

from ._loaders import (
    OFFICE_CALTECH_VIEWS,
    REUTERS_VIEWS,
    THREE_SOURCES_VIEWS,
    folder_path,
    load_cub_image_text,
    load_office_caltech,
    load_reuters_multilingual,
    load_three_sources,
    load_webis_cls10_books,
    load_wikipedia_image_text,
)

__all__ = [
    "fetch_cub_image_text",
    "fetch_office_caltech",
    "fetch_reuters_multilingual",
    "fetch_three_sources",
    "fetch_webis_cls10_books",
    "fetch_wikipedia_image_text",
    "get_data_home",
]

#: The data home when neither ``data_home`` nor ``$SKDATN_DATA`` says otherwise.
DEFAULT_DATA_HOME = os.path.join("~", "skdatn_data")

_GITHUB = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class _Remote:
    """One original file: where it is published and its SHA-256; ``local_name``
    is its name in the data home when not the last part of ``path`` (two
    originals of one data set with the same name)."""

    repo: str
    commit: str
    path: str
    sha256: str
    local_name: str = ""

    @property
    def url(self) -> str:
        return _GITHUB.format(repo=self.repo, commit=self.commit, path=self.path)

    @property
    def filename(self) -> str:
        return self.local_name or self.path.rsplit("/", 1)[-1]


#: The original files (the SHA-256 computed from the files at these commits).
REMOTES = {
    "reuters": _Remote(
        "youweiliang/Multi-view_Graph_Learning",
        "0920aa38676fd7b6953a6de1632d8e508bb3bbcd",
        "data/Reuters.mat",
        "af6c83c63dd2428ee1d0b32183aa0f660d17e941eded390da3ad83a7af75439c",
    ),
    "three_sources": _Remote(
        "youweiliang/Multi-view_Graph_Learning",
        "0920aa38676fd7b6953a6de1632d8e508bb3bbcd",
        "data/3Sources.mat",
        "bea41e71bca290a4a6358ddf21b2e3fa24c77199d8e49e25a413e1c7fe6998f1",
    ),
    "cub": _Remote(
        "XLearning-SCU/2023-IJCAI-ProImp",
        "7f993ecc3e3ca29aa2d7d6a6c3bea0bac0e932c1",
        "data/cub_googlenet_doc2vec_c10.mat",
        "3ab7dc9917c520e6931fa3338cb9c6e8b2f6a4050ca8a25c97360e87d7bbfc3a",
    ),
    "wikipedia": _Remote(
        "lichuanxiang/SCRATCH",
        "a3bad26d0b2bb39b59df876c2711bfeb742f9893",
        "wiki_data.mat",
        "8167d490086054087b6e39fddad51402e3c1c5bd19f1470ee4c7f04744cb51b6",
    ),
    # Webis-CLS-10 books, processed format: English reviews (st), the English
    # translations (su) of the German reviews (tu), line by line.
    "webis_st": _Remote(
        "thanhtunge6/clsa",
        "92ed1df221918f5e3f6773129e322a6e4b425e5d",
        "st.txt",
        "c348d4dd5552e684892923be7248bffad895e4b70afbf8a1a298a74cf5230473",
    ),
    "webis_su": _Remote(
        "thanhtunge6/clsa",
        "92ed1df221918f5e3f6773129e322a6e4b425e5d",
        "su.txt",
        "3349772edef2685f0755e9c8ad0eb3583be0bd67b7c1c23f2d75d6193c89883a",
    ),
    "webis_tu": _Remote(
        "thanhtunge6/clsa",
        "92ed1df221918f5e3f6773129e322a6e4b425e5d",
        "tu.txt",
        "b1b7c8d3842c6dbdecb946f740a4e5fe6233cd45c6779774914c0dfa62bf3b1d",
    ),
    # Office-Caltech10: one file per feature type and domain, kept as
    # "{view}.mat" (the domains' file names repeat across feature types).
    **{
        f"office_{view}": _Remote(
            "redhat12345/OfficeCaltechDomainAdaptation",
            "74f70487e1b975d1af05bb9a2ecfbf14a7000080",
            f"features/{path}",
            sha256,
            local_name=f"{view}.mat",
        )
        for view, path, sha256 in (
            (
                "surf_A",
                "surf/amazon.mat",
                "df32548b994e18d364c99e1f317e1fae100597259f0423a41b90f4f68187bb1f",
            ),
            (
                "surf_C",
                "surf/caltech10.mat",
                "4f9334c8ced489d5054de97a5fd51a61f017f3bcd1f38c9a85c6d78cb9d7bda5",
            ),
            (
                "surf_D",
                "surf/dslr.mat",
                "44d673c68e1d07b837893aa74dba3b986e4a6cc3fd66f0dd357683bdef059216",
            ),
            (
                "surf_W",
                "surf/webcam.mat",
                "a6a9c78b4b7181dfbb58bcfd351d4ebd737f171c31247b8884948aa156d3f700",
            ),
            (
                "googlenet_A",
                "GoogleNet1024/amazon.mat",
                "bae9ee6e8f7ca305120dd970f2c90471f4ef8dda4cb2ad2404c38bb26cb56ba9",
            ),
            (
                "googlenet_D",
                "GoogleNet1024/dslr.mat",
                "5f7c6211581f846b7b5534429fb62bfb7e490e88aacfc8bee97eb0b0224dbd89",
            ),
            (
                "googlenet_W",
                "GoogleNet1024/webcam.mat",
                "57774bbdf97433b5fb5a6333e302f077444c069537138b60ef417f48ee65d296",
            ),
            (
                "caffenet_D",
                "CaffeNet4096/dslr.mat",
                "2c7472bd590cad4318d77b643d6cd48c923c63df0eb9e74e5db25061677978fc",
            ),
        )
    },
}


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder where the ``fetch_*`` functions keep the data sets.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder; ``None`` means ``$SKDATN_DATA`` when set, else
        ``~/skdatn_data``. It is created if needed.

    Returns
    -------
    path : Path
        The data home.

    Examples
    --------
    >>> import tempfile
    >>> from skdatn.datasets import get_data_home
    >>> get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    path = folder_path(data_home, "data_home", "SKDATN_DATA", DEFAULT_DATA_HOME)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(remote: _Remote, folder: Path, download_if_missing: bool) -> Path:
    """The original file in ``folder``, downloaded and checked when absent."""
    path = folder / remote.filename
    if path.is_file() and _sha256(path) == remote.sha256:
        return path
    if not download_if_missing:
        raise FileNotFoundError(
            f"{path} is not there and download_if_missing=False; call again with "
            f"download_if_missing=True (it downloads {remote.url})."
        )
    folder.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(remote.url, timeout=120) as response:
            with open(part, "wb") as f:
                shutil.copyfileobj(response, f)
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise OSError(
            f"Could not download {remote.url} ({exc}). Without a network "
            f"connection the data set can be used once it is cached: download "
            f"that file by other means and put it at {path} (its SHA-256 is "
            f"checked), then call again."
        ) from exc
    digest = _sha256(part)
    if digest != remote.sha256:
        part.unlink()
        raise OSError(
            f"The file downloaded from {remote.url} is not the expected one: its "
            f"SHA-256 is {digest}, expected {remote.sha256}. Nothing was kept."
        )
    part.replace(path)
    return path


def _fetch(
    names: tuple[str, ...],
    folder: str,
    npz: str,
    convert: Callable[..., dict],
    data_home,
    download_if_missing: bool,
) -> Path:
    """The folder of a data set in the data home, its ``npz`` made by
    ``convert`` from the checked original files ``names`` when absent."""
    root = get_data_home(data_home) / folder
    target = root / npz
    if not target.is_file():
        originals = [_download(REMOTES[n], root, download_if_missing) for n in names]
        arrays = convert(*originals)
        part = root / (npz + ".part.npz")
        np.savez(part, **arrays)
        part.replace(target)
    return root


def _mat_views(path: Path, n_views: int, key: str = "fea") -> tuple[list, np.ndarray]:
    """The views (cells of ``key``) and labels (``gt``, from 1) of a .mat file."""
    mat = scipy.io.loadmat(path)
    cells, gt = mat.get(key), mat.get("gt")
    if cells is None or gt is None or cells.size != n_views:
        raise ValueError(
            f"{path} does not hold the expected arrays ({key} with {n_views} views, gt)."
        )
    views = [cells.flat[i] for i in range(n_views)]
    y = np.asarray(gt).ravel().astype(np.int64)
    return views, y - y.min()


def _reuters_arrays(path: Path) -> dict:
    views, y = _mat_views(path, len(REUTERS_VIEWS))
    arrays = {
        f"X_{name}": (v.toarray() if sp.issparse(v) else np.asarray(v)).astype(
            np.float32
        )
        for name, v in zip(REUTERS_VIEWS, views, strict=True)
    }
    return {**arrays, "y": y}


def _three_sources_arrays(path: Path) -> dict:
    views, y = _mat_views(path, len(THREE_SOURCES_VIEWS))
    arrays = {
        f"X_{name}": (v.toarray() if sp.issparse(v) else np.asarray(v)).astype(np.uint8)
        for name, v in zip(THREE_SOURCES_VIEWS, views, strict=True)
    }
    return {**arrays, "y": y}


def _cub_arrays(path: Path) -> dict:
    (image, text), y = _mat_views(path, 2, key="X")
    return {
        "X_img": np.asarray(image, dtype=np.float32),
        "X_txt": np.asarray(text, dtype=np.float32),
        "y": y,
    }


#: The ten categories of the Wikipedia data set, in the order of its labels.
WIKIPEDIA_CLASSES = (
    "art_architecture",
    "biology",
    "geography_places",
    "history",
    "literature_theatre",
    "media",
    "music",
    "royalty_nobility",
    "sport_recreation",
    "warfare",
)


def _wikipedia_arrays(path: Path) -> dict:
    """The MATLAB 7.3 (HDF5) original: ``I_*`` image and ``T_*`` text features
    and one-hot labels ``L_*``, one column per document, train then test."""
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(
            "fetch_wikipedia_image_text reads a MATLAB 7.3 (HDF5) file, which needs "
            "h5py: pip install h5py."
        ) from exc
    with h5py.File(path, "r") as f:
        parts = {k: [np.asarray(f[f"{k}_tr"]), np.asarray(f[f"{k}_te"])] for k in "ITL"}
    n_train = parts["I"][0].shape[1]
    image, text, onehot = (np.hstack(parts[k]) for k in "ITL")
    n = image.shape[1]
    return {
        "X_img": image.T.astype(np.float32),
        "X_txt": text.T.astype(np.float32),
        "y": onehot.argmax(axis=0).astype(np.int64),
        "is_train": np.arange(n) < n_train,
        "class_names": np.array(WIKIPEDIA_CLASSES),
    }


def _processed_reviews(path: Path) -> tuple[list[dict], np.ndarray]:
    """Webis-CLS-10's processed format: a review per line, ``token:count`` items
    then ``#label#:positive`` or ``#label#:negative``."""
    reviews, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            body, marker, label = line.strip().rpartition("#label#:")
            if not marker:
                continue
            counts: dict[str, int] = {}
            for item in body.split():
                token, _, count = item.rpartition(":")
                counts[token] = counts.get(token, 0) + int(count)
            reviews.append(counts)
            labels.append(1 if label == "positive" else 0)
    return reviews, np.array(labels, dtype=np.int64)


def _count_matrix(reviews: list[dict], vocabulary: list[str], prefix: str) -> dict:
    """The reviews as CSR components (``prefix_data``, ...) over ``vocabulary``."""
    column = {token: j for j, token in enumerate(vocabulary)}
    data, indices, indptr = [], [], [0]
    for counts in reviews:
        items = sorted((column[t], c) for t, c in counts.items())
        indices += [j for j, _ in items]
        data += [c for _, c in items]
        indptr.append(len(indices))
    return {
        f"{prefix}_data": np.array(data, dtype=np.int32),
        f"{prefix}_indices": np.array(indices, dtype=np.int32),
        f"{prefix}_indptr": np.array(indptr, dtype=np.int64),
        f"{prefix}_shape": np.array([len(reviews), len(vocabulary)], dtype=np.int64),
    }


def _webis_arrays(st: Path, su: Path, tu: Path) -> dict:
    en_train, y_en = _processed_reviews(st)
    en_pair, _ = _processed_reviews(su)
    de_pair, y_pair = _processed_reviews(tu)
    # Each language's columns: its tokens, sorted.
    vocab_en = sorted(set().union(*en_train, *en_pair))
    vocab_de = sorted(set().union(*de_pair))
    return {
        **_count_matrix(en_train, vocab_en, "en_train"),
        "y_en_train": y_en,
        **_count_matrix(en_pair, vocab_en, "en_pair"),
        **_count_matrix(de_pair, vocab_de, "de_pair"),
        "y_pair": y_pair,
        "vocab_en": np.array(vocab_en),
        "vocab_de": np.array(vocab_de),
    }


#: The ten classes of Office-Caltech10, in the order of its labels (1..10 in the
#: originals, which do not name them): the sorted names of the class folders of
#: the repository's images.
OFFICE_CALTECH_CLASSES = (
    "backpack",
    "bike",
    "calculator",
    "headphones",
    "keyboard",
    "laptop",
    "monitor",
    "mouse",
    "mug",
    "projector",
)


def _office_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The features (``fts``, one row per image) and labels (``labels``, from 1)
    of an Office-Caltech10 original; the labels from 0."""
    mat = scipy.io.loadmat(path)
    fts, labels = mat.get("fts"), mat.get("labels")
    if fts is None or labels is None or fts.ndim != 2 or labels.size != len(fts):
        raise ValueError(
            f"{path} does not hold the expected arrays (fts of shape (n_images, "
            f"n_features), labels of n_images classes from 1)."
        )
    y = np.asarray(labels).ravel().astype(np.int64) - 1
    if y.size and (y.min() < 0 or y.max() >= len(OFFICE_CALTECH_CLASSES)):
        raise ValueError(
            f"{path}: labels outside 1..{len(OFFICE_CALTECH_CLASSES)} "
            f"({y.min() + 1}..{y.max() + 1})."
        )
    return fts, y


def _office_caltech_arrays(*paths: Path) -> dict:
    """The originals of :data:`OFFICE_CALTECH_VIEWS`, in that order: SURF counts
    kept as uint8, deep features as float32, one label vector per domain
    (``y_A`` ...), which every feature type of the domain must share."""
    arrays, labels = {}, {}
    for view, path in zip(OFFICE_CALTECH_VIEWS, paths, strict=True):
        fts, y = _office_mat(path)
        feature, domain = view.rsplit("_", 1)
        arrays[view] = np.asarray(
            fts, dtype=np.uint8 if feature == "surf" else np.float32
        )
        known = labels.setdefault(f"y_{domain}", y)
        if not np.array_equal(known, y):
            raise ValueError(
                f"The labels of {path} ({view}) differ from those of the other "
                f"features of domain {domain}; the originals are not the expected ones."
            )
    return {**arrays, **labels, "class_names": np.array(OFFICE_CALTECH_CLASSES)}


_FETCH_DOC = """Download (once) and load {title}.

{source} It is checked against its SHA-256 and converted to ``{folder}/{npz}``
in the data home, which :func:`{load}` then reads; later calls read that file,
offline.

Parameters
----------
data_home : str or path-like, default=None
    Where to keep the data (:func:`get_data_home`).
download_if_missing : bool, default=True
    Download the original when it is not in the data home; ``False`` raises a
    ``FileNotFoundError`` instead.
return_X_y : bool, default=False
    Return ``{xy}`` instead of a Bunch.

Returns
-------
data : Bunch or tuple
    As :func:`{load}`.

Raises
------
OSError
    When the download fails (offline and not cached) or a downloaded file does
    not have the expected SHA-256.{extra_raises}

Examples
--------
>>> from skdatn.datasets import {name}
>>> data = {name}()  # doctest: +SKIP
>>> data.views["{view}"].shape  # doctest: +SKIP
{shape}
"""


def _fetcher(
    name: str,
    remotes: tuple[str, ...],
    folder: str,
    npz: str,
    convert: Callable[..., dict],
    load: Callable,
    **doc: str,
) -> Callable:
    """The public ``fetch_*`` function of one data set (its docstring from
    :data:`_FETCH_DOC`)."""

    def fetch(
        data_home: str | os.PathLike | None = None,
        *,
        download_if_missing: bool = True,
        return_X_y: bool = False,
    ):
        root = _fetch(remotes, folder, npz, convert, data_home, download_if_missing)
        return load(root, return_X_y=return_X_y)

    fetch.__name__ = fetch.__qualname__ = name
    doc.setdefault("xy", "(views, y)")
    fetch.__doc__ = _FETCH_DOC.format(
        name=name, folder=folder, npz=npz, load=load.__name__, **doc
    )
    return fetch


fetch_reuters_multilingual = _fetcher(
    "fetch_reuters_multilingual",
    ("reuters",),
    "reuters_multilingual_1200",
    "reuters_1200_5lang.npz",
    _reuters_arrays,
    load_reuters_multilingual,
    title="the multilingual Reuters sample: 1200 documents in 5 languages",
    source="The original is ``data/Reuters.mat`` of the GitHub repository\n"
    "``youweiliang/Multi-view_Graph_Learning`` at commit ``0920aa3`` (1.7 MB;\n"
    "tf-idf over 2000 words per language, six topics).",
    extra_raises="",
    view="en",
    shape="(1200, 2000)",
)
fetch_three_sources = _fetcher(
    "fetch_three_sources",
    ("three_sources",),
    "three_sources",
    "3sources_169.npz",
    _three_sources_arrays,
    load_three_sources,
    title="3Sources: 169 stories from BBC, The Guardian and Reuters",
    source="The original is ``data/3Sources.mat`` of the GitHub repository\n"
    "``youweiliang/Multi-view_Graph_Learning`` at commit ``0920aa3`` (115 kB;\n"
    "term counts over each outlet's own vocabulary, six topics).",
    extra_raises="",
    view="bbc",
    shape="(169, 3560)",
)
fetch_cub_image_text = _fetcher(
    "fetch_cub_image_text",
    ("cub",),
    "cub_image_text",
    "cub_600.npz",
    _cub_arrays,
    load_cub_image_text,
    title="CUB image-text: 600 bird images and their descriptions",
    source="The original is ``data/cub_googlenet_doc2vec_c10.mat`` of the GitHub\n"
    "repository ``XLearning-SCU/2023-IJCAI-ProImp`` at commit ``7f993ec`` (3.2 MB;\n"
    "the first 10 classes of CUB-200-2011, 1024-d GoogLeNet image features and\n"
    "300-d doc2vec text features).",
    extra_raises="",
    view="image",
    shape="(600, 1024)",
)
fetch_webis_cls10_books = _fetcher(
    "fetch_webis_cls10_books",
    ("webis_st", "webis_su", "webis_tu"),
    "webis_cls10_books_en_de",
    "cls10_books_en_de.npz",
    _webis_arrays,
    load_webis_cls10_books,
    title="the Webis-CLS-10 books slice, English and German",
    source="The originals are ``st.txt``, ``su.txt`` and ``tu.txt`` of the GitHub\n"
    "repository ``thanhtunge6/clsa`` at commit ``92ed1df`` (2.4 MB; later commits\n"
    "deleted them): 1000 labelled English book reviews, and 800 German reviews\n"
    "with their English machine translations, line by line, in the corpus's\n"
    "processed format (``token:count`` items and a sentiment label), counted\n"
    "over each language's sorted vocabulary.",
    extra_raises="",
    view="de",
    shape="(800, 18927)",
)
fetch_wikipedia_image_text = _fetcher(
    "fetch_wikipedia_image_text",
    ("wikipedia",),
    "wikipedia_image_text",
    "wikipedia_2866.npz",
    _wikipedia_arrays,
    load_wikipedia_image_text,
    title="the Wikipedia image-text data set: 2866 article sections",
    source="The original is ``wiki_data.mat`` of the GitHub repository\n"
    "``lichuanxiang/SCRATCH`` at commit ``a3bad26`` (1 MB; 128-d SIFT\n"
    "bag-of-visual-words image features and 10-d LDA text features, ten\n"
    "categories, 2173 training then 693 test sections), a MATLAB 7.3 (HDF5)\n"
    "file read with h5py (``pip install h5py``).",
    extra_raises="\nImportError\n    When h5py, needed to read the original, is not installed.",
    view="image",
    shape="(2866, 128)",
)
fetch_office_caltech = _fetcher(
    "fetch_office_caltech",
    tuple(f"office_{view}" for view in OFFICE_CALTECH_VIEWS),
    "office_caltech10",
    "office_caltech10_features.npz",
    _office_caltech_arrays,
    load_office_caltech,
    title="Office-Caltech10: images of 10 classes in 4 domains, 3 feature types",
    source="The originals are ``features/surf/{amazon,caltech10,dslr,webcam}.mat``,\n"
    "``features/GoogleNet1024/{amazon,dslr,webcam}.mat`` and\n"
    "``features/CaffeNet4096/dslr.mat`` of the GitHub repository\n"
    "``redhat12345/OfficeCaltechDomainAdaptation`` at commit ``74f7048`` (8 files,\n"
    "8.7 MB; SURF-800 bag-of-words counts, GoogLeNet 1024-d and CaffeNet 4096-d\n"
    "features; the other deep-feature files of that repository are not used;\n"
    "the views are not instance-paired, see :func:`load_office_caltech`).",
    extra_raises="\nValueError\n    When the feature types of a domain do not share its labels.",
    xy="(views, targets)",
    view="surf_A",
    shape="(958, 800)",
)
