"""Power by repeated virtual trials, run in parallel.

Replicate ``rep`` at ``n`` per arm uses the seed derived from ``(seed, n, rep)``
(:func:`replicate_seed`), so the curve is identical for any number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from painsim.trials.spec import TrialSpec


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


def _chunk(args: tuple) -> list[dict]:
    spec, tasks, seed, method = args
    return [one_trial(spec, n, rep, seed, method) for n, rep in tasks]


def power_curve(spec: TrialSpec, ns: Sequence[int], reps: int | None = None, seed: int | None = None,
                jobs: int = 1, method: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power of the primary comparison at each ``n`` per arm by ``reps`` virtual trials.

    Returns (curve, replicates): ``curve`` has n, reps, power, its 95% Wilson interval and the
    mean estimate; ``replicates`` has one row per virtual trial.
    """
    reps = reps or spec.power.reps
    seed = spec.seed if seed is None else seed
    method = method or spec.power.missing or spec.analysis.missing
    tasks = [(int(n), rep) for n in ns for rep in range(reps)]
    size = max(1, min(8, len(tasks) // max(1, 4 * jobs)))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    rows: list[dict] = []
    done = 0
    if jobs <= 1:
        for chunk in chunks:
            rows += _chunk((spec, chunk, seed, method))
            done += len(chunk)
            if progress is not None:
                progress(done, len(tasks))
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
            for chunk, out in zip(chunks, pool.map(_chunk, [(spec, c, seed, method) for c in chunks]), strict=True):
                rows += out
                done += len(chunk)
                if progress is not None:
                    progress(done, len(tasks))
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


def parse_range(text: str) -> list[int]:
    """'50:400:50' -> [50, 100, ..., 400] (inclusive); '100' -> [100]; '50,80' -> [50, 80]."""
    text = text.strip()
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            start, stop, step = parts[0], parts[1], parts[2] if len(parts) == 3 else 1
            if step <= 0 or stop < start:
                raise ValueError
            values = list(range(start, stop + 1, step))
        else:
            values = [int(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"--n must look like START:STOP:STEP (e.g. 50:400:50) or a comma list, got {text!r}") from None
    if not values or min(values) < 2:
        raise ValueError(f"--n: every n per arm must be >= 2, got {text!r}")
    return values
