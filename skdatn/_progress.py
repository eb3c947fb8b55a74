"""Progress lines on stderr, and parallel runs that hand back results as they finish."""

from __future__ import annotations

import sys

import joblib
from sklearn.utils.parallel import Parallel


def say(line: str) -> None:
    """One progress line on stderr, marked as skdatn's."""
    print(f"[skdatn] {line}", file=sys.stderr, flush=True)


def parallel_as_done(n_jobs: int | None) -> Parallel:
    """A ``Parallel`` whose results come as each task finishes (in submission
    order), so that progress can be reported, where the active joblib backend
    can; Ray's cannot, and then they come when every task is done."""
    backend, _ = joblib.parallel.get_active_backend()
    as_done = getattr(backend, "supports_return_generator", False)
    return Parallel(n_jobs=n_jobs, return_as="generator" if as_done else "list")
