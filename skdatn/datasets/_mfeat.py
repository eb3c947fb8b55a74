"""The UCI Multiple Features digits, shipped inside the package (CC BY 4.0)."""

from __future__ import annotations

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

MFEAT_VIEWS = ("fac", "fou", "kar", "mor", "pix", "zer")

_DESCR = """UCI Multiple Features (handwritten digits), 2000 rows, 6 paired views.

Row i of every view is the same handwritten digit; 200 digits of each class 0-9.
Views: fac (216 profile correlations), fou (76 Fourier coefficients),
kar (64 Karhunen-Loeve coefficients), mor (6 morphological features),
pix (240 pixel averages), zer (47 Zernike moments).

License: CC BY 4.0 (Dua and Graff, UCI Machine Learning Repository).
Cite: M. van Breukelen, R. P. W. Duin, D. M. J. Tax, J. E. den Hartog.
Handwritten digit recognition by combined classifiers. Kybernetika 34(4), 1998.
"""


def load_mfeat(*, return_X_y: bool = False):
    """Load the UCI Multiple Features digits (six paired views of 2000 digits).

    The data ships with skdatn, so this works offline.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(views, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``views`` (dict of view name to float64 array of shape (2000, n_view_features)),
        ``target`` (int array of shape (2000,)), ``view_names`` and ``DESCR``.
    (views, y) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from skdatn.datasets import load_mfeat
    >>> views, y = load_mfeat(return_X_y=True)
    >>> views["fac"].shape, views["fou"].shape, y.shape
    ((2000, 216), (2000, 76), (2000,))
    """
    path = resources.files("skdatn.datasets").joinpath("data", "mfeat.npz")
    with path.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
        views = {name: np.array(data[name]) for name in MFEAT_VIEWS}
        y = np.array(data["y"])
    if return_X_y:
        return views, y
    return Bunch(views=views, target=y, view_names=list(MFEAT_VIEWS), DESCR=_DESCR)
