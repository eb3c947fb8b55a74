"""Warnings that point at the user's line, not at skdatn's internals."""

from __future__ import annotations

import os
import sys
import warnings

import joblib
import sklearn

#: Folders whose frames are not the user's: skdatn's own, and those of the
#: libraries between a user's call and skdatn (scikit-learn's model selection,
#: joblib's parallel loops).
_INTERNAL = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules[__package__], sklearn, joblib)
)


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` with the stack level of the first frame outside
    skdatn, scikit-learn and joblib: the user's line that led here."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1 if frame else level)
