"""painsim: an in-silico laboratory for chronic back pain.

Virtual patients whose pain emerges from biological, psychological and social feedback
loops; care that acts on those loops; virtual trials; and evidence synthesis equal to
metafor. A research model, not medical advice.

Examples
--------
>>> import painsim as ps
>>> cohort = ps.Cohort.build("chronic", n=100, seed=1)
>>> result = ps.simulate(cohort, days=56, record=ps.Record.weekly("pain"))
>>> result.trajectories["pain"].shape
(8, 100)
"""

from painsim import _blas  # noqa: F401  (first: pins the BLAS kernels before numpy loads)
from painsim.engine import (
    LOOP_NAMES,
    Cohort,
    ModelParams,
    Population,
    Record,
    SimulationResult,
    acute_episode,
    chronic_low_back_pain,
    primary_care_consulters,
    simulate,
    subacute_low_back_pain,
)

__version__ = "0.1.0"

__all__ = [
    "LOOP_NAMES",
    "Cohort",
    "ModelParams",
    "Population",
    "Record",
    "SimulationResult",
    "__version__",
    "acute_episode",
    "chronic_low_back_pain",
    "primary_care_consulters",
    "simulate",
    "subacute_low_back_pain",
]
