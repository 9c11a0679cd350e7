"""Power by repeated virtual trials, run as a resumable sweep on Dask (painsim.sweeps).

Replicate ``rep`` at ``n`` per arm uses the seed derived from ``(seed, n, rep)``
(:func:`replicate_seed`), so the curve is identical for any number of workers, on one
machine or a cluster, in one go or resumed after an interruption.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.limits import DEFAULT_LIMITS, LimitError, Limits, check_power_cost, range_size
from painsim.trials.spec import MAX_N_PER_ARM, TrialSpec

if TYPE_CHECKING:  # pragma: no cover
    from painsim.sweeps import ResultsFolder, Sweep


def replicate_seed(seed: int, n: int, rep: int) -> int:
    """The seed of replicate ``rep`` at ``n`` per arm (in [0, 2**63))."""
    state = np.random.SeedSequence([int(seed), int(n), int(rep), 0x9073]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def one_trial(spec: TrialSpec, n: int, rep: int, seed: int, method: str) -> dict:
    """Run and analyse one replicate; return the primary comparison."""
    from painsim.trials.analysis import analyse
    from painsim.trials.run import run_trial

    outcome, week, arm, comparator = spec.primary()
    data = run_trial(spec.with_n(n), seed=replicate_seed(seed, n, rep))
    result = analyse(data, method=method, pairs=[(arm, comparator)], outcomes=(outcome,), weeks=(week,),
                     responders=False)
    row = result.comparisons.iloc[0]
    return {"n": n, "rep": rep, "md": float(row.md), "ci_lb": float(row.ci_lb), "ci_ub": float(row.ci_ub),
            "p": float(row.p), "smd": float(row.smd), "reject": bool(row.p < spec.analysis.alpha)}


POWER_CHUNK = 10  # virtual trials per sweep task: a fixed size, so task keys do not depend on the cluster


@dataclass(frozen=True)
class PowerCommon:
    """What every power task shares (sent once to each worker)."""

    spec: TrialSpec
    seed: int
    method: str


def power_task(params: dict, common: PowerCommon) -> dict:
    """One sweep task: replicates ``first`` to ``stop - 1`` at ``n`` per arm."""
    return {"rows": [one_trial(common.spec, params["n"], rep, common.seed, common.method)
                     for rep in range(params["first"], params["stop"])]}


def power_sweep(spec: TrialSpec, ns: Sequence[int], reps: int, seed: int, method: str) -> Sweep:
    """The power curve as a resumable sweep (painsim.sweeps): chunks of replicates per n."""
    from painsim.sweeps import Sweep

    tasks = [{"n": int(n), "first": first, "stop": min(reps, first + POWER_CHUNK)}
             for n in ns for first in range(0, reps, POWER_CHUNK)]
    return Sweep("power", power_task, tasks, spec={"trial": spec.model_dump(mode="json"), "method": method},
                 seed=seed, common=PowerCommon(spec, seed, method))


def power_curve(spec: TrialSpec, ns: Sequence[int], reps: int | None = None, seed: int | None = None,
                jobs: int = 1, method: str | None = None,
                progress: Callable[[int, int], None] | None = None, client: Any = None,
                results: ResultsFolder | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power of the primary comparison at each ``n`` per arm by ``reps`` virtual trials.

    The trials run as a sweep (painsim.sweeps): on ``client`` (a ``distributed.Client``, e.g.
    from :func:`painsim.sweeps.sweep_client`, or ``"serial"``) when given, else in this
    process (``jobs = 1``) or on a local Dask cluster of ``jobs`` worker processes. With a
    ``results`` folder every finished task is kept there and a rerun computes only the
    missing ones. Results do not depend on where they ran.

    Raises :class:`painsim.limits.LimitError` when the curve would exceed a documented limit
    (:func:`painsim.limits.check_power_cost`).

    Returns (curve, replicates): ``curve`` has n, reps, power, its 95% Wilson interval and the
    mean estimate; ``replicates`` has one row per virtual trial.
    """
    from painsim.sweeps import SERIAL, ResultsFolder, run_sweep, sweep_client

    reps = reps or spec.power.reps
    check_power_cost(spec, list(ns), reps, n_option="ns", reps_option="reps")
    seed = spec.seed if seed is None else seed
    method = method or spec.power.missing or spec.analysis.missing
    sweep = power_sweep(spec, ns, reps, seed, method)
    n_trials = len(ns) * reps
    trials_by_tasks = np.cumsum([0] + [t["stop"] - t["first"] for t in sweep.tasks])  # trials in the first k tasks

    def report(done: int, _total: int) -> None:
        if progress is not None:
            progress(int(trials_by_tasks[done]), n_trials)

    with ExitStack() as stack:
        if results is None:
            results = ResultsFolder(stack.enter_context(tempfile.TemporaryDirectory(prefix="painsim-power-")))
        if client is None:
            client = SERIAL if jobs <= 1 else stack.enter_context(sweep_client(None, n_workers=jobs))
        outcome = run_sweep(sweep, results, client, progress=report)
    rows = [row for result in outcome.results for row in result["rows"]]
    replicates = pd.DataFrame(rows).sort_values(["n", "rep"], ignore_index=True)
    curve = replicates.groupby("n", sort=True).agg(reps=("reject", "size"), rejections=("reject", "sum"),
                                                  md_mean=("md", "mean"), smd_mean=("smd", "mean")).reset_index()
    curve["power"] = curve["rejections"] / curve["reps"]
    lo, hi = wilson(curve["rejections"].to_numpy(), curve["reps"].to_numpy())
    curve["power_lb"], curve["power_ub"] = lo, hi
    return curve[["n", "reps", "rejections", "power", "power_lb", "power_ub", "md_mean", "smd_mean"]], replicates


def wilson(k: np.ndarray, n: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion k/n (statsmodels' ``proportion_confint``, which
    puts the bounds exactly at 0 and 1 when k = 0 or k = n)."""
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(np.asarray(k), np.asarray(n), alpha=alpha, method="wilson")
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def parse_range(text: str, limits: Limits = DEFAULT_LIMITS) -> list[int]:
    """'50:400:50' -> [50, 100, ..., 400] (inclusive); '100' -> [100]; '50,80' -> [50, 80].

    Raises ValueError naming ``--n`` when the text is malformed, has more than
    ``limits.max_power_points`` values (checked before they are listed) or an n per arm
    outside 2 to the arms' limit.
    """
    text = text.strip()
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            start, stop, step = parts[0], parts[1], parts[2] if len(parts) == 3 else 1
            if step <= 0 or stop < start:
                raise ValueError
            count = range_size(start, stop, step)
            if count > limits.max_power_points:
                raise LimitError("--n", f"{text} gives {count:,} values of n per arm; at most "
                                        f"{limits.max_power_points:,} (use a larger STEP)")
            values = list(range(start, stop + 1, step))
        else:
            values = [int(p) for p in text.split(",")]
    except LimitError:
        raise
    except ValueError:
        raise ValueError(f"--n must look like START:STOP:STEP (e.g. 50:400:50) or a comma list, got {text!r}") from None
    if len(values) > limits.max_power_points:
        raise LimitError("--n", f"{len(values):,} values of n per arm; at most {limits.max_power_points:,}")
    if not values or min(values) < 2:
        raise ValueError(f"--n: every n per arm must be >= 2, got {text!r}")
    if max(values) > MAX_N_PER_ARM:
        raise LimitError("--n", f"n per arm is at most {MAX_N_PER_ARM:,} (the limit of arms.*.n), got "
                                f"{max(values):,}")
    return values
