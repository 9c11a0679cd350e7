"""Health economics: costs, QALYs and the decision analysis of a scenario's arms (issue 18).

Utilities (:mod:`painsim.economics.utilities`), discounting (``discounting``), costs by
perspective (``costs``), the scenario's ``[economics]`` table (``spec``), per-arm costs and
QALYs (``arms``) and the probabilistic sensitivity analysis (``psa``) turn simulated arms
into costs and effects; docs/economics.md.

The decision-analytic numerics (:mod:`painsim.economics.cea`, :mod:`painsim.economics.voi`)
are pure functions of arrays of costs and effects and know nothing of the engine:
incremental analysis with strict and extended dominance, net monetary benefit,
acceptability curves and frontier, EVPI and EVPPI. Formulas and references:
docs/economics.md, "Decision analysis".
"""

from painsim.economics.cea import (
    DOMINATED,
    EXTENDEDLY_DOMINATED,
    FRONTIER,
    MAX_WTP_POINTS,
    EconomicsInputError,
    Frontier,
    IncrementalRow,
    IncrementalTable,
    ceac,
    ceaf,
    evpi,
    incremental_analysis,
    incremental_nmb,
    net_monetary_benefit,
    wtp_grid,
)
from painsim.economics.voi import EVPPI_METHODS, GAM_MAX_PARAMETERS, EVPPIResult, evppi, evppi_fit, min_draws

__all__ = [
    "DOMINATED",
    "EVPPI_METHODS",
    "EXTENDEDLY_DOMINATED",
    "FRONTIER",
    "GAM_MAX_PARAMETERS",
    "MAX_WTP_POINTS",
    "EVPPIResult",
    "EconomicsInputError",
    "Frontier",
    "IncrementalRow",
    "IncrementalTable",
    "ceac",
    "ceaf",
    "evpi",
    "evppi",
    "evppi_fit",
    "incremental_analysis",
    "incremental_nmb",
    "min_draws",
    "net_monetary_benefit",
    "wtp_grid",
]
