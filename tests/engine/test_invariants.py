"""States stay in their ranges and finite, for extreme traits and parameters."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import painsim.engine as pe
from painsim.engine.params import ModelParams
from painsim.engine.variables import STATE, STATE_BOUNDS, TRAITS

LOW = np.array([STATE_BOUNDS[name][0] for name in STATE])[:, None]
HIGH = np.array([STATE_BOUNDS[name][1] for name in STATE])[:, None]

unit = st.floats(0.0, 1.0, allow_nan=False)
extreme_unit = st.sampled_from([0.0, 1e-6, 0.5, 1.0 - 1e-6, 1.0])


def _scaled_params(factors: dict[str, float]) -> ModelParams:
    values = {}
    for name, factor in factors.items():
        field = ModelParams.model_fields[name]
        value = field.default * factor
        for meta in field.metadata:
            if getattr(meta, "le", None) is not None:
                value = min(value, meta.le)
            if getattr(meta, "ge", None) is not None:
                value = max(value, meta.ge)
        values[name] = value
    return ModelParams(**values)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    traits=st.lists(st.lists(extreme_unit | unit, min_size=len(TRAITS), max_size=len(TRAITS)),
                    min_size=1, max_size=6),
    factors=st.dictionaries(st.sampled_from(list(ModelParams.model_fields)),
                            st.sampled_from([0.0, 0.1, 3.0, 20.0]), max_size=8),
    injury=st.floats(0.0, 1.0),
)
def test_states_stay_in_range(traits, factors, injury):
    cohort = pe.Cohort.build("acute", n=len(traits), seed=1, params=_scaled_params(factors))
    cohort.traits[:] = np.array(traits, dtype=np.float32).T
    cohort.state[STATE.index("tissue")] = injury
    result = pe.simulate(cohort, 120, pe.Record.daily("pain", "disability", "sensitization"))
    state = result.cohort.state
    assert np.all(np.isfinite(state))
    assert np.all(state >= LOW - 1e-6) and np.all(state <= HIGH + 1e-6)
    assert np.all((result.trajectories["pain"] >= 0) & (result.trajectories["pain"] <= 10))
    assert np.all((result.trajectories["disability"] >= 0) & (result.trajectories["disability"] <= 24))


def test_memory_per_patient_and_for_a_million_over_five_years():
    cohort = pe.Cohort.build("acute", n=10, seed=1)
    assert cohort.nbytes_per_patient < 256
    # Summaries-only footprint of 1,000,000 patients over 5 years: cohort input and output
    # copies, per-patient summaries, and the cohort daily sums.
    result = pe.simulate(cohort, 5, pe.Record.summaries())
    per_patient = 2 * cohort.nbytes_per_patient + result.summaries.itemsize * result.summaries.shape[0]
    daily = 5 * 365 * result.daily_sums.shape[1] * 8
    assert 1_000_000 * per_patient + daily < 24 * 2**30 / 10
