"""The fetch_* downloaders: a local file stands in for the remote one."""

import dataclasses
import hashlib
import urllib.error
import urllib.request

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from skdatn.datasets import (
    _fetch,
    fetch_cub_image_text,
    fetch_office_caltech,
    fetch_reuters_multilingual,
    fetch_three_sources,
    fetch_webis_cls10_books,
    fetch_wikipedia_image_text,
    get_data_home,
)
from skdatn.datasets._loaders import OFFICE_CALTECH_VIEWS


def fake_mat(path, n=12, widths=(7, 5, 6, 4, 3), sparse=True, seed=0):
    """A small file with the layout of the originals: views in ``fea``, labels
    from 1 in ``gt``."""
    rng = np.random.default_rng(seed)
    views = np.empty((1, len(widths)), dtype=object)
    for i, d in enumerate(widths):
        X = (rng.random((n, d)) < 0.3) * rng.integers(1, 9, size=(n, d))
        views[0, i] = sp.csc_matrix(X.astype(float)) if sparse else X.astype(np.uint8)
    gt = (np.arange(n) % 3 + 1).reshape(-1, 1).astype(np.uint8)
    scipy.io.savemat(path, {"fea": views, "gt": gt})
    return views, gt


def serve(monkeypatch, files: dict):
    """The remotes named in ``files`` served from local files, checksums theirs."""
    for name, path in files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        fake = dataclasses.replace(_fetch.REMOTES[name], sha256=digest)
        monkeypatch.setitem(_fetch.REMOTES, name, fake)
    by_file = {_fetch.REMOTES[n].filename: p for n, p in files.items()}
    monkeypatch.setattr(
        _fetch._Remote, "url", property(lambda r: by_file[r.filename].as_uri())
    )


@pytest.fixture
def remote(tmp_path, monkeypatch):
    """The Reuters original served from a local file, with its own checksum."""
    source = tmp_path / "remote" / "Reuters.mat"
    source.parent.mkdir()
    views, gt = fake_mat(source)
    serve(monkeypatch, {"reuters": source})
    return views, gt


def test_fetch_downloads_checks_converts_and_then_works_offline(
    tmp_path, remote, monkeypatch
):
    views, gt = remote
    home = tmp_path / "home"
    data = fetch_reuters_multilingual(home)
    for i, name in enumerate(("en", "fr", "de", "it", "es")):
        np.testing.assert_array_equal(data.views[name], views[0, i].toarray())
        assert data.views[name].dtype == np.float32
    np.testing.assert_array_equal(data.target, gt.ravel() - 1)
    assert (home / "reuters_multilingual_1200" / "reuters_1200_5lang.npz").is_file()
    assert not list(home.rglob("*.part*"))

    def offline(*args, **kwargs):
        raise AssertionError("a cached data set must not be downloaded again")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    views_again, y = fetch_reuters_multilingual(home, return_X_y=True)
    np.testing.assert_array_equal(y, data.target)


def test_the_data_home_comes_from_skdatn_data(tmp_path, remote, monkeypatch):
    monkeypatch.setenv("SKDATN_DATA", str(tmp_path / "env_home"))
    assert get_data_home() == tmp_path / "env_home"
    fetch_reuters_multilingual()
    assert (tmp_path / "env_home" / "reuters_multilingual_1200").is_dir()
    monkeypatch.delenv("SKDATN_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert get_data_home() == tmp_path / "user" / "skdatn_data"
    with pytest.raises(TypeError, match="data_home must be a path"):
        get_data_home(3)


def test_a_file_with_another_checksum_is_refused(tmp_path, remote, monkeypatch):
    wrong = dataclasses.replace(_fetch.REMOTES["reuters"], sha256="0" * 64)
    monkeypatch.setitem(_fetch.REMOTES, "reuters", wrong)
    with pytest.raises(OSError, match="is not the expected one: its SHA-256 is"):
        fetch_reuters_multilingual(tmp_path / "home")
    assert not list((tmp_path / "home").rglob("*.mat*"))  # nothing kept


def test_offline_and_not_cached_says_what_to_do(tmp_path, remote, monkeypatch):
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(
        OSError, match=r"Could not download .*no route to host.*put it at"
    ):
        fetch_reuters_multilingual(tmp_path / "home")
    with pytest.raises(FileNotFoundError, match="download_if_missing=False"):
        fetch_reuters_multilingual(tmp_path / "home", download_if_missing=False)


def test_three_sources_keeps_its_counts(tmp_path, monkeypatch):
    source = tmp_path / "3Sources.mat"
    views, gt = fake_mat(source, widths=(5, 6, 4), sparse=False)
    serve(monkeypatch, {"three_sources": source})
    views_out, y = fetch_three_sources(tmp_path / "home", return_X_y=True)
    for i, name in enumerate(("bbc", "guardian", "reuters")):
        np.testing.assert_array_equal(views_out[name], views[0, i])
    np.testing.assert_array_equal(y, gt.ravel() - 1)


def test_the_remotes_are_the_described_originals():
    for remote in _fetch.REMOTES.values():
        assert remote.url.startswith("https://raw.githubusercontent.com/")
        assert remote.commit in remote.url and len(remote.sha256) == 64


def test_cub_reads_the_cells_of_x(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    cells = np.empty((1, 2), dtype=object)
    cells[0, 0], cells[0, 1] = rng.random((6, 4)), rng.normal(size=(6, 3))
    source = tmp_path / "cub_googlenet_doc2vec_c10.mat"
    scipy.io.savemat(source, {"X": cells, "gt": np.array([[1], [2]] * 3)})
    serve(monkeypatch, {"cub": source})
    views, y = fetch_cub_image_text(tmp_path / "home", return_X_y=True)
    np.testing.assert_allclose(views["image"], cells[0, 0].astype(np.float32))
    np.testing.assert_allclose(views["text"], cells[0, 1].astype(np.float32))
    np.testing.assert_array_equal(y, [0, 1] * 3)


def test_webis_counts_each_token_over_a_sorted_vocabulary(tmp_path, monkeypatch):
    lines = {
        "st": ["the:2 book:1 #label#:positive", "bad:1 the:1 #label#:negative"],
        "su": ["good:1 book:2 #label#:positive", "a:1:b:1 #label#:negative"],
        "tu": ["gut:1 buch:2 #label#:positive", "schlecht:3 #label#:negative"],
    }
    files = {}
    for name, content in lines.items():
        files[f"webis_{name}"] = tmp_path / f"{name}.txt"
        files[f"webis_{name}"].write_text("\n".join(content) + "\n", encoding="utf-8")
    serve(monkeypatch, files)
    data = fetch_webis_cls10_books(tmp_path / "home")
    vocab_en = ["a:1:b", "bad", "book", "good", "the"]  # a token may hold ':'
    assert data.vocabularies["en"].tolist() == vocab_en
    assert data.vocabularies["de"].tolist() == ["buch", "gut", "schlecht"]
    np.testing.assert_array_equal(
        data.unpaired_views["en"].toarray(), [[0, 0, 1, 0, 2], [0, 1, 0, 0, 1]]
    )
    np.testing.assert_array_equal(data.unpaired_target["en"], [1, 0])
    np.testing.assert_array_equal(
        data.views["en"].toarray(), [[0, 0, 2, 1, 0], [1, 0, 0, 0, 0]]
    )
    np.testing.assert_array_equal(data.views["de"].toarray(), [[2, 1, 0], [0, 0, 3]])
    np.testing.assert_array_equal(data.target, [1, 0])


def test_wikipedia_reads_the_matlab_73_file(tmp_path, monkeypatch):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(0)
    parts = {"tr": 5, "te": 3}
    source = tmp_path / "wiki_data.mat"
    with h5py.File(source, "w") as f:  # MATLAB 7.3: one column per document
        for part, n in parts.items():
            f[f"I_{part}"] = rng.random((128, n))
            f[f"T_{part}"] = rng.random((10, n))
            f[f"L_{part}"] = np.eye(10)[:, np.arange(n) % 10]
        expected_image = np.hstack([f["I_tr"][()], f["I_te"][()]]).T
    serve(monkeypatch, {"wikipedia": source})
    data = fetch_wikipedia_image_text(tmp_path / "home")
    np.testing.assert_allclose(data.views["image"], expected_image.astype(np.float32))
    np.testing.assert_array_equal(data.target, [0, 1, 2, 3, 4, 0, 1, 2])
    np.testing.assert_array_equal(data.is_train, [True] * 5 + [False] * 3)
    assert data.class_names[0] == "art_architecture" and len(data.class_names) == 10


def fake_office(folder, labels=None):
    """Small files with the layout of the Office-Caltech10 originals: ``fts``
    (SURF uint8 counts with ``labels`` n x 1; deep features float32 with
    ``labels`` 1 x n), labels from 1, each domain's rows sorted by class."""
    rng = np.random.default_rng(0)
    labels = labels or {
        "A": [1, 1, 2, 3, 10],
        "C": [1, 2, 2],
        "D": [4, 5],
        "W": [1, 9, 9, 10],
    }
    files, fts = {}, {}
    for view in OFFICE_CALTECH_VIEWS:
        feature, domain = view.split("_")
        y = np.array(labels[domain])
        if feature == "surf":
            X = rng.integers(0, 256, size=(y.size, 8)).astype(np.uint8)
            mat = {"fts": X, "labels": y.reshape(-1, 1).astype(np.uint8)}
        else:
            X = rng.normal(size=(y.size, 6 if feature == "googlenet" else 9))
            mat = {"fts": X.astype(np.float32), "labels": y.reshape(1, -1)}
        files[f"office_{view}"] = folder / f"{view}_original.mat"
        scipy.io.savemat(files[f"office_{view}"], mat)
        fts[view] = mat["fts"]
    return files, fts


def test_office_caltech_converts_the_eight_originals(tmp_path, monkeypatch):
    files, fts = fake_office(tmp_path)
    serve(monkeypatch, files)
    home = tmp_path / "home"
    data = fetch_office_caltech(home)
    assert data.paired is False and list(data.views) == list(OFFICE_CALTECH_VIEWS)
    for view in OFFICE_CALTECH_VIEWS:
        np.testing.assert_array_equal(data.views[view], fts[view])
    assert data.views["surf_W"].dtype == np.float64
    assert data.views["caffenet_D"].dtype == np.float32
    np.testing.assert_array_equal(data.targets["surf_A"], [0, 0, 1, 2, 9])
    np.testing.assert_array_equal(data.targets["googlenet_W"], [0, 8, 8, 9])
    assert data.target_names[0] == "backpack" and data.target_names[9] == "projector"
    folder = home / "office_caltech10"
    with np.load(folder / "office_caltech10_features.npz") as npz:
        assert npz["surf_C"].dtype == np.uint8 and npz["y_D"].dtype == np.int64
        assert sorted(npz.files) == sorted(
            [*OFFICE_CALTECH_VIEWS, "y_A", "y_C", "y_D", "y_W", "class_names"]
        )
    # the eight originals are kept under distinct names
    assert len(list(folder.glob("*.mat"))) == 8

    def offline(*args, **kwargs):
        raise AssertionError("a cached data set must not be downloaded again")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    views, targets = fetch_office_caltech(home, return_X_y=True)
    np.testing.assert_array_equal(targets["caffenet_D"], [3, 4])


def test_office_caltech_refuses_a_file_with_another_checksum(tmp_path, monkeypatch):
    files, _ = fake_office(tmp_path)
    serve(monkeypatch, files)
    wrong = dataclasses.replace(_fetch.REMOTES["office_googlenet_D"], sha256="0" * 64)
    monkeypatch.setitem(_fetch.REMOTES, "office_googlenet_D", wrong)
    with pytest.raises(OSError, match="googlenet_D_original.mat is not the expected"):
        fetch_office_caltech(tmp_path / "home")
    assert not list((tmp_path / "home").rglob("*.npz"))
    assert not list((tmp_path / "home").rglob("googlenet_D.mat*"))  # not kept
    assert (tmp_path / "home" / "office_caltech10" / "surf_A.mat").is_file()


def test_office_caltech_domain_labels_must_agree(tmp_path, monkeypatch):
    files, _ = fake_office(tmp_path)
    y = np.array([[1, 9, 10, 10]])  # googlenet_W's labels differ from surf_W's
    scipy.io.savemat(
        files["office_googlenet_W"],
        {"fts": np.zeros((4, 6), dtype=np.float32), "labels": y},
    )
    serve(monkeypatch, files)
    with pytest.raises(
        ValueError, match=r"googlenet_W\) differ from those of the other"
    ):
        fetch_office_caltech(tmp_path / "home")
    assert not list((tmp_path / "home").rglob("*.npz"))


def test_office_caltech_remotes_are_the_published_files():
    remotes = [_fetch.REMOTES[f"office_{view}"] for view in OFFICE_CALTECH_VIEWS]
    assert [r.path for r in remotes] == [
        "features/surf/amazon.mat",
        "features/surf/caltech10.mat",
        "features/surf/dslr.mat",
        "features/surf/webcam.mat",
        "features/GoogleNet1024/amazon.mat",
        "features/GoogleNet1024/dslr.mat",
        "features/GoogleNet1024/webcam.mat",
        "features/CaffeNet4096/dslr.mat",
    ]
    assert len({r.filename for r in remotes}) == 8  # no two kept under one name
    assert len({r.sha256 for r in remotes}) == 8
    assert remotes[0].url == (
        "https://raw.githubusercontent.com/redhat12345/OfficeCaltechDomainAdaptation/"
        "74f70487e1b975d1af05bb9a2ecfbf14a7000080/features/surf/amazon.mat"
    )
