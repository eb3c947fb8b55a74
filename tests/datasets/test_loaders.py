"""Loaders of the real paired data sets in ../shared/data."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import DATA_DIR, needs_data

from skdatn.datasets import (
    load_cub_image_text,
    load_office_caltech,
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


# Office-Caltech10: view -> (n_rows, n_features)
OFFICE_SHAPES = {
    "surf_A": (958, 800),
    "surf_C": (1123, 800),
    "surf_D": (157, 800),
    "surf_W": (295, 800),
    "googlenet_A": (958, 1024),
    "googlenet_D": (157, 1024),
    "googlenet_W": (295, 1024),
    "caffenet_D": (157, 4096),
}


@needs_data
def test_office_caltech_contents():
    data = load_office_caltech(DATA_DIR)
    assert data.paired is False
    assert list(data.views) == list(data.targets) == list(OFFICE_SHAPES)
    assert data.view_names == list(OFFICE_SHAPES)
    assert (
        data.target_names[:2] == ["backpack", "bike"] and len(data.target_names) == 10
    )
    assert "office_caltech10" in data.filename and "NOT instance-paired" in data.DESCR
    for view, shape in OFFICE_SHAPES.items():
        X, y = data.views[view], data.targets[view]
        assert X.shape == shape and y.shape == (shape[0],)
        assert X.dtype == (np.float64 if view.startswith("surf") else np.float32)
        assert y.dtype.kind == "i" and set(np.unique(y)) == set(range(10))
        assert np.all(np.diff(y) >= 0), "rows are sorted by class"
    # the feature types of a domain share its labels, row by row
    for domain, views in {
        "A": ("surf", "googlenet"),
        "D": ("surf", "googlenet", "caffenet"),
        "W": ("surf", "googlenet"),
    }.items():
        first = data.targets[f"{views[0]}_{domain}"]
        for feature in views[1:]:
            np.testing.assert_array_equal(data.targets[f"{feature}_{domain}"], first)
    assert np.array_equal(np.bincount(data.targets["surf_W"])[:3], [29, 21, 31])
    # SURF are non-negative integer counts, as floats
    surf = data.views["surf_C"]
    assert surf.min() == 0 and np.array_equal(surf, np.round(surf)) and surf.max() > 1
    views, targets = load_office_caltech(DATA_DIR, return_X_y=True)
    assert list(views) == list(OFFICE_SHAPES)
    np.testing.assert_array_equal(views["googlenet_W"], data.views["googlenet_W"])
    np.testing.assert_array_equal(targets["caffenet_D"], data.targets["caffenet_D"])


def test_office_caltech_missing_file_names_its_fetcher(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"Office-Caltech10 data file was not found.*fetch_office_caltech\(\)",
    ):
        load_office_caltech(tmp_path)


def _office_npz(path, n_rows):
    """A small file with the arrays of office_caltech10_features.npz; the views
    of domain D have ``n_rows`` rows."""
    rng = np.random.default_rng(0)
    arrays = {f"y_{d}": np.arange(6) % 3 for d in "ACDW"}
    for view in OFFICE_SHAPES:
        n = n_rows if view.endswith("_D") else 6
        surf = view.startswith("surf")
        arrays[view] = (
            rng.integers(0, 5, size=(n, 4)).astype(np.uint8)
            if surf
            else rng.random((n, 3)).astype(np.float32)
        )
    arrays["class_names"] = np.array(["x", "y", "z"])
    np.savez(path, **arrays)
    return arrays


def test_office_caltech_reads_a_small_file(tmp_path):
    arrays = _office_npz(tmp_path / "office_caltech10_features.npz", 6)
    data = load_office_caltech(tmp_path)  # the file directly in data_dir
    np.testing.assert_array_equal(data.views["surf_A"], arrays["surf_A"])
    assert data.views["surf_A"].dtype == np.float64
    np.testing.assert_array_equal(data.targets["googlenet_D"], arrays["y_D"])
    assert data.target_names == ["x", "y", "z"]
    # each view's labels are its own array
    data.targets["surf_A"][0] = 7
    assert data.targets["googlenet_A"][0] == 0


def test_office_caltech_corrupt_file(tmp_path):
    _office_npz(tmp_path / "office_caltech10_features.npz", 5)
    with pytest.raises(ValueError, match="view 'surf_D' has 5 rows but y_D has 6"):
        load_office_caltech(tmp_path)
    np.savez(tmp_path / "office_caltech10_features.npz", surf_A=np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"lacks the arrays \['surf_C'"):
        load_office_caltech(tmp_path)
