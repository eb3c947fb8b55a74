"""Transfer baselines with DATNClassifier's fit signature.

``BASELINES`` maps each baseline's benchmark name to its class; the benchmark
runs every entry.
"""

from ._base import TransferClassifier
from ._cca import CCAClassifier
from ._cdls import CDLSClassifier
from ._cdspp import CDSPPClassifier
from ._hhtl import HHTLClassifier
from ._shallow_map import ShallowMapClassifier
from ._tti import TTIClassifier
from ._wsdtn import WSDTNClassifier

BASELINES = {
    "ShallowMap": ShallowMapClassifier,
    "CCA": CCAClassifier,
    "CDLS": CDLSClassifier,
    "CDSPP": CDSPPClassifier,
    "TTI": TTIClassifier,
    "HHTL": HHTLClassifier,
    "WSDTN": WSDTNClassifier,
}

__all__ = [
    "BASELINES",
    "CCAClassifier",
    "CDLSClassifier",
    "CDSPPClassifier",
    "TTIClassifier",
    "HHTLClassifier",
    "ShallowMapClassifier",
    "TransferClassifier",
    "WSDTNClassifier",
]
