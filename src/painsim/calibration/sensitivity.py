"""Global sensitivity analysis (SALib): Sobol first- and total-order indices, or Morris
mu*/sigma, of chosen outputs over the five loop gains and chosen parameters.

The cohort is built once from the scenario (its population and model at entry); every
sample then follows the same patients with the same random numbers, changing only the loop
gains and parameters of the follow-up. So the indices measure what controls the course of
established chronic pain, not who becomes chronic. Samples run as one sweep on Dask
(painsim.sweeps), resumable like every sweep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from painsim.calibration import statistics
from painsim.calibration.targets import check_parameter, split_params
from painsim.engine import LOOP_NAMES, Cohort, Record, simulate
from painsim.scenario import Scenario
from painsim.sweeps import ResultsFolder, Sweep, run_sweep

OUTPUTS: dict[str, str] = {
    "chronic_365": "share still chronic at one year (mean weekly pain >= 4 over weeks 49-52)",
    "relief_days": "median duration of relief episodes after massage sessions (days)",
    "lasting": "share of lasting responders (recovered >= 365 days after the course)",
    "transient": "share of transient responders",
    "non_responder": "share of non-responders",
    "pain_365": "mean reported pain at one year (last 28 days)",
}
Method = Literal["sobol", "morris"]


@dataclass(frozen=True)
class Output:
    name: str
    arm: str

    @property
    def label(self) -> str:
        return f"{self.name}@{self.arm}"


def resolve_outputs(scenario: Scenario, names: list[str]) -> list[Output]:
    """``name`` or ``name@arm``; default arm: the first arm without care for chronic_365 and
    pain_365, else the first arm with massage."""
    first_plain = next((a for a, p in scenario.arms.items() if p.is_empty), next(iter(scenario.arms)))
    first_massage = next((a for a, p in scenario.arms.items() if p.massage is not None or p.sham is not None), None)
    out = []
    for item in names:
        name, _, arm = item.partition("@")
        if name not in OUTPUTS:
            raise ValueError(f"unknown output {name!r}; allowed: {', '.join(OUTPUTS)} (optionally name@arm)")
        care_output = name not in ("chronic_365", "pain_365")
        if not arm:
            arm = first_massage if care_output else first_plain
            if arm is None:
                raise ValueError(f"output {name!r} needs an arm with massage; scenario {scenario.name!r} has none")
        if arm not in scenario.arms:
            raise ValueError(f"output {item!r}: unknown arm {arm!r}; arms: {', '.join(scenario.arms)}")
        if care_output and scenario.arms[arm].massage is None and scenario.arms[arm].sham is None:
            raise ValueError(f"output {item!r}: arm {arm!r} has no massage or sham sessions")
        out.append(Output(name, arm))
    if scenario.horizon_days < 365:
        raise ValueError(f"the outputs are read at one year: the scenario's horizon must be >= 365 days "
                         f"(it is {scenario.horizon_days})")
    return out


def problem(param_ranges: dict[str, tuple[float, float]], loop_max: float) -> dict[str, Any]:
    """The SALib problem: loop gains on [0, loop_max] and the chosen parameters."""
    if not (math.isfinite(loop_max) and loop_max > 0):
        raise ValueError(f"loop_max must be > 0, got {loop_max}")
    names = [f"loop.{name}" for name in LOOP_NAMES]
    bounds = [[0.0, float(loop_max)]] * len(LOOP_NAMES)
    for name, (low, high) in param_ranges.items():
        check_parameter(name, low, high)
        if not low < high:
            raise ValueError(f"parameter {name}: low must be below high (given {low}, {high})")
        names.append(name)
        bounds.append([float(low), float(high)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sample(prob: dict[str, Any], method: Method, base: int, seed: int) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prob, base, calc_second_order=False, scramble=True, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(prob, base, num_levels=4, seed=seed)
    raise ValueError(f"method must be 'sobol' or 'morris', got {method!r}")


def analyze(prob: dict[str, Any], method: Method, X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
    """One row per input: S1, S1_conf, ST, ST_conf (Sobol) or mu_star, mu_star_conf, sigma (Morris)."""
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(prob, Y, calc_second_order=False, seed=seed, print_to_console=False)
        return pd.DataFrame({"input": prob["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                             "ST": res["ST"], "ST_conf": res["ST_conf"]})
    from SALib.analyze import morris

    res = morris.analyze(prob, X, Y, seed=seed, print_to_console=False)
    return pd.DataFrame({"input": prob["names"], "mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                         "mu": res["mu"], "sigma": res["sigma"]})


@dataclass(frozen=True)
class SensitivityCommon:
    """What every sample shares: the scenario, the entry cohort, the outputs."""

    scenario: Scenario
    cohort: Cohort
    outputs: tuple[Output, ...]


def sample_task(params: dict, common: SensitivityCommon) -> dict:
    """Sweep task: follow the entry cohort under the sample's loop gains and parameters."""
    values = params["values"]
    loops = {k.removeprefix("loop."): v for k, v in values.items() if k.startswith("loop.")}
    model, care = split_params({k: v for k, v in values.items() if not k.startswith("loop.")})
    scenario = common.scenario
    cohort = replace(common.cohort, params=scenario.model.model_copy(update=model))
    care_params = scenario.care_params.model_copy(update=care)
    record = Record(variables=("pain",), every=7, patients=len(cohort))
    out: dict[str, float] = {}
    for arm in dict.fromkeys(o.arm for o in common.outputs):
        result = simulate(cohort, scenario.horizon_days, record, loops=loops, care=scenario.arms[arm],
                          care_params=care_params)
        for o in (o for o in common.outputs if o.arm == arm):
            out[o.label] = _output(o.name, result)
    return out


def _output(name: str, result: Any) -> float:
    if name == "chronic_365":
        return statistics.compute("chronic_share", result, day=364)
    if name == "pain_365":
        return statistics.compute("pain_mean", result, day=364, window=28)
    if name == "relief_days":
        value = statistics.compute("relief_median_days", result)
        return 0.0 if math.isnan(value) else value  # no relief episode at all: zero days
    return statistics.compute("responder_share", result, responder_class=name)


@dataclass
class SensitivityResult:
    method: Method
    problem: dict[str, Any]
    samples: pd.DataFrame  # inputs and outputs of every sample
    indices: pd.DataFrame  # one row per (output, input)
    ran: int
    reused: int

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "samples": len(self.samples), "outputs": {}}
        for output, rows in self.indices.groupby("output", sort=False):
            out["outputs"][output] = rows.drop(columns="output").set_index("input").round(4).to_dict("index")
        return out


def run_sensitivity(scenario: Scenario, method: Method, outputs: list[str],
                    param_ranges: dict[str, tuple[float, float]], base: int, n: int, results: ResultsFolder,
                    client: Any, seed: int | None = None,
                    loop_max: float = 2.0, progress: Callable[[int, int], None] | None = None) -> SensitivityResult:
    """Sample, simulate every sample as one sweep, and compute the indices of every output."""
    if isinstance(base, bool) or not isinstance(base, int) or base <= 0:
        raise ValueError(f"budget (base samples) must be a positive integer, got {base!r}")
    seed = scenario.seed if seed is None else seed
    chosen = resolve_outputs(scenario, outputs)
    prob = problem(param_ranges, loop_max)
    X = sample(prob, method, base, seed)
    cohort = Cohort.build(scenario.population, n=n, seed=seed, params=scenario.model)
    tasks = [{"values": dict(zip(prob["names"], map(float, row), strict=True))} for row in X]
    spec = {"scenario": scenario.model_dump(mode="json"), "n": n, "outputs": [o.label for o in chosen]}
    sweep = Sweep(f"sensitivity-{method}", sample_task, tasks, spec=spec, seed=seed,
                  common=SensitivityCommon(scenario, cohort, tuple(chosen)))
    outcome = run_sweep(sweep, results, client, progress=progress)
    Y = pd.DataFrame(outcome.results)
    frames = []
    for o in chosen:
        table = analyze(prob, method, X, Y[o.label].to_numpy(dtype=float), seed)
        table.insert(0, "output", o.label)
        frames.append(table)
    samples = pd.concat([pd.DataFrame(X, columns=prob["names"]), Y], axis=1)
    return SensitivityResult(method, prob, samples, pd.concat(frames, ignore_index=True), outcome.ran, outcome.reused)


def plot(result: SensitivityResult, path: Any) -> Any:
    """Bar chart of S1 and ST (Sobol) or mu* with sigma (Morris), one panel per output."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(result.indices.groupby("output", sort=False))
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups) + 0.5, 4.2), squeeze=False)
    for ax, (output, rows) in zip(axes[0], groups, strict=True):
        names = [n.removeprefix("loop.") + (" (loop)" if n.startswith("loop.") else "") for n in rows["input"]]
        y = np.arange(len(rows))
        if result.method == "sobol":
            ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order S1", color="tab:blue")
            ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total order ST", color="tab:orange")
            ax.set_xlabel("Sobol index")
        else:
            ax.barh(y - 0.2, rows["mu_star"], 0.4, xerr=rows["mu_star_conf"], label="mu*", color="tab:blue")
            ax.barh(y + 0.2, rows["sigma"], 0.4, label="sigma", color="tab:orange")
            ax.set_xlabel("Morris elementary effects")
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.axvline(0, color="0.5", lw=0.6)
        ax.set_title(output, fontsize=10)
    axes[0][0].legend(loc="lower right", fontsize=8, frameon=False)
    fig.suptitle(f"{result.method.capitalize()} sensitivity ({len(result.samples)} samples)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
