"""Loaders of the real paired data sets in ../shared/data."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import DATA_DIR, needs_data

from skdatn.datasets import (
    load_cub_image_text,
    load_reuters_multilingual,
    load_three_sources,
    load_webis_cls10_books,
    load_wikipedia_image_text,
)

# loader, folder, {view: n_features}, n_items, n_classes
CASES = [
    (
        load_reuters_multilingual,
        "reuters_multilingual_1200",
        {v: 2000 for v in ("en", "fr", "de", "it", "es")},
        1200,
        6,
    ),
    (
        load_wikipedia_image_text,
        "wikipedia_image_text",
        {"image": 128, "text": 10},
        2866,
        10,
    ),
    (load_cub_image_text, "cub_image_text", {"image": 1024, "text": 300}, 600, 10),
    (
        load_three_sources,
        "three_sources",
        {"bbc": 3560, "guardian": 3631, "reuters": 3068},
        169,
        6,
    ),
    (
        load_webis_cls10_books,
        "webis_cls10_books_en_de",
        {"en": 22478, "de": 18927},
        800,
        2,
    ),
]
IDS = [c[1] for c in CASES]


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("loader, folder, shapes, n, n_classes", CASES, ids=IDS)
def test_loader_contents(loader, folder, shapes, n, n_classes):
    data = loader(DATA_DIR)
    assert data.view_names == list(shapes)
    for view, d in shapes.items():
        assert data.views[view].shape == (n, d)
    assert data.target.shape == (n,)
    assert np.unique(data.target).size == n_classes
    assert data.paired.dtype == bool and data.paired.shape == (n,) and data.paired.all()
    assert folder in data.filename and data.DESCR
    views, y = loader(DATA_DIR, return_X_y=True)
    assert list(views) == list(shapes)
    np.testing.assert_array_equal(y, data.target)


@needs_data
@pytest.mark.parametrize("loader, folder, shapes, n, n_classes", CASES[:1], ids=IDS[:1])
def test_loader_accepts_the_dataset_folder(loader, folder, shapes, n, n_classes):
    views, y = loader(DATA_DIR / folder, return_X_y=True)
    assert y.shape == (n,)


@needs_data
def test_loader_reads_env_variable(monkeypatch):
    monkeypatch.setenv("SKDATN_DATA_DIR", str(DATA_DIR))
    _, y = load_three_sources(return_X_y=True)
    assert y.shape == (169,)
    assert np.array_equal(np.bincount(y), [56, 21, 11, 18, 51, 12])


@needs_data
def test_reuters_rows_are_paired():
    """A linear map fitted en->fr on half the documents finds partners on the rest."""
    views, y = load_reuters_multilingual(DATA_DIR, return_X_y=True)
    rng = np.random.RandomState(0)
    order = rng.permutation(y.size)
    train, test = order[:600], order[600:800]
    A = views["en"].astype(np.float64)
    B = views["fr"].astype(np.float64)
    W = np.linalg.solve(
        A[train].T @ A[train] + np.eye(A.shape[1]), A[train].T @ B[train]
    )
    P = A[test] @ W
    P /= np.linalg.norm(P, axis=1, keepdims=True) + 1e-12
    Q = B[test] / (np.linalg.norm(B[test], axis=1, keepdims=True) + 1e-12)
    top1 = np.mean(np.argmax(P @ Q.T, axis=1) == np.arange(test.size))
    assert top1 > 0.5  # chance is 0.005


@needs_data
def test_webis_is_sparse_with_unpaired_english():
    data = load_webis_cls10_books(DATA_DIR)
    assert all(sp.issparse(X) and X.format == "csr" for X in data.views.values())
    extra = data.unpaired_views["en"]
    assert sp.issparse(extra) and extra.shape == (1000, 22478)
    assert data.unpaired_target["en"].shape == (1000,)
    assert data.vocabularies["en"].shape == (22478,)
    assert data.vocabularies["de"].shape == (18927,)
    assert np.all(data.views["en"].data > 0)


@needs_data
def test_wikipedia_extras():
    data = load_wikipedia_image_text(DATA_DIR)
    assert data.is_train.sum() == 2173
    assert len(data.class_names) == 10 and data.class_names[0] == "art_architecture"


@pytest.mark.parametrize("loader", [c[0] for c in CASES], ids=IDS)
def test_missing_file_error(loader, tmp_path):
    with pytest.raises(FileNotFoundError, match="data file was not found.*data_dir="):
        loader(tmp_path)


def test_bad_data_dir_type():
    with pytest.raises(TypeError, match="data_dir must be a path"):
        load_cub_image_text(42)


def test_wrong_file_contents(tmp_path):
    folder = tmp_path / "cub_image_text"
    folder.mkdir()
    np.savez(folder / "cub_600.npz", X_img=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"lacks the arrays \['X_txt', 'y'\]"):
        load_cub_image_text(tmp_path)
