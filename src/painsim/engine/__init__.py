"""The engine: virtual patients whose pain emerges from biopsychosocial feedback loops."""

from painsim.engine.cohort import Cohort, simulate
from painsim.engine.loops import LOOP_NAMES, LOOPS
from painsim.engine.params import ModelParams
from painsim.engine.population import (
    Population,
    acute_episode,
    chronic_low_back_pain,
    primary_care_consulters,
    subacute_low_back_pain,
)
from painsim.engine.recording import Record
from painsim.engine.result import SimulationResult

__all__ = [
    "LOOPS",
    "LOOP_NAMES",
    "Cohort",
    "ModelParams",
    "Population",
    "Record",
    "SimulationResult",
    "acute_episode",
    "chronic_low_back_pain",
    "primary_care_consulters",
    "simulate",
    "subacute_low_back_pain",
]
