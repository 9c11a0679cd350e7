"""Is it worth it? The cost-effectiveness of a scenario's arms: written once for the CLI
(``painsim cea``), the web app and the report (docs/economics.md).

The base case simulates every arm on the same cohort with the scenario's parameters; a PSA
of ``psa`` draws adds the uncertainty (acceptability curves, the frontier, EVPI and EVPPI).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.app.errors import AppInputError

if TYPE_CHECKING:  # pragma: no cover
    from painsim.economics.cea import Frontier, IncrementalTable
    from painsim.economics.psa import PsaResult
    from painsim.limits import Cost
    from painsim.scenario import Scenario

#: The willingness-to-pay grid of ``painsim cea`` (money per QALY), unless --wtp is given.
DEFAULT_WTP = "0:100000:1000"
#: WTP values at which the summary reports the decision (when they are on the grid).
REPORTED_WTP = (20_000.0, 50_000.0, 100_000.0)
#: PSA draws at most in one analysis (each draw simulates every arm).
MAX_PSA_DRAWS = 10_000

#: ``progress(stage, done, total)``: "building cohort", "base case", "PSA".
StageProgress = Callable[[str, int, int], None]


@dataclass
class CeaResult:
    """A cost-effectiveness analysis of a scenario's arms (per patient, discounted)."""

    scenario: Scenario
    perspective: str
    wtp: np.ndarray
    n: int
    seed: int
    base: pd.DataFrame  # one row per arm: cost, qalys, components, standard errors, undiscounted
    table: IncrementalTable
    psa: PsaResult | None = None
    ceac: np.ndarray | None = None  # (wtp, arms)
    frontier: Frontier | None = None
    evpi: np.ndarray | None = None  # (wtp,)
    evppi: dict[str, np.ndarray] = field(default_factory=dict)  # group -> (wtp,)
    evppi_notes: dict[str, str] = field(default_factory=dict)  # group -> why it has no EVPPI
    run_id: str | None = None

    @property
    def arms(self) -> tuple[str, ...]:
        return tuple(self.base.index)

    def summary(self) -> dict[str, Any]:
        """The JSON object of ``painsim cea --json`` (docs/cli.md)."""
        from painsim.texts import DISCLAIMER

        econ = self.scenario.economics
        out: dict[str, Any] = {
            "scenario": self.scenario.name, "run_id": self.run_id, "perspective": self.perspective,
            "currency": econ.currency, "price_year": econ.price_year, "n": self.n, "seed": self.seed,
            "discount": econ.discount.model_dump(), "utility_mapping": econ.utility.mapping,
            "arms": {arm: {k: _number(v) for k, v in row.items()} for arm, row in self.base.iterrows()},
            "incremental": self.table.to_records(),
            "wtp": {"start": float(self.wtp[0]), "stop": float(self.wtp[-1]), "points": int(self.wtp.size)},
            "disclaimer": DISCLAIMER,
        }
        if self.psa is not None:
            out["psa"] = {"draws": int(self.psa.costs.shape[0]),
                          "decision": self.decisions(), "evpi_max": float(np.max(self.evpi)),
                          "evppi_max": {g: float(np.max(v)) for g, v in self.evppi.items()}}
            if self.evppi_notes:
                out["psa"]["evppi_not_computed"] = dict(self.evppi_notes)
        return out

    def decisions(self) -> list[dict[str, Any]]:
        """At each reported WTP on the grid: the optimal arm, the probability it is
        cost-effective, EVPI (per patient)."""
        if self.frontier is None or self.evpi is None:
            return []
        rows = []
        for w in REPORTED_WTP:
            hits = np.flatnonzero(np.isclose(self.wtp, w))
            if hits.size:
                i = int(hits[0])
                rows.append({"wtp": w, "optimal": self.frontier.strategy[i],
                             "probability": float(self.frontier.probability[i]), "evpi": float(self.evpi[i])})
        return rows

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a stored analysis keeps (docs/store.md)."""
        tables = {"cea_arms": self.base.reset_index(names="arm"),
                  "cea_incremental": self.table.to_frame().reset_index()}
        tables["cea_incremental"]["dominated_by"] = tables["cea_incremental"]["dominated_by"].map(", ".join)
        if self.psa is not None and self.ceac is not None and self.frontier is not None:
            tables["cea_psa"] = self.psa.to_frame()
            curves = pd.DataFrame(self.ceac, columns=list(self.arms))
            curves.insert(0, "wtp", self.wtp)
            curves["frontier"] = list(self.frontier.strategy)
            curves["frontier_probability"] = self.frontier.probability
            curves["evpi"] = self.evpi
            for group, values in self.evppi.items():
                curves[f"evppi:{group}"] = values
            tables["cea_curves"] = curves
        return tables


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, int | float | np.floating | np.integer) else value


def check_cea(scenario: Scenario, *, n: int | None = None, psa: int = 0, wtp: str = DEFAULT_WTP,
              perspective: str | None = None, store: Path | bool | None = None) -> Cost:
    """Before any work: the inputs are valid and the analysis fits the limits.

    Raises :class:`painsim.economics.cea.EconomicsInputError` (a bad ``--wtp``),
    :class:`painsim.limits.LimitError` naming ``--n`` or ``--psa``, ValueError for an unknown
    perspective, and StoreError when ``store`` (unless False) cannot take a new run.
    """
    from painsim.economics.arms import recording_bytes
    from painsim.economics.cea import wtp_grid
    from painsim.economics.costs import PERSPECTIVE_COMPONENTS
    from painsim.limits import DEFAULT_LIMITS, LimitError

    wtp_grid(wtp)
    if perspective is not None and perspective not in PERSPECTIVE_COMPONENTS:
        raise ValueError(f"--perspective: unknown perspective {perspective!r}; "
                         f"perspectives: {', '.join(PERSPECTIVE_COMPONENTS)}")
    if not 0 <= psa <= MAX_PSA_DRAWS:
        raise LimitError("--psa", f"{psa} draws; allowed 0 (base case only) to {MAX_PSA_DRAWS:,}")
    cost = scenario.cost(n)
    n = n or scenario.n
    limits = DEFAULT_LIMITS
    per_arm = recording_bytes(n, scenario.horizon_days)
    if per_arm > limits.max_recording_bytes:
        raise LimitError("--n", f"every day of pain and disability of {n:,} patients over {scenario.horizon_days} "
                                f"days takes {per_arm / 2**30:.1f} GiB per arm; the limit is "
                                f"{limits.max_recording_bytes / 2**30:.0f} GiB: lower --n")
    total = (1 + psa) * n * scenario.horizon_days * len(scenario.arms)
    if total > limits.max_simulated_patient_days:
        raise LimitError("--psa", f"{1 + psa} simulations of {len(scenario.arms)} arm(s) x {n:,} patients x "
                                  f"{scenario.horizon_days} days are {total:,} patient-days; the limit is "
                                  f"{limits.max_simulated_patient_days:,}: lower --psa or --n")
    if store is not False:
        from painsim.store import Store

        Store(store).check_writable()
    return cost


def run_cea(scenario: Scenario, *, perspective: str | None = None, wtp: str = DEFAULT_WTP, psa: int = 0,
            posterior: str | None = None, store: Path | None = None, n: int | None = None,
            seed: int | None = None, n_jobs: int = 1,
            evppi_groups: list[str] | None = None, progress: StageProgress | None = None) -> CeaResult:
    """The whole analysis, not stored (:func:`run_and_store_cea` stores it).

    With ``posterior`` (``"default"`` or a stored posterior's run id, in ``store``), the model
    and care parameters of ``psa`` draws (default 200) come from that posterior and the
    economic ones from their documented distributions. Raises what :func:`check_cea` raises,
    AppInputError for a posterior that does not exist or is of another model version, and
    ScreeningError when the cohort cannot be found. ``progress(stage, done, total)`` is called after each step.
    """
    from painsim.economics import cea
    from painsim.economics.arms import simulate_exposures
    from painsim.economics.psa import psa_groups, run_psa
    from painsim.engine import Cohort

    check_cea(scenario, n=n, psa=psa, wtp=wtp, perspective=perspective, store=False)
    draws = _posterior_psa_draws(scenario, posterior, psa or DEFAULT_POSTERIOR_DRAWS, store,
                                 scenario.seed if seed is None else seed) if posterior is not None else None
    econ = scenario.economics
    perspective = perspective or econ.perspective
    grid = cea.wtp_grid(wtp)
    n = n or scenario.n
    seed = scenario.seed if seed is None else seed
    report = progress or (lambda stage, done, total: None)
    cohort = Cohort.build(scenario.population, n=n, seed=seed, params=scenario.model, n_jobs=n_jobs,
                          progress=lambda done, total: report("building cohort", done, total))
    arms = dict(scenario.arms)
    exposures = simulate_exposures(cohort, scenario.horizon_days, arms, econ, care_params=scenario.care_params,
                                   n_jobs=n_jobs, progress=lambda arm, done, total: report("base case", done, total))
    base = base_case_table(exposures, econ, perspective)
    table = cea.incremental_analysis(list(base.index), base["cost"].to_numpy(), base["qalys"].to_numpy())
    result = CeaResult(scenario=scenario, perspective=perspective, wtp=grid, n=n, seed=seed, base=base, table=table)
    if psa or draws is not None:
        result.psa = run_psa(cohort, scenario.horizon_days, arms, econ, model=scenario.model,
                             care_params=scenario.care_params, perspective=perspective, n_draws=psa, seed=seed,
                             draws=draws, n_jobs=n_jobs, progress=lambda done, total: report("PSA", done, total))
        _decision_analysis(result, psa_groups(econ), evppi_groups)
    return result


#: PSA draws taken from a posterior when --psa does not say how many.
DEFAULT_POSTERIOR_DRAWS = 200


def _posterior_psa_draws(scenario: Scenario, posterior: str, n_draws: int, store: Path | None,
                         seed: int) -> pd.DataFrame:
    """The PSA's draws with model and care parameters from ``posterior`` (checked first)."""
    from painsim.app.posterior import check_model_version, load_posterior
    from painsim.economics.psa import with_posterior_draws

    post = load_posterior(posterior, store)
    check_model_version(post)
    try:
        return with_posterior_draws(post.sample(n_draws, seed), seed, scenario.economics, scenario.model,
                                    scenario.care_params)
    except ValueError as err:
        raise AppInputError(f"--posterior {posterior}: {err}") from None


def base_case_table(exposures: dict[str, Any], econ: Any, perspective: str) -> pd.DataFrame:
    """One row per arm: mean discounted cost (the perspective's) and QALYs per patient,
    their standard errors over patients, cost components, and undiscounted totals."""
    from painsim.economics.arms import outcome
    from painsim.economics.costs import COMPONENTS

    rows = {}
    for arm, exp in exposures.items():
        out, plain = outcome(exp, econ), outcome(exp, econ, discounted=False)
        cost = out.total_cost(perspective)
        root_n = np.sqrt(max(exp.n - 1, 1))
        row = {"cost": cost.mean(), "qalys": out.qalys.mean(), "cost_se": cost.std() / root_n,
               "qalys_se": out.qalys.std() / root_n}
        row.update({f"cost_{c}": out.costs[c].mean() for c in COMPONENTS})
        row.update({"cost_undiscounted": plain.total_cost(perspective).mean(),
                    "qalys_undiscounted": plain.qalys.mean()})
        rows[arm] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _decision_analysis(result: CeaResult, groups: dict[str, list[str]], chosen: list[str] | None) -> None:
    from painsim.economics import cea

    psa = result.psa
    assert psa is not None
    names = list(psa.arms)
    result.ceac = cea.ceac(psa.costs, psa.qalys, result.wtp)
    result.frontier = cea.ceaf(psa.costs, psa.qalys, result.wtp, names)
    result.evpi = cea.evpi(psa.costs, psa.qalys, result.wtp)
    from painsim.economics.voi import evppi, min_draws

    draws = psa.costs.shape[0]
    for group in chosen or list(groups):
        columns = [c for c in groups.get(group, []) if c in psa.parameters]
        values = psa.parameters[columns].to_numpy()
        if not columns or np.ptp(values, axis=0).min() == 0:
            result.evppi_notes[group] = "its parameters did not vary in these draws"
            continue
        method = "gam" if len(columns) <= 4 and draws >= min_draws(len(columns), "gam") else "gp"
        if draws < min_draws(len(columns), method):
            result.evppi_notes[group] = (f"EVPPI of {len(columns)} parameter(s) needs at least "
                                         f"{min_draws(len(columns), method)} PSA draws (--psa), {draws} given")
            continue
        result.evppi[group] = np.asarray(evppi(psa.costs, psa.qalys, values, result.wtp, method=method),
                                         dtype=np.float64)


def store_cea(result: CeaResult, text: str, store: Path | None) -> str:
    """Keep ``result`` in the store atomically (the scenario text, tables, the summary);
    set and return its run id. Raise StoreError or OSError (then nothing is stored)."""
    from painsim import __version__
    from painsim.app.runs import store_tables_run

    meta = {"kind": "cea", "painsim_version": __version__, "n": result.n, "perspective": result.perspective,
            "psa": 0 if result.psa is None else int(result.psa.costs.shape[0])}
    result.run_id = store_tables_run(store, text, result.seed, f"{result.scenario.name}-cea", meta,
                                     result.tables(), lambda run_id: {**result.summary(), "run_id": run_id})
    return result.run_id


def run_and_store_cea(scenario: Scenario, text: str, *, store: Path | None = None, keep: bool = True,
                      cancel: Callable[[], None] | None = None,
                      storing: Callable[[], AbstractContextManager[Any]] | None = None, **options: Any) -> CeaResult:
    """Check, analyse and (when ``keep``) store: the whole ``painsim cea`` job. ``options``
    are those of :func:`run_cea`; ``cancel()`` is called before storing (the last point at
    which nothing has been written)."""
    check_cea(scenario, n=options.get("n"), psa=options.get("psa", 0), wtp=options.get("wtp", DEFAULT_WTP),
              perspective=options.get("perspective"), store=store if keep else False)
    result = run_cea(scenario, store=store, **options)
    if cancel is not None:
        cancel()
    if keep:
        with storing() if storing is not None else nullcontext():
            store_cea(result, text, store)
    return result
