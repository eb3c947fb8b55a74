"""Transfer baselines with DATNClassifier's fit signature.

``BASELINES`` maps each baseline's benchmark name to its class; the benchmark
runs every entry.
"""

from ._base import TransferClassifier
from ._shallow_map import ShallowMapClassifier

BASELINES = {
    "ShallowMap": ShallowMapClassifier,
}

__all__ = ["BASELINES", "ShallowMapClassifier", "TransferClassifier"]
