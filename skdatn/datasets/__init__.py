"""Data sets and the transfer-task recipe of the paper's protocol."""

from ._mfeat import MFEAT_VIEWS, load_mfeat
from ._task import make_transfer_task

__all__ = ["MFEAT_VIEWS", "load_mfeat", "make_transfer_task"]
