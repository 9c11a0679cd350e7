"""Calibration: published targets, fitting by Bayesian optimisation, ABC-SMC posteriors,
sensitivity analysis.

See docs/calibration.md and docs/sensitivity.md.
"""

from typing import Any

from painsim.calibration.fitting import CalibrationResult, calibrate, evaluate
from painsim.calibration.targets import Target, TargetsError, TargetsFile, load_targets, parse_targets

# ABC-SMC imports pyabc (about 2 s): loaded on first use, not with painsim.calibration.
_ABC_NAMES = ("ABCPosterior", "UniformPrior", "calibrate_abc")  # and the module abc_smc

__all__ = [
    "ABCPosterior",
    "CalibrationResult",
    "Target",
    "TargetsError",
    "TargetsFile",
    "UniformPrior",
    "calibrate",
    "calibrate_abc",
    "evaluate",
    "load_targets",
    "parse_targets",
]


def __getattr__(name: str) -> Any:
    if name in _ABC_NAMES:
        import importlib

        return getattr(importlib.import_module("painsim.calibration.abc_smc"), name)
    raise AttributeError(f"module 'painsim.calibration' has no attribute {name!r}")
