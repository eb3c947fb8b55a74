"""Bounded torch and BLAS threads during fit and inference (skdatn/_threads.py)."""

import threading

import joblib
import numpy as np
import pytest
import torch
from conftest import FAST
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_info, threadpool_limits

import skdatn._datn
from skdatn import PAPER_SETTINGS, DATNClassifier, DATNClassifierCV
from skdatn._threads import limit_threads, resolve_n_threads

#: One pretraining per pathway (no self-training): the paper's DATN.
PAPER = PAPER_SETTINGS


def blas_threads():
    return sorted(
        i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
    )


@pytest.fixture
def torch_threads():
    """torch and BLAS at 3 threads (more than any bound below), then restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    with threadpool_limits(3, user_api="blas"):
        yield 3
    torch.set_num_threads(before)


@pytest.fixture
def seen_threads(monkeypatch):
    """Records torch's thread count at each pretraining stage of every fit."""
    seen = []
    pretrain = skdatn._datn.pretrain

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return pretrain(*args, **kwargs)

    monkeypatch.setattr(skdatn._datn, "pretrain", spy)
    return seen


def in_thread(fn):
    out = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def test_resolve_n_threads():
    assert resolve_n_threads(4) == 4
    assert resolve_n_threads(None) is None  # main thread: leave torch as it is
    assert in_thread(lambda: resolve_n_threads(None)) == 1
    assert in_thread(lambda: resolve_n_threads(2)) == 2


def test_limit_threads_sets_and_restores(torch_threads):
    blas = blas_threads()
    assert set(blas) == {torch_threads}
    with limit_threads(1):
        assert torch.get_num_threads() == 1
        assert set(blas_threads()) == {1}
        with limit_threads(2):  # nested: the inner block wins, then the outer's value
            assert torch.get_num_threads() == 2
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == torch_threads
    assert blas_threads() == blas
    with limit_threads(None):
        assert torch.get_num_threads() == torch_threads


def test_limit_threads_restores_after_an_error(torch_threads):
    with pytest.raises(RuntimeError, match="boom"), limit_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == torch_threads


def test_overlapping_threads_restore_the_process_settings(torch_threads):
    """Blocks of two threads that do not nest (A enters, B enters, A leaves, B
    leaves) leave the BLAS settings and torch's default for new threads as found."""
    blas = blas_threads()
    new_thread_default = in_thread(torch.get_num_threads)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    inside = {}

    def a():
        with limit_threads(1):
            inside["a"] = torch.get_num_threads()
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with limit_threads(2):
            inside["b"] = torch.get_num_threads()
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inside == {"a": 1, "b": 2}
    assert torch.get_num_threads() == torch_threads
    assert in_thread(torch.get_num_threads) == new_thread_default
    assert blas_threads() == blas


def test_fit_and_predict_use_n_threads_and_restore(task, torch_threads, seen_threads):
    clf = DATNClassifier(n_threads=1, **PAPER, **FAST).fit(
        task.X, task.y, **task.fit_params
    )
    assert seen_threads == [1, 1]  # source, then target pretraining
    assert torch.get_num_threads() == torch_threads

    seen = []
    encode = clf.target_net_.encode
    clf.target_net_.encode = lambda X: seen.append(torch.get_num_threads()) or encode(X)
    clf.predict(task.X_test)
    clf.transform(task.X_test)
    assert seen == [1, 1]
    assert torch.get_num_threads() == torch_threads


def test_default_is_one_thread(task, torch_threads, seen_threads):
    DATNClassifier(**PAPER, **FAST).fit(task.X, task.y, **task.fit_params)
    assert seen_threads == [1, 1]
    assert torch.get_num_threads() == torch_threads


def test_none_leaves_the_main_threads_setting(task, torch_threads, seen_threads):
    DATNClassifier(n_threads=None, **PAPER, **FAST).fit(
        task.X, task.y, **task.fit_params
    )
    assert seen_threads == [torch_threads, torch_threads]


@pytest.mark.parametrize("n_threads", [0, -1, 1.5, "2"])
@pytest.mark.parametrize("Estimator", [DATNClassifier, DATNClassifierCV])
def test_bad_n_threads(task, Estimator, n_threads):
    with pytest.raises(InvalidParameterError, match="'n_threads' parameter"):
        Estimator(n_threads=n_threads, **FAST).fit(task.X, task.y, **task.fit_params)


def test_threading_backend_fits_use_one_thread_each(task, torch_threads, seen_threads):
    """With n_threads=None, fits in threads of one process get 1 torch thread
    each (the main thread keeps its setting), and the search gives the
    sequential search's scores."""
    grid = {"alpha": [0.5, 2], "beta": [0, 1]}
    cv = KFold(3, shuffle=True, random_state=0)
    sequential = GridSearchCV(
        DATNClassifier(n_threads=None, **PAPER, **FAST), grid, cv=cv
    )
    sequential.fit(task.X, task.y, **task.fit_params)
    assert set(seen_threads) == {torch_threads}
    seen_threads.clear()
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = GridSearchCV(
            DATNClassifier(n_threads=None, **PAPER, **FAST), grid, cv=cv
        )
        threaded.fit(task.X, task.y, **task.fit_params)
    # 4 x 3 fits in worker threads (1 thread), the refit in the main thread.
    assert seen_threads.count(1) == 2 * 4 * 3
    assert torch.get_num_threads() == torch_threads
    np.testing.assert_array_equal(
        threaded.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
