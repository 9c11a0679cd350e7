"""The application layer: what the faces (CLI, web app) ask painsim to do, written once.

Each job is a plain function with type hints that takes progress (and, where a job can be
stopped, cancel) callbacks and returns a plain result object; the faces only parse input,
call it and present the result. Bad input raises :class:`AppInputError` (a ``ValueError``
whose message says what is wrong and what is allowed).

Scenarios
    :func:`run_and_store_scenario` (check, simulate, store), or its steps
    :func:`check_scenario_run`, :func:`run_scenario`, :func:`store_scenario_run`;
    :func:`demo_scenario` (the flagship scenario and its text); :class:`ScenarioRun`.
Trials
    :func:`run_and_analyse_trial`; :func:`run_power_curve` -> :class:`PowerCurve`;
    :func:`check_missing_method`; :func:`pool_virtual_trials` -> :class:`TrialPool` (each
    trial's primary comparison at its own week, one week, or a follow-up window; certainty).
A client's diary
    :func:`run_diary` -> :class:`DiaryAnswer` (read and check a diary, fit it by sequential
    Monte Carlo, loops switched off over the fit, forecasts of :func:`diary_plans`);
    :func:`store_diary_fit` (only when asked).
A patient's twins
    :func:`simulate_twins` -> :class:`PatientTwins` (fan chart, loops switched off,
    responder classes of twins of a profile under a care plan); :func:`check_twins_plan`.
Meta-analysis
    :func:`read_meta_table` (a path or uploaded bytes), :func:`meta_options`,
    :func:`meta_analyse` -> :class:`MetaAnalysis` (fit, Egger, certainty, subgroups,
    leave-one-out, trim-and-fill); :class:`MetaInputError`.
Sweeps
    :func:`run_grid_sweep` (also ``grid_sweep``; its tasks :func:`grid_tasks`,
    :func:`grid_task`), :func:`sweep_results_folder`, :func:`store_tables_run`; the cost
    checks before any work (LimitError): :func:`check_grid_sweep`,
    :func:`check_sensitivity_cost`, :func:`check_calibration_cost`.
Posteriors
    :func:`painsim.app.posterior.posterior_of_run` -> ``StoredPosterior`` (a stored
    ABC-SMC posterior: table, figure, JSON).
Economics
    :func:`run_and_store_cea` (check, analyse, store: ``painsim cea``), or its steps
    :func:`check_cea`, :func:`run_cea` -> :class:`CeaResult`, :func:`store_cea`.
Choices
    :func:`choices` / :func:`choices_json`: every list a user picks from (effect-size
    measures, tau^2 estimators, tests, pooling measures, missing-data methods, outcomes,
    responder classes, treatments, populations, loops, sensitivity methods and outputs,
    export formats, cost perspectives, utility mappings) as :class:`Choice` (value, label), read from the one
    place each is declared; :func:`check_choice` validates against one of them.

Callbacks: ``progress(stage, done, total)`` for scenarios and trials, ``progress(done,
total)`` for sweeps and power curves; ``cancel()`` raises to stop a job at a safe point
(nothing is stored then). See docs/app.md.
"""

from painsim.app.choices import CHOICE_LISTS, Choice, ChoiceError, check_choice, choices, choices_json, values
from painsim.app.diary import DiaryAnswer, diary_plans, run_diary, store_diary_fit
from painsim.app.economics import CeaResult, check_cea, run_and_store_cea, run_cea, store_cea
from painsim.app.errors import AppInputError
from painsim.app.meta import (
    MetaAnalysis,
    MetaInputError,
    MetaOptions,
    meta_analyse,
    meta_options,
    read_meta_table,
    with_certainty,
)
from painsim.app.patient import PatientTwins, check_twins_plan, simulate_twins
from painsim.app.runs import store_tables_run
from painsim.app.scenarios import (
    ScenarioRun,
    check_scenario_run,
    demo_scenario,
    demo_scenario_text,
    run_and_store_scenario,
    run_scenario,
    scenario_run_meta,
    store_scenario_run,
)
from painsim.app.sweeps import (
    GridCommon,
    check_calibration_cost,
    check_grid_sweep,
    check_sensitivity_cost,
    grid_sweep,
    grid_task,
    grid_tasks,
    run_grid_sweep,
    sweep_results_folder,
)
from painsim.app.trials import (
    PowerCurve,
    TrialPool,
    check_missing_method,
    pool_virtual_trials,
    run_and_analyse_trial,
    run_power_curve,
)
from painsim.texts import DISCLAIMER

__all__ = [
    "CHOICE_LISTS",
    "DISCLAIMER",
    "AppInputError",
    "CeaResult",
    "Choice",
    "ChoiceError",
    "DiaryAnswer",
    "GridCommon",
    "MetaAnalysis",
    "MetaInputError",
    "MetaOptions",
    "PatientTwins",
    "PowerCurve",
    "ScenarioRun",
    "TrialPool",
    "check_calibration_cost",
    "check_cea",
    "check_choice",
    "check_grid_sweep",
    "check_missing_method",
    "check_scenario_run",
    "check_sensitivity_cost",
    "check_twins_plan",
    "choices",
    "choices_json",
    "demo_scenario",
    "demo_scenario_text",
    "diary_plans",
    "grid_sweep",
    "grid_task",
    "grid_tasks",
    "meta_analyse",
    "meta_options",
    "pool_virtual_trials",
    "read_meta_table",
    "run_and_analyse_trial",
    "run_and_store_cea",
    "run_and_store_scenario",
    "run_cea",
    "run_diary",
    "run_grid_sweep",
    "run_power_curve",
    "run_scenario",
    "scenario_run_meta",
    "simulate_twins",
    "store_cea",
    "store_diary_fit",
    "store_scenario_run",
    "store_tables_run",
    "sweep_results_folder",
    "values",
    "with_certainty",
]
