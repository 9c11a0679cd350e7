"""Evidence synthesis: effect sizes and meta-analysis numerically equal to metafor.

Quick start
-----------
>>> from painsim.evidence import escalc, rma
>>> es = escalc("RR", ai=[4, 6, 3], bi=[119, 300, 228], ci=[11, 29, 11], di=[128, 274, 209])
>>> fit = rma(es, method="REML")
>>> round(fit.estimate, 3)
-1.33
"""

from painsim.evidence.effect_sizes import MEASURES, REQUIRED_COLUMNS, EffectSizes, escalc
from painsim.evidence.heterogeneity import METHODS, Control, ConvergenceError, qprofile_ci
from painsim.evidence.rma import TESTS, Prediction, RMAResult, rma

__all__ = [
    "MEASURES",
    "METHODS",
    "REQUIRED_COLUMNS",
    "TESTS",
    "Control",
    "ConvergenceError",
    "EffectSizes",
    "Prediction",
    "RMAResult",
    "escalc",
    "qprofile_ci",
    "rma",
]
