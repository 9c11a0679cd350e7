"""Virtual randomised trials: spec, screening, randomisation, follow-up, analysis and power.

>>> from painsim.trials import parse_trial
>>> spec = parse_trial('''
... [arms.massage]
... n = 20
... massage = { schedule = { count = 4 } }
... [arms.usual_care]
... n = 20
... [visits]
... weeks = [4]
... ''')
>>> spec.comparison_pairs()
[('massage', 'usual_care')]
"""

from painsim.trials.analysis import TrialResult, analyse, ancova
from painsim.trials.pooling import PooledTrials, VirtualTrial, pool_trials
from painsim.trials.power import power_curve, replicate_seed
from painsim.trials.run import TrialData, run_trial
from painsim.trials.spec import TrialSpec, TrialSpecError, load_trial, parse_trial

__all__ = [
    "PooledTrials",
    "TrialData",
    "TrialResult",
    "TrialSpec",
    "TrialSpecError",
    "VirtualTrial",
    "analyse",
    "ancova",
    "load_trial",
    "parse_trial",
    "pool_trials",
    "power_curve",
    "replicate_seed",
    "run_trial",
]
