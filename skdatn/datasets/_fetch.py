"""Downloaders of the real paired data sets, from their original public location.

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
    REUTERS_VIEWS,
    THREE_SOURCES_VIEWS,
    load_reuters_multilingual,
    load_three_sources,
)

__all__ = ["fetch_reuters_multilingual", "fetch_three_sources", "get_data_home"]

#: The data home when neither ``data_home`` nor ``$SKDATN_DATA`` says otherwise.
DEFAULT_DATA_HOME = os.path.join("~", "skdatn_data")

_GITHUB = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class _Remote:
    """One original file: where it is published and its SHA-256."""

    repo: str
    commit: str
    path: str
    sha256: str

    @property
    def url(self) -> str:
        return _GITHUB.format(repo=self.repo, commit=self.commit, path=self.path)

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


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
    if data_home is None:
        data_home = os.environ.get("SKDATN_DATA") or DEFAULT_DATA_HOME
    if not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(
            f"data_home must be a path (str or os.PathLike) or None, "
            f"got {type(data_home).__name__}."
        )
    path = Path(data_home).expanduser()
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
    name: str,
    folder: str,
    npz: str,
    convert: Callable[[Path], dict],
    data_home,
    download_if_missing: bool,
) -> Path:
    """The folder of data set ``name`` in the data home, its ``npz`` made from
    the checked original file by ``convert`` when absent."""
    root = get_data_home(data_home) / folder
    target = root / npz
    if not target.is_file():
        original = _download(REMOTES[name], root, download_if_missing)
        arrays = convert(original)
        part = root / (npz + ".part.npz")
        np.savez(part, **arrays)
        part.replace(target)
    return root


def _mat_views(path: Path, n_views: int) -> tuple[list, np.ndarray]:
    """The views (cells of ``fea``) and labels (``gt``, from 1) of a .mat file."""
    mat = scipy.io.loadmat(path)
    cells, gt = mat.get("fea"), mat.get("gt")
    if cells is None or gt is None or cells.size != n_views:
        raise ValueError(
            f"{path} does not hold the expected arrays (fea with {n_views} views, gt)."
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


def fetch_reuters_multilingual(
    data_home: str | os.PathLike | None = None,
    *,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Download (once) and load the multilingual Reuters sample.

    The original is ``data/Reuters.mat`` of the GitHub repository
    ``youweiliang/Multi-view_Graph_Learning`` at commit ``0920aa3``
    (1.7 MB; 1200 documents in English, French, German, Italian and Spanish,
    tf-idf over 2000 words each, six topics). It is checked against its
    SHA-256 and converted to ``reuters_multilingual_1200/reuters_1200_5lang.npz``
    in the data home, which :func:`load_reuters_multilingual` then reads.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Where to keep the data (:func:`get_data_home`).
    download_if_missing : bool, default=True
        Download the file when it is not in the data home; ``False`` raises a
        ``FileNotFoundError`` instead.
    return_X_y : bool, default=False
        Return ``(views, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch or tuple
        As :func:`load_reuters_multilingual`.

    Raises
    ------
    OSError
        When the download fails (offline and not cached) or the downloaded
        file does not have the expected SHA-256.

    Examples
    --------
    >>> from skdatn.datasets import fetch_reuters_multilingual
    >>> data = fetch_reuters_multilingual()  # doctest: +SKIP
    >>> data.views["en"].shape  # doctest: +SKIP
    (1200, 2000)
    """
    root = _fetch(
        "reuters",
        "reuters_multilingual_1200",
        "reuters_1200_5lang.npz",
        _reuters_arrays,
        data_home,
        download_if_missing,
    )
    return load_reuters_multilingual(root, return_X_y=return_X_y)


def fetch_three_sources(
    data_home: str | os.PathLike | None = None,
    *,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Download (once) and load 3Sources: 169 stories from BBC, Guardian and Reuters.

    The original is ``data/3Sources.mat`` of the GitHub repository
    ``youweiliang/Multi-view_Graph_Learning`` at commit ``0920aa3`` (115 kB;
    term counts over each outlet's own vocabulary, six topics). It is checked
    against its SHA-256 and converted to ``three_sources/3sources_169.npz`` in
    the data home, which :func:`load_three_sources` then reads.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Where to keep the data (:func:`get_data_home`).
    download_if_missing : bool, default=True
        Download the file when it is not in the data home; ``False`` raises a
        ``FileNotFoundError`` instead.
    return_X_y : bool, default=False
        Return ``(views, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch or tuple
        As :func:`load_three_sources`.

    Raises
    ------
    OSError
        When the download fails (offline and not cached) or the downloaded
        file does not have the expected SHA-256.

    Examples
    --------
    >>> from skdatn.datasets import fetch_three_sources
    >>> data = fetch_three_sources()  # doctest: +SKIP
    >>> data.views["bbc"].shape  # doctest: +SKIP
    (169, 3560)
    """
    root = _fetch(
        "three_sources",
        "three_sources",
        "3sources_169.npz",
        _three_sources_arrays,
        data_home,
        download_if_missing,
    )
    return load_three_sources(root, return_X_y=return_X_y)
