"""Uncertainty in every answer: a scenario's answer table over the draws of a posterior.

Each of ``draws`` equally weighted parameter sets (systematic resampling of the posterior,
:meth:`painsim.app.posterior.StoredPosterior.sample`) is simulated as the whole scenario,
cohort included (the draw's parameters decide who is screened in as chronic), on two
independent half cohorts of ``n / 2`` patients per arm; every number of the answer table
then gets a 95% credible interval of parameter uncertainty and its Monte Carlo noise apart
(:mod:`painsim.outcomes.intervals`; docs/calibration.md, "Uncertainty in every answer").

>>> from painsim.app import demo_scenario                          # doctest: +SKIP
>>> from painsim.app.posterior import load_posterior               # doctest: +SKIP
>>> answer = posterior_answer(demo_scenario()[0], load_posterior("default"), draws=40)  # doctest: +SKIP
>>> answer.table.loc[("massage_weekly", "pain_mean.70"), ["mean", "low", "high"]]        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.app.errors import AppInputError

if TYPE_CHECKING:  # pragma: no cover
    from painsim.app.posterior import StoredPosterior
    from painsim.scenario import Scenario

#: Default posterior draws of ``painsim run --posterior`` (the issue's 200) and of ``painsim demo`` (fewer, for speed).
DEFAULT_DRAWS = 200
DEMO_DRAWS = 40
#: Default patients per arm in each draw (two halves of 250): enough that Monte Carlo noise
#: is below the parameter spread of the answer table's means (docs/calibration.md).
DEFAULT_DRAW_PATIENTS = 500
MAX_DRAWS = 5000


@dataclass
class PosteriorAnswer:
    """Intervals of every number of a scenario's answer (index: arm, quantity; columns:
    :data:`painsim.outcomes.intervals.INTERVAL_COLUMNS`) over ``draws`` posterior draws."""

    posterior_id: str
    draws: int
    patients_per_draw: int
    seed: int
    table: pd.DataFrame

    def cell(self, arm: str, quantity: str) -> pd.Series | None:
        """One quantity's row (mean, low, high, ...), or None if the arm has no such number."""
        key = (arm, quantity)
        return self.table.loc[key] if key in self.table.index else None

    def settings(self) -> dict[str, Any]:
        """Which posterior, how many draws, patients per draw and seed: what a stored run records."""
        return {"posterior": self.posterior_id, "draws": self.draws, "patients_per_draw": self.patients_per_draw,
                "seed": self.seed, "level": 0.95}

    def to_json(self) -> dict[str, Any]:
        """``{"posterior", "draws", "patients_per_draw", "seed", "arms": {arm: {quantity: {...}}}}``."""
        arms: dict[str, dict[str, dict[str, float | None]]] = {}
        for (arm, quantity), row in self.table.iterrows():
            arms.setdefault(arm, {})[quantity] = {k: (None if not np.isfinite(v) else round(float(v), 6))
                                                  for k, v in row.items()}
        return {**self.settings(), "arms": arms}


def check_posterior_run(scenario: Scenario, post: StoredPosterior, draws: int, n: int) -> None:
    """Before simulating: the posterior is of this model, its parameters apply to the
    scenario, and the settings are allowed (AppInputError), and the cost is within the
    limits (LimitError)."""
    from painsim.app.posterior import check_model_version
    from painsim.calibration.targets import with_parameters

    if not 1 <= draws <= MAX_DRAWS:
        raise AppInputError(f"--draws: between 1 and {MAX_DRAWS:,} posterior draws (given {draws})")
    if n < 20 or n % 2:
        raise AppInputError(f"--draw-patients: an even number of at least 20 patients per arm and draw (given {n}): "
                            "each draw runs two halves")
    check_model_version(post)
    try:
        with_parameters(scenario, post.draws.iloc[0].to_dict())
    except ValueError as err:
        raise AppInputError(f"posterior {post.run_id} does not apply to scenario {scenario.name}: {err}") from None
    from painsim.limits import DEFAULT_LIMITS, LimitError

    total = 2 * draws * scenario.cost(n // 2).simulated_patient_days
    if total > DEFAULT_LIMITS.max_simulated_patient_days:
        raise LimitError("--draws", f"{draws:,} draws x {n:,} patients per arm simulate {total:,} patient-days; the "
                         f"limit is {DEFAULT_LIMITS.max_simulated_patient_days:,}: lower --draws or --draw-patients")


def posterior_answer(scenario: Scenario, post: StoredPosterior, *, draws: int = DEFAULT_DRAWS,
                     n: int = DEFAULT_DRAW_PATIENTS, seed: int | None = None, n_jobs: int = 1,
                     progress: Callable[[int, int], None] | None = None,
                     cancel: Callable[[], None] | None = None) -> PosteriorAnswer:
    """Every number of ``scenario``'s answer table with a 95% credible interval over
    ``draws`` draws of ``post`` (``n`` patients per arm and draw, in two halves).

    ``progress(done, total)`` after each draw; ``cancel()`` before each draw may raise to
    stop. Raises what :func:`check_posterior_run` raises and ScreeningError."""
    from painsim.calibration.targets import with_parameters
    from painsim.outcomes.intervals import decompose, flatten_numbers
    from painsim.scenario import run_scenario

    check_posterior_run(scenario, post, draws, n)
    seed = scenario.seed if seed is None else seed
    parameter_sets = post.sample(draws, seed)
    halves: list[list[dict[str, float]]] = [[], []]
    for i, values in parameter_sets.iterrows():
        if cancel is not None:
            cancel()
        drawn = with_parameters(scenario, values.to_dict())
        for half in (0, 1):
            result = run_scenario(drawn, n=n // 2, seed=half_seed(seed, int(i), half), n_jobs=n_jobs)
            halves[half].append({f"{arm}\t{k}": v for arm, summary in result.summary().items()
                                 for k, v in flatten_numbers(summary).items() if k != "n"})
        if progress is not None:
            progress(int(i) + 1, draws)
    frames = [pd.DataFrame(h) for h in halves]
    columns = list(frames[0].columns)
    table = decompose(frames[0][columns].to_numpy(), frames[1].reindex(columns=columns).to_numpy(), columns)
    table.index = pd.MultiIndex.from_tuples([tuple(c.split("\t", 1)) for c in columns], names=["arm", "quantity"])
    return PosteriorAnswer(post.run_id, draws, n, seed, table)


def half_seed(seed: int, draw: int, half: int) -> int:
    """The cohort seed of one half of one draw (independent of every other draw and half)."""
    state = np.random.SeedSequence([int(seed), 0x1A7, draw, half]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))
