"""Bounding torch's (and BLAS's) threads for the duration of a fit or a prediction.

torch's intra-op thread count is, in its OpenMP builds, a setting of the calling
OS thread plus a process-wide default that new threads start from; BLAS
libraries (numpy's OpenBLAS) have one process-wide setting. ``limit_threads``
sets both for the duration of a ``with`` block and restores the caller's
values afterwards, also when several threads of one process fit at once
(joblib's threading backend, a Dask worker's thread pool): the last block to
leave restores the values found by the first to enter.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_active = 0  # blocks inside limit_threads, all threads of the process together
_process_torch_threads = 1  # torch's setting found by the first block to enter
_process_blas = None  # the BLAS limiter of the first block, restores the originals
_controller = None  # ThreadpoolController, built once (it scans the loaded libraries)


def resolve_n_threads(n_threads: int | None) -> int | None:
    """The thread count a fit uses: ``n_threads``, or the automatic choice for ``None``.

    ``None`` returns ``None`` (leave the settings as they are) in a process's
    main thread: there torch starts with ``OMP_NUM_THREADS`` threads, which
    joblib's loky workers, Dask's and Ray's worker processes set to their share
    of the cores (and the cores otherwise). In any other thread it returns 1:
    Python threads that fit run side by side in one process, and torch's
    threads are not shared between them, so more than one thread each would
    oversubscribe the cores.
    """
    if n_threads is not None:
        return int(n_threads)
    if threading.current_thread() is threading.main_thread():
        return None
    return 1


def _blas_controller() -> ThreadpoolController:
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


@contextmanager
def limit_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``resolve_n_threads(n_threads)`` torch and BLAS threads.

    Nothing is changed when that is ``None``. The calling thread's torch setting
    and the BLAS settings are restored on exit; when this is the last block of
    the process to exit, the values found by the first block to enter are.
    """
    global _active, _process_torch_threads, _process_blas
    n = resolve_n_threads(n_threads)
    if n is None:
        yield
        return
    caller = torch.get_num_threads()
    with _lock:
        if _active == 0:
            _process_torch_threads = caller
            _process_blas = _blas_controller().limit(limits=n, user_api="blas")
            blas = None
        else:
            blas = _blas_controller().limit(limits=n, user_api="blas")
        _active += 1
    torch.set_num_threads(n)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            last = _active == 0
            if last:
                _process_blas.restore_original_limits()
                _process_blas = None
            elif blas is not None:
                blas.restore_original_limits()
            torch.set_num_threads(_process_torch_threads if last else caller)


def threads_limited(method):
    """Decorate an estimator method to run under ``limit_threads(self.n_threads)``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with limit_threads(getattr(self, "n_threads", None)):
            return method(self, *args, **kwargs)

    return wrapper
