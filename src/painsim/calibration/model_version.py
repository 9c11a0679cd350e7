"""The model's version as its behaviour: a fingerprint of what the engine computes.

A posterior is a distribution of parameters *of one model*: once an equation, a default
or the care mechanics change, its draws describe another model, and an answer built on
them would be wrong without any error. painsim's package version does not move with each
model change, so the model version is read off the model itself: a small fixed probe
(untreated acute patients, and the same patients under massage, exercise, education and a
sham, with every model and care parameter at its default) is simulated and its weekly
cohort means, rounded to 3 decimals, are hashed. Any change of the equations or defaults
moves some mean by far more than the rounding; a faster engine that computes the same
numbers (to 3 decimals of a cohort mean) keeps the version, and so keeps its posteriors.

Examples
--------
>>> from painsim.calibration.model_version import model_version
>>> len(model_version())
12
"""

from __future__ import annotations

import functools
import hashlib
import json

#: The probe's scenario: acute patients (no screening, so the probe costs well under a second).
_PROBE = """
name = "model_version_probe"
n = 400
seed = 7
horizon_days = 140
population = { entry = "acute" }
record = { variables = ["pain"], every = 7, patients = 0 }
arms.no_care = {}
arms.massage = { massage = { schedule = { count = 6, every_days = 7 } } }
arms.exercise = { exercise = { weeks = 6, sessions_per_week = 2 } }
arms.education = { education = { schedule = { count = 3, every_days = 7 } } }
arms.sham = { sham = { schedule = { count = 6, every_days = 7 } } }
"""


@functools.cache
def model_version() -> str:
    """Twelve hex digits that change when the model's behaviour changes (see the module)."""
    from painsim.scenario import parse_scenario, run_scenario

    result = run_scenario(parse_scenario(_PROBE, source="model version probe"))
    fingerprint = {}
    for name, arm in result.arms.items():
        daily = arm.daily()
        fingerprint[name] = [round(float(v), 3) for v in daily["pain_mean"].iloc[::7]]
        fingerprint[f"{name}.disability"] = [round(float(v), 3) for v in daily["disability_mean"].iloc[::7]]
    text = json.dumps(fingerprint, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
