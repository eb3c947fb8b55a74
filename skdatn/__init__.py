"""skdatn: the Deep Asymmetric Transfer Network (DATN) for scikit-learn.

Heterogeneous, unbalanced domain adaptation: a data-rich source domain teaches a
data-poor target domain whose features may live in a different space.
"""

from ._datn import PAPER_SETTINGS, DATNClassifier
from ._datn_cv import DATNClassifierCV
from ._ensemble import SeedEnsembleClassifier
from ._holders import Domain, Pairs
from ._model_selection import BalancedKFold, calibrated_log_loss, held_out_log_loss
from ._persistence import load, save
from .exceptions import (
    NegativeTransferWarning,
    SlicingRiskWarning,
    TrainingDivergedError,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BalancedKFold",
    "DATNClassifier",
    "DATNClassifierCV",
    "Domain",
    "NegativeTransferWarning",
    "PAPER_SETTINGS",
    "Pairs",
    "SeedEnsembleClassifier",
    "SlicingRiskWarning",
    "TrainingDivergedError",
    "__version__",
    "calibrated_log_loss",
    "held_out_log_loss",
    "load",
    "save",
]
