"""Assurance: the probability that a trial succeeds, averaged over a posterior.

Power is the chance of a significant primary comparison *if* the model's parameters were
known; assurance averages that chance over what we know of them (O'Hagan, Stevens &
Campbell 2005, Pharm Stat 4:187: "assurance", the unconditional probability of success).
Each virtual trial ``rep`` at ``n`` per arm runs with parameter set ``rep`` of ``draws``
equally weighted sets resampled from the posterior (the same sets at every n, so the
curve is smooth in n) and the trial seed of :func:`painsim.trials.power.replicate_seed`:
assurance(n) is the share of those trials whose primary comparison is significant, the
criterion of the power curve beside it, so the two differ only by parameter uncertainty.
Like the power curve it runs as a resumable sweep on Dask.

>>> from painsim.app.assurance import run_assurance          # doctest: +SKIP
>>> curve = run_assurance(spec, load_posterior("default"), [50, 100, 200], draws=200)  # doctest: +SKIP
>>> curve.curve[["n", "assurance", "power"]]                  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.app.errors import AppInputError
from painsim.texts import DISCLAIMER

if TYPE_CHECKING:  # pragma: no cover
    from painsim.app.posterior import StoredPosterior
    from painsim.app.trials import PowerCurve
    from painsim.sweeps import ResultsFolder
    from painsim.trials import TrialSpec

#: Default posterior draws (one virtual trial each) per n.
DEFAULT_ASSURANCE_DRAWS = 200
ASSURANCE_CHUNK = 10  # virtual trials per sweep task (fixed, so task keys do not depend on the cluster)
ASSURANCE_TASK_KEY_NAME = "painsim.app.assurance.assurance_task"


@dataclass(frozen=True)
class AssuranceCommon:
    """What every assurance task shares: the spec, seed, missing-data method and the parameter sets."""

    spec: TrialSpec
    seed: int
    method: str
    parameter_sets: tuple[dict[str, float], ...]


def assurance_task(params: dict, common: AssuranceCommon) -> dict:
    """Virtual trials ``first`` to ``stop - 1`` at ``n`` per arm, trial ``rep`` with parameter set ``rep``."""
    from painsim.calibration.targets import with_parameters
    from painsim.trials.power import one_trial

    rows = []
    for rep in range(params["first"], params["stop"]):
        spec = with_parameters(common.spec, common.parameter_sets[rep])
        rows.append(one_trial(spec, params["n"], rep, common.seed, common.method))
    return {"rows": rows}


@dataclass
class AssuranceCurve:
    """Assurance beside power: one row per n per arm (``curve``: n, draws, successes,
    assurance and its 95% Wilson interval, mean estimate; power, its interval), the virtual
    trials (``replicates``) and the conventional power curve."""

    spec: TrialSpec
    posterior_id: str
    draws: int
    seed: int
    curve: pd.DataFrame
    replicates: pd.DataFrame
    power: PowerCurve

    def to_json(self) -> dict[str, Any]:
        """The primary comparison, the posterior, and each n's assurance and power as plain JSON."""
        power = self.power.to_json()
        head = {k: power[k] for k in ("trial", "outcome", "week", "arm", "comparator", "alpha", "method", "seed")}
        rows = [{k: (int(v) if k in ("n", "draws", "successes", "power_reps") else float(v)) for k, v in row.items()}
                for row in self.curve.to_dict(orient="records")]
        return {**head, "posterior": self.posterior_id, "draws": self.draws, "curve": rows}


def check_assurance(spec: TrialSpec, post: StoredPosterior, ns: Sequence[int], draws: int) -> None:
    """Before any trial: the posterior is of this model and applies to the spec, and the
    cost is within the limits (AppInputError, LimitError)."""
    from painsim.app.posterior import check_model_version
    from painsim.calibration.targets import with_parameters
    from painsim.limits import check_power_cost

    if not 1 <= draws <= 100_000:
        raise AppInputError(f"--draws: between 1 and 100,000 posterior draws (given {draws})")
    check_model_version(post)
    try:
        with_parameters(spec, post.draws.iloc[0].to_dict())
    except ValueError as err:
        raise AppInputError(f"posterior {post.run_id} does not apply to trial {spec.name}: {err}") from None
    check_power_cost(spec, list(ns), draws, n_option="--n", reps_option="--draws")


def run_assurance(spec: TrialSpec, post: StoredPosterior, ns: Sequence[int], *,
                  draws: int = DEFAULT_ASSURANCE_DRAWS, power_reps: int | None = None, seed: int | None = None,
                  method: str | None = None, client: Any = None, results: ResultsFolder | None = None,
                  progress: Callable[[int, int], None] | None = None) -> AssuranceCurve:
    """Assurance of ``spec``'s primary comparison at each ``n`` per arm over ``draws`` posterior
    draws, and the power curve on the spec's own parameters (``power_reps`` trials per n,
    default the spec's power.reps) beside it. ``progress(done, total)`` counts virtual trials
    of both. Raise AppInputError, LimitError, SweepError or ScreeningError."""
    from painsim.app.trials import check_missing_method, run_power_curve
    from painsim.sweeps import SERIAL, ResultsFolder, Sweep, run_sweep
    from painsim.trials.power import wilson

    check_missing_method(method)
    check_assurance(spec, post, ns, draws)
    seed = spec.seed if seed is None else seed
    method = method or spec.power.missing or spec.analysis.missing
    power_reps = power_reps or spec.power.reps
    total = len(ns) * (draws + power_reps)
    sets = tuple(post.sample(draws, seed).to_dict(orient="records"))
    tasks = [{"n": int(n), "first": first, "stop": min(draws, first + ASSURANCE_CHUNK)}
             for n in ns for first in range(0, draws, ASSURANCE_CHUNK)]
    done_by_tasks = np.cumsum([0] + [t["stop"] - t["first"] for t in tasks])
    sweep = Sweep("assurance", assurance_task, tasks,
                  spec={"trial": spec.model_dump(mode="json"), "method": method, "posterior": post.run_id,
                        "model_version": post.model_version, "parameter_sets": list(sets)},
                  seed=seed, common=AssuranceCommon(spec, seed, method, sets), fn_name=ASSURANCE_TASK_KEY_NAME)
    with ExitStack() as stack:
        if results is None:
            results = ResultsFolder(stack.enter_context(tempfile.TemporaryDirectory(prefix="painsim-assurance-")))
        client = SERIAL if client is None else client
        report = (lambda done, _t: progress(int(done_by_tasks[done]), total)) if progress is not None else None
        outcome = run_sweep(sweep, results, client, progress=report)
        offset = len(ns) * draws
        power = run_power_curve(spec, ns, reps=power_reps, seed=seed, method=method, client=client,
                                results=results, progress=(lambda d, _t: progress(offset + d, total))
                                if progress is not None else None)
    replicates = pd.DataFrame([row for r in outcome.results for row in r["rows"]]).sort_values(["n", "rep"],
                                                                                               ignore_index=True)
    curve = replicates.groupby("n", sort=True).agg(draws=("reject", "size"), successes=("reject", "sum"),
                                                  md_mean=("md", "mean")).reset_index()
    curve["assurance"] = curve["successes"] / curve["draws"]
    curve["assurance_lb"], curve["assurance_ub"] = wilson(curve["successes"].to_numpy(), curve["draws"].to_numpy())
    by_n = power.curve.set_index("n")
    curve["power"] = curve["n"].map(by_n["power"])
    curve["power_lb"], curve["power_ub"] = curve["n"].map(by_n["power_lb"]), curve["n"].map(by_n["power_ub"])
    curve["power_reps"] = curve["n"].map(by_n["reps"])
    columns = ["n", "draws", "successes", "assurance", "assurance_lb", "assurance_ub", "md_mean",
               "power", "power_lb", "power_ub", "power_reps"]
    return AssuranceCurve(spec, post.run_id, draws, seed, curve[columns], replicates, power)


def save_assurance_figure(curve: AssuranceCurve, path: Path) -> Path:
    """Assurance and power against n per arm, each with its 95% interval (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = curve.curve
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for column, label, colour in (("power", "power (calibrated defaults)", "#555555"),
                                  ("assurance", f"assurance (posterior {curve.posterior_id})", "#1b6ca8")):
        axes.plot(frame["n"], frame[column], marker="o", color=colour, label=label)
        axes.fill_between(frame["n"], frame[f"{column}_lb"], frame[f"{column}_ub"], color=colour, alpha=0.15)
    outcome, week, arm, comparator = curve.spec.primary()
    axes.set(xlabel="patients per arm", ylabel="probability of a significant result", ylim=(0, 1),
             title=f"{curve.spec.name}: {outcome} at week {week}, {arm} vs {comparator}")
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    figure.text(0.01, 0.01, DISCLAIMER, fontsize=7, color="#777777")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
