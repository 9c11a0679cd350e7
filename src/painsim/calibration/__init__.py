"""Calibration: published targets, fitting by Bayesian optimisation, sensitivity analysis.

See docs/calibration.md and docs/sensitivity.md.
"""

from painsim.calibration.fitting import CalibrationResult, calibrate, evaluate
from painsim.calibration.targets import Target, TargetsError, TargetsFile, load_targets, parse_targets

__all__ = [
    "CalibrationResult",
    "Target",
    "TargetsError",
    "TargetsFile",
    "calibrate",
    "evaluate",
    "load_targets",
    "parse_targets",
]
