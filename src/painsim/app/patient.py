"""One patient's likely course: many simulated twins of a profile under a care plan.

The profile pins the median of traits (0-1); each twin draws its traits from a narrow
logit-normal around those medians (``spread``), so twins differ a little, as people with
the same questionnaire answers do. Twins enter with chronic low back pain and are followed
for ``horizon_days``. The same twins are simulated again with each reinforcing loop
switched off: the drop in mean pain says how much that loop holds this profile's pain up.
Written once here; the web app's patient page calls :func:`simulate_twins`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from painsim.app.errors import AppInputError

if TYPE_CHECKING:  # pragma: no cover
    from painsim.engine import Population

StageProgress = Callable[[str, int, int], None]

#: The stages :func:`simulate_twins` reports to ``progress(stage, done, total)``: building the
#: cohort (``done``/``total`` twins found), then the simulations (the base run and one per loop).
STAGE_COHORT = "finding chronic twins"
STAGE_SIMULATE = "simulating the twins"
STAGE_POSTERIOR = "posterior draws"
QUANTILES = (5, 10, 25, 50, 75, 90, 95)
HIGHLIGHT_MIN_DROP = 0.1  # points of mean pain: below this a loop is not among the strongest


def visit_treatments() -> tuple[str, ...]:
    """The registered treatments with visits (responder classes need one of them in the plan)."""
    from painsim.care import REGISTRY

    return tuple(cls.name for cls in REGISTRY if cls.visit)


def check_twins_plan(plan: Any, horizon_days: int) -> None:
    """Raise AppInputError when ``plan`` (a CarePlan) has a session on or after the horizon."""
    from painsim.care import check_plans_fit_horizon

    try:
        check_plans_fit_horizon({"plan": plan}, horizon_days, where="")
    except ValueError as err:
        raise AppInputError(f"{err}; horizon_days ({horizon_days}) must go beyond the last session") from None


def last_session_day(plan: Any) -> int:
    """Last scheduled session day of the plan's treatments (0 without sessions)."""
    days = [int(d.max()) for t in plan.treatments() if (d := t.session_days()).size]
    return max(days, default=0)


def twin_population(trait_medians: Mapping[str, float], spread: float) -> Population:
    """A chronic-entry population whose trait medians are ``trait_medians`` (trait -> 0-1)."""
    from painsim.engine import Population
    from painsim.engine.population import TraitMarginal

    marginals = {trait: TraitMarginal(median=median, spread=spread) for trait, median in trait_medians.items()}
    return Population(name="patient twins", entry="chronic", marginals=marginals)


@dataclass(frozen=True)
class PatientTwins:
    """What the twins of a profile went through; :meth:`to_json` is the web page's answer.

    ``fan``: weekly mean pain quantiles (``p5`` ... ``p95``) by week; ``examples``: six
    twins' weekly pain; ``loops``: per reinforcing loop its name, label, the drop in mean pain
    when it is switched off and whether it is among the strongest; ``responder_classes``:
    class -> share and odds (None without a visit treatment in the plan)."""

    twins: int
    weeks: list[int]
    fan: dict[str, list[float]]
    examples: list[list[float]]
    pain_start: float
    pain_end: float
    pain_mean: float
    recovered_share: float
    chronic_share_end: float
    loops: list[dict[str, Any]]
    strongest_loops: list[str]
    responder_classes: dict[str, dict[str, float | None]] | None
    responder_note: str
    sessions_attended_mean: float | None = None
    uncertainty: dict[str, Any] | None = None
    """With a posterior: 95% credible intervals of the headline numbers and of the weekly mean
    pain over posterior draws (:func:`twins_uncertainty`)."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON; ``sessions_attended_mean`` only when the plan has visits."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if out["sessions_attended_mean"] is None:
            del out["sessions_attended_mean"]
        if out["uncertainty"] is None:
            del out["uncertainty"]
        return out


def simulate_twins(trait_medians: Mapping[str, float], plan: Any, *, twins: int = 300, spread: float = 0.25,
                   horizon_days: int = 730, seed: int = 1, progress: StageProgress | None = None,
                   posterior: Any = None, draws: int = 0) -> PatientTwins:
    """Simulate ``twins`` twins of a profile (``trait_medians``: trait -> median on 0-1) under
    ``plan`` (a CarePlan) for ``horizon_days``; then the same twins with each reinforcing loop
    switched off. ``progress(stage, done, total)``: :data:`STAGE_COHORT`, then
    :data:`STAGE_SIMULATE` and ``switching off loop NAME``. With a ``posterior``
    (a StoredPosterior) and ``draws`` > 0, also :func:`twins_uncertainty` (stage
    :data:`STAGE_POSTERIOR`). Raise AppInputError (the plan does not fit the horizon, or the
    posterior is of another model version)."""
    import numpy as np

    from painsim.engine import LOOP_NAMES, Cohort, Record, simulate
    from painsim.engine.loops import REINFORCING

    report = progress or (lambda stage, done, total: None)
    check_twins_plan(plan, horizon_days)
    if posterior is not None and draws:
        from painsim.app.posterior import check_model_version

        check_model_version(posterior)
    cohort = Cohort.build(twin_population(trait_medians, spread), n=twins, seed=seed,
                          progress=lambda done, total: report(STAGE_COHORT, done, total))
    steps = 1 + len(LOOP_NAMES)
    report(STAGE_SIMULATE, 0, steps)
    base = simulate(cohort, horizon_days, Record.weekly("pain"), care=plan)
    report(STAGE_SIMULATE, 1, steps)
    pain = base.trajectories["pain"]  # weeks x twins
    summary = base.summary()
    base_mean = float(summary["pain_mean"].mean())
    loops = []
    for k, name in enumerate(LOOP_NAMES):
        off = simulate(cohort, horizon_days, Record.summaries(), care=plan, loops={name: 0.0})
        report(f"switching off loop {name}", k + 2, steps)
        drop = base_mean - float(off.summary()["pain_mean"].mean())
        loops.append({"name": name, "label": REINFORCING[k].label, "pain_drop": round(drop, 3)})
    ranked = sorted(loops, key=lambda item: -item["pain_drop"])
    strongest = [item["name"] for item in ranked[:2] if item["pain_drop"] >= HIGHLIGHT_MIN_DROP]
    for item in loops:
        item["highlighted"] = item["name"] in strongest
    first = summary["first_recovery_day"].to_numpy()
    classes, note, attended = _responder_classes(base, plan, horizon_days)
    return PatientTwins(
        twins=len(cohort),
        weeks=(base.period_days // 7).tolist(),
        fan={f"p{q}": np.round(np.percentile(pain, q, axis=1), 3).tolist() for q in QUANTILES},
        examples=np.round(pain[:, :6].T, 2).tolist(),
        pain_start=round(float(np.mean(pain[0])), 3),
        pain_end=round(float(np.mean(pain[-1])), 3),
        pain_mean=round(base_mean, 3),
        recovered_share=round(float(np.mean(np.isfinite(first))), 4),
        chronic_share_end=round(base.chronic_share(), 4),
        loops=loops,
        strongest_loops=strongest,
        responder_classes=classes,
        responder_note=note,
        sessions_attended_mean=attended,
        uncertainty=twins_uncertainty(trait_medians, plan, posterior, draws=draws, twins=twins, spread=spread,
                                      horizon_days=horizon_days, seed=seed,
                                      progress=lambda done, total: report(STAGE_POSTERIOR, done, total))
        if posterior is not None and draws else None,
    )


def twins_uncertainty(trait_medians: Mapping[str, float], plan: Any, posterior: Any, *, draws: int = 20,
                      twins: int = 300, spread: float = 0.25, horizon_days: int = 730, seed: int = 1,
                      progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The twins' headline numbers and weekly mean pain over ``draws`` posterior draws: each
    draw's parameters build and follow two independent half groups of twins, and every
    number gets the 95% credible interval of parameter uncertainty with the Monte Carlo noise
    of the twins taken out (:mod:`painsim.outcomes.intervals`; docs/calibration.md)."""
    import numpy as np

    from painsim.app.uncertainty import half_seed
    from painsim.calibration.targets import params_of
    from painsim.engine import Cohort, Record, simulate
    from painsim.outcomes.intervals import decompose

    population = twin_population(trait_medians, spread)
    halves: list[list[np.ndarray]] = [[], []]
    for i, values in posterior.sample(draws, seed).iterrows():
        params, care_params = params_of(values.to_dict())
        for half in (0, 1):
            cohort = Cohort.build(population, n=max(twins // 2, 10), seed=half_seed(seed, int(i), half), params=params)
            run = simulate(cohort, horizon_days, Record.weekly("pain"), care=plan, care_params=care_params)
            weekly = run.trajectories["pain"].mean(axis=1)
            summary = run.summary()
            first = summary["first_recovery_day"].to_numpy()
            headline = [float(weekly[-1]), float(summary["pain_mean"].mean()),
                        float(np.mean(np.isfinite(first))), run.chronic_share()]
            halves[half].append(np.concatenate([headline, weekly]))
        if progress is not None:
            progress(int(i) + 1, draws)
    names = ["pain_end", "pain_mean", "recovered_share", "chronic_share_end"]
    weeks = len(halves[0][0]) - len(names)
    table = decompose(np.array(halves[0]), np.array(halves[1]), names + [f"week.{w}" for w in range(weeks)])
    rounded = table.round(4)
    return {"posterior": posterior.run_id, "draws": draws, "twins_per_draw": 2 * max(twins // 2, 10),
            "numbers": {k: rounded.loc[k].to_dict() for k in names},
            "weekly_mean": {col: rounded[col].iloc[len(names):].tolist() for col in ("mean", "low", "high")}}


def _responder_classes(base: Any, plan: Any, horizon_days: int) -> tuple[dict | None, str, float | None]:
    """Class shares and odds, the note shown with them and the mean sessions attended."""
    if not any(t.visit for t in plan.treatments()):
        return None, "responder classes need visits in the plan (" + " or ".join(visit_treatments()) + ")", None
    from painsim.care import CareParams
    from painsim.outcomes.care_outcomes import care_summary, class_shares

    care = care_summary(base)
    classes = {name: {"share": round(p, 4), "odds": round(p / (1 - p), 4) if p < 1 else None}
               for name, p in class_shares(care).items()}
    lasting, last = int(CareParams().lasting_days), last_session_day(plan)
    note = (f"'lasting' needs {lasting} days in the recovered range after the last session: with a "
            f"{horizon_days}-day horizon and the last session on day {last}, "
            + ("it can be reached." if horizon_days - last > lasting
               else "it cannot be reached (choose a longer horizon)."))
    return classes, note, round(float(care["sessions_attended"].mean()), 3)
