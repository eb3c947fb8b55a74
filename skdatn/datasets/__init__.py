"""Data sets and the transfer-task recipes: the paper's paired protocol, and the
unpaired one (CDLS / CDSPP)."""

from ._fetch import (
    fetch_cub_image_text,
    fetch_office_caltech,
    fetch_reuters_multilingual,
    fetch_three_sources,
    fetch_webis_cls10_books,
    fetch_wikipedia_image_text,
    get_data_home,
)
from ._loaders import (
    load_cub_image_text,
    load_office_caltech,
    load_reuters_multilingual,
    load_three_sources,
    load_webis_cls10_books,
    load_wikipedia_image_text,
)
from ._mfeat import MFEAT_VIEWS, load_mfeat
from ._task import make_transfer_task
from ._unpaired_task import make_unpaired_task

__all__ = [
    "MFEAT_VIEWS",
    "fetch_cub_image_text",
    "fetch_office_caltech",
    "fetch_reuters_multilingual",
    "fetch_three_sources",
    "fetch_webis_cls10_books",
    "fetch_wikipedia_image_text",
    "get_data_home",
    "load_cub_image_text",
    "load_mfeat",
    "load_office_caltech",
    "load_reuters_multilingual",
    "load_three_sources",
    "load_webis_cls10_books",
    "load_wikipedia_image_text",
    "make_transfer_task",
    "make_unpaired_task",
]
