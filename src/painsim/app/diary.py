"""A client's diary: fit painsim's model to it and forecast each care plan, written once for
the ``painsim diary`` command and the web app's "A client's diary" page.

:func:`run_diary` reads and checks the diary (:func:`painsim.diary.read_diary`), fits it by
sequential Monte Carlo (:func:`painsim.diary.fit_diary`), switches each reinforcing loop off
over the posterior particles (:func:`painsim.diary.loop_knockouts`) and forecasts the plans
of :func:`diary_plans` (:func:`painsim.diary.forecast_plans`). Nothing is stored.
docs/diary.md describes the method and its validation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from painsim.app.errors import AppInputError

StageProgress = Callable[[str, int, int], None]

#: Plan names the answer gives beside the massage question's arms.
NO_CARE_PLAN = "no_care"
CURRENT_PLAN = "current"
FILE_PLAN_PREFIX = "file:"
#: Particles of a fit and of its forecasts by default (the issue's benchmark size).
DEFAULT_PARTICLES = 10_000
DEFAULT_WEEKS = 12
#: Posterior draws a fit's particles are shared among with ``--posterior`` (each screens
#: its own patients; more draws spread the prior wider but cost a screening each).
DEFAULT_POSTERIOR_DRAWS = 20
MAX_POSTERIOR_DRAWS = 200
STAGE_LOOPS = "switching off each loop"
STAGE_FORECASTS = "forecasting the plans"


def massage_question_plans() -> dict[str, Any]:
    """The arms of the flagship scenario, "Does massage work for chronic back pain?" (name ->
    CarePlan; ``no_care`` among them)."""
    from painsim.app.scenarios import demo_scenario

    return dict(demo_scenario()[0].arms)


def read_plan_file(path: str | Path) -> Any:
    """A care plan from a TOML file (the tables of one scenario arm: ``massage = {...}``,
    ``relationship = {...}``); raise AppInputError naming the file, key and line."""
    from painsim.care import CarePlan
    from painsim.tomlfiles import load_toml_model

    return load_toml_model(path, CarePlan, AppInputError, "care plan")


def current_plan(diary: Any, weeks: int) -> Any:
    """The client's current plan: each treatment the diary records sessions of in its last
    four weeks, continued at the same rhythm (the mean interval between those sessions, one
    week for a single session) from the next due day; None without recent sessions.

    Examples
    --------
    >>> from painsim.diary import diary_from_ratings
    >>> plan = current_plan(diary_from_ratings([5] * 21, sessions={"massage": (6, 13, 20)}), weeks=4)
    >>> plan.massage.schedule.session_days().tolist()
    [6, 13, 20, 27]
    """
    from painsim.care import REGISTRY, CarePlan, Schedule

    treatments = {}
    recent_from = diary.n_days - 28
    for name, days in diary.sessions.items():
        recent = [d for d in days if d >= recent_from]
        if not recent:
            continue
        every = max(1, round((recent[-1] - recent[0]) / (len(recent) - 1))) if len(recent) > 1 else 7
        start = max(0, recent[-1] + every - diary.n_days)
        count = len(range(start, 7 * weeks, every))
        if count:
            treatments[name] = REGISTRY.get(name)(schedule=Schedule(start_day=start, every_days=every, count=count))
    return CarePlan(**treatments) if treatments else None


def diary_plans(diary: Any, weeks: int, plan_files: Sequence[str | Path] = (),
                massage_question: bool = True) -> dict[str, Any]:
    """The plans a diary is forecast under: no care, the client's current plan (when the diary
    records recent sessions), the massage question's arms and each plan file (``file:NAME``)."""
    plans: dict[str, Any] = {}
    question = massage_question_plans() if massage_question else {}
    from painsim.care import NO_CARE

    plans[NO_CARE_PLAN] = question.pop(NO_CARE_PLAN, NO_CARE)
    current = current_plan(diary, weeks)
    if current is not None:
        plans[CURRENT_PLAN] = current
    plans.update(question)
    for path in plan_files:
        plans[f"{FILE_PLAN_PREFIX}{Path(path).stem}"] = read_plan_file(path)
    return plans


@dataclass(frozen=True)
class DiaryAnswer:
    """What a diary says: the diary's summary, the fit (ESS, traits), the loops that hold the
    client's pain up, each plan's forecast; :meth:`to_json` is the CLI's ``--json`` and the
    web page's answer."""

    diary: dict[str, Any]
    fit: dict[str, Any]
    traits: list[dict[str, Any]]
    loops: list[dict[str, Any]]
    forecasts: dict[str, Any]
    disclaimer: str

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (forecasts as dicts)."""
        return {"diary": self.diary, "fit": self.fit, "traits": self.traits, "loops": self.loops,
                "forecasts": {name: f.to_json() for name, f in self.forecasts.items()},
                "disclaimer": self.disclaimer}


def posterior_diary_draws(post: Any, draws: int, seed: int) -> tuple[list[Any], list[Any], list[float]]:
    """The prior of a diary fit from a stored posterior (:class:`painsim.app.posterior.
    StoredPosterior`): ``draws`` parameter sets by systematic resampling, repeats merged into
    one draw of that weight; returns (ModelParams, CareParams, weights). AppInputError when the
    posterior is of another model version, ``draws`` is out of range, or a draw's values leave
    their allowed range.

    >>> import numpy as np, pandas as pd
    >>> from painsim.app.posterior import StoredPosterior
    >>> from painsim.calibration.model_version import model_version
    >>> post = StoredPosterior("r", "t", pd.DataFrame({"heal_rate": [0.3, 0.5], "massage_nociception": [0.2, 0.3]}),
    ...                        np.array([0.5, 0.5]), pd.DataFrame(), {}, [], model_version=model_version())
    >>> models, cares, weights = posterior_diary_draws(post, 4, seed=1)
    >>> sorted(m.heal_rate for m in models), weights
    ([0.3, 0.5], [2.0, 2.0])
    """
    from painsim.app.posterior import check_model_version
    from painsim.calibration.targets import params_of

    if not 1 <= draws <= MAX_POSTERIOR_DRAWS:
        raise AppInputError(f"posterior draws: 1 to {MAX_POSTERIOR_DRAWS} (given {draws})")
    check_model_version(post)
    rows = post.sample(draws, seed)
    counted = rows.groupby(list(rows.columns), sort=True).size().reset_index(name="_weight")
    weights = counted.pop("_weight")
    models, cares = [], []
    for values in counted.to_dict(orient="records"):
        try:
            model, care = params_of(values)
        except ValueError as err:
            raise AppInputError(f"posterior {post.run_id}: a draw leaves its allowed range: {err}") from None
        models.append(model)
        cares.append(care)
    return models, cares, [float(w) for w in weights]


def run_diary(source: str | Path | bytes, *, name: str | None = None, plan_files: Sequence[str | Path] = (),
              weeks: int = DEFAULT_WEEKS, particles: int = DEFAULT_PARTICLES, forecast_particles: int | None = None,
              seed: int = 1, params_draws: Sequence[Any] | None = None, draw_weights: Sequence[float] | None = None,
              plans: Mapping[str, Any] | None = None, today: Any = None, max_bytes: int | None = None,
              posterior: Any = None, posterior_draws: int = DEFAULT_POSTERIOR_DRAWS,
              progress: StageProgress | None = None) -> DiaryAnswer:
    """Read, fit and forecast a diary (a path, or the bytes of an upload called ``name``).

    ``plans`` replaces :func:`diary_plans` (no care, current, the massage question's arms,
    ``plan_files``); ``params_draws``/``draw_weights``: weighted draws of a posterior over
    ModelParams (default: the defaults). ``posterior`` (a StoredPosterior, e.g.
    ``load_posterior("default")``) replaces them by ``posterior_draws`` of its parameter sets,
    model and care (:func:`posterior_diary_draws`), so the forecasts carry the model's
    parameter uncertainty. Raise AppInputError on a bad diary, plan file, ``weeks`` (4-26),
    ``particles`` (100-100,000) or posterior; nothing is stored.

    Examples
    --------
    >>> text = "date,pain\\n" + "".join(f"2026-01-{d:02d},{5 + d % 2}\\n" for d in range(1, 15))
    >>> answer = run_diary(text.encode(), particles=200, weeks=4, plans={}, today="2026-02-01")
    >>> sorted(answer.forecasts), answer.fit["particles"]
    (['no_care'], 200)
    """
    from painsim.diary import DiaryError, fit_diary, forecast_cloud, forecast_plans, loop_knockouts, read_diary
    from painsim.diary.forecast import MAX_WEEKS, MIN_WEEKS
    from painsim.diary.reading import MAX_DIARY_BYTES
    from painsim.texts import DISCLAIMER

    report = progress or (lambda stage, done, total: None)
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise AppInputError(f"weeks: {weeks} is out of range; forecasts cover {MIN_WEEKS} to {MAX_WEEKS} weeks")
    if not 100 <= particles <= 100_000:
        raise AppInputError(f"particles: {particles:,} is out of range; 100 to 100,000")
    try:
        diary = read_diary(source, name=name, today=today, max_bytes=max_bytes or MAX_DIARY_BYTES)
    except DiaryError as err:
        raise AppInputError(str(err)) from None
    chosen = dict(plans) if plans is not None else diary_plans(diary, weeks, plan_files)
    if plans is not None and NO_CARE_PLAN not in chosen:
        from painsim.care import NO_CARE

        chosen = {NO_CARE_PLAN: NO_CARE, **chosen}
    care_draws = None
    if posterior is not None:
        params_draws, care_draws, draw_weights = posterior_diary_draws(posterior, posterior_draws, seed)
    try:
        fit = fit_diary(diary, particles=particles, seed=seed, params_draws=params_draws, draw_weights=draw_weights,
                        care_draws=care_draws, progress=report)
    except ValueError as err:
        raise AppInputError(str(err)) from None
    cloud = forecast_cloud(fit, forecast_particles or min(particles, 2000))
    report(STAGE_LOOPS, 0, 1)
    loops = loop_knockouts(cloud)
    report(STAGE_LOOPS, 1, 1)
    report(STAGE_FORECASTS, 0, len(chosen))
    forecasts = forecast_plans(fit, chosen, weeks=weeks, cloud=cloud)
    report(STAGE_FORECASTS, len(chosen), len(chosen))
    return DiaryAnswer(
        diary={"name": diary.name, "start": diary.start.isoformat(), "end": diary.end.isoformat(),
               "days": diary.n_days, "ratings": diary.n_ratings, "step": diary.step,
               "baseline": round(diary.baseline(14), 3), "weekly_pain": [None if v != v else round(float(v), 3)
                                                                           for v in diary.weekly_pain()],
               "daily_pain": [None if v != v else float(v) for v in diary.pain],
               "sessions": {k: list(v) for k, v in diary.sessions.items()},
               "optional_columns": sorted(diary.ratings)},
        fit={"particles": fit.n_particles, "ess": round(fit.ess, 1), "min_ess": round(fit.min_ess, 1),
             "resampling_steps": len(fit.resampled_days), "steps": len(fit.steps),
             "log_evidence": round(fit.log_evidence, 3), "forecast_particles": len(cloud), "seed": seed,
             "posterior": None if posterior is None else {"id": posterior.run_id, "draws": posterior_draws,
                                                          "distinct": len(params_draws)},
             "fitted": fit.fitted},
        traits=fit.trait_table(), loops=loops, forecasts=forecasts, disclaimer=DISCLAIMER)


def __getattr__(name: str) -> Any:
    # DIARY_TABLES is declared once, in the report that recognises a stored fit by them
    if name == "DIARY_TABLES":
        from painsim.report.diary import DIARY_TABLES

        return DIARY_TABLES
    raise AttributeError(name)


def diary_tables(answer: DiaryAnswer) -> dict[str, Any]:
    """The answer as the store's tables: the diary's days with the fitted band, each plan's
    weekly fan, the plans' figures, the traits and the loops."""
    import datetime as dt

    import pandas as pd

    d = answer.diary
    start = dt.date.fromisoformat(d["start"])
    fitted = answer.fit["fitted"]
    days = pd.DataFrame({"day": range(d["days"]),
                         "date": [(start + dt.timedelta(days=k)).isoformat() for k in range(d["days"])],
                         "pain": d["daily_pain"], "fitted_p10": fitted["p10"], "fitted_p50": fitted["p50"],
                         "fitted_p90": fitted["p90"]})
    fans = pd.DataFrame([{"plan": name, "week": week, **{k: v[i] for k, v in f.fan.items()}}
                         for name, f in answer.forecasts.items() for i, week in enumerate(f.weeks)])
    plans = pd.DataFrame([{k: v for k, v in f.to_json().items() if k not in ("fan", "weeks")}
                          for f in answer.forecasts.values()])
    from painsim.report.diary import DIARY_TABLES

    tables = dict(zip(DIARY_TABLES, (days, fans, plans, pd.DataFrame(answer.traits), pd.DataFrame(answer.loops)),
                      strict=True))
    return tables


def store_diary_fit(answer: DiaryAnswer, diary_text: str, store: Path | None = None) -> str:
    """Keep a diary's answer as a run of the results store (only when the user asks: the CLI's
    ``--store``, the web page's "keep this fit"); return the run id. The run's text is the
    diary itself; ``painsim report RUN_ID`` renders it. Raise StoreError or OSError."""
    from painsim.app.runs import store_tables_run

    summary = {k: v for k, v in answer.to_json().items() if k != "forecasts"}
    summary["plans"] = {name: {k: v for k, v in f.to_json().items() if k != "fan"}
                        for name, f in answer.forecasts.items()}
    return store_tables_run(store, diary_text, answer.fit["seed"], f"diary {answer.diary['name']}",
                            {"kind": "diary", "particles": answer.fit["particles"]}, diary_tables(answer), summary)
