"""Random-effects meta-analysis (REML) with k = 10 .. 10,000 studies: painsim against
statsmodels, PyMARE and metafor, as ratios measured in the same run.

Every tool fits the same simulated data (``yi ~ N(0.3, vi + 0.02)``, ``vi ~ U(0.01, 0.1)``):

* painsim: ``rma(yi, vi, method="REML", compute_ci=False)`` (what metafor's ``rma()``
  computes) and, as a second figure, the default ``rma`` that adds the Q-profile CI of tau^2;
* statsmodels: ``combine_effects(yi, vi, method_re="iterated")`` (statsmodels has no REML;
  "iterated" is its Paule-Mandel estimator, the closest it offers);
* PyMARE: ``VarianceBasedLikelihoodEstimator(method="REML").fit(y, v, X=1)``;
* metafor: ``rma(yi, vi, method="REML")`` timed inside R with ``proc.time()`` over repeats
  (R's start-up and the data transfer are not counted); a k whose single fit exceeds the
  time limit is reported as a lower bound.

Each Python figure is the median of repeats that together take at least ``--min-time``
seconds (at least 3). Ratios are the other tool's time over painsim's (> 1: painsim is
faster). tau^2 of each tool is kept to show they estimate the same thing.

    python benchmarks/bench_meta.py           # k = 10, 100, 1,000, 10,000 (~1-2 min)
    python benchmarks/bench_meta.py --quick   # k = 10, 100 (smoke)
    python benchmarks/bench_meta.py --operations   # painsim alone: every estimator, leave-one-out, ...
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import load, machine

R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); min_time <- as.numeric(args[2])
f <- rma(d$yi, d$vi, method = "REML")
times <- c(); total <- 0
while (length(times) < 3 && total < min_time || total < min_time) {
  t0 <- proc.time()[["elapsed"]]
  f <- rma(d$yi, d$vi, method = "REML")
  dt <- proc.time()[["elapsed"]] - t0
  times <- c(times, dt); total <- total + dt
  if (dt > min_time) break
}
cat(sprintf("%.9f %.12g %.12g %d %s\n", median(times), f$tau2, f$b[1], length(times),
            as.character(packageVersion("metafor"))))
"""


def _data(k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.1, k)
    yi = rng.normal(0.3, np.sqrt(vi + 0.02))
    return yi, vi


def _time(fn: Callable[[], object], min_time: float) -> tuple[float, int]:
    fn()  # warm-up (imports, caches)
    times: list[float] = []
    while len(times) < 3 or sum(times) < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if times[-1] > min_time and len(times) >= 1:
            break
    return statistics.median(times), len(times)


def _metafor(yi: np.ndarray, vi: np.ndarray, min_time: float, limit: float) -> dict[str, object]:
    if shutil.which("Rscript") is None:
        return {"error": "Rscript not found"}
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "d.csv", Path(tmp) / "t.R"
        np.savetxt(data, np.c_[yi, vi], delimiter=",", header="yi,vi", comments="", fmt="%.17g")
        script.write_text(R_SCRIPT)
        try:
            out = subprocess.run(["Rscript", str(script), str(data), str(min_time)], check=True,
                                 capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return {"seconds_lower_bound": limit, "timed_out": True}
        except subprocess.CalledProcessError as err:
            return {"error": err.stderr.strip()[-300:]}
    sec, tau2, mu, n, version = out.stdout.split()
    return {"seconds": float(sec), "tau2": float(tau2), "estimate": float(mu), "repeats": int(n),
            "version": version}


def run(ks: list[int], min_time: float, r_limit: float) -> list[dict[str, object]]:
    """Time every tool at every k; one row per k."""
    import warnings

    from pymare.estimators import VarianceBasedLikelihoodEstimator
    from statsmodels.stats.meta_analysis import combine_effects

    from painsim.evidence import rma

    rows = []
    for k in ks:
        yi, vi = _data(k)
        ones = np.ones((k, 1))
        load_before = load()
        fit = rma(yi, vi, method="REML", compute_ci=False)
        ours, n_ours = _time(lambda y=yi, v=vi: rma(y, v, method="REML", compute_ci=False), min_time)
        ours_ci, _ = _time(lambda y=yi, v=vi: rma(y, v, method="REML"), min_time)
        sm = combine_effects(yi, vi, method_re="iterated")
        sm_t, _ = _time(lambda y=yi, v=vi: combine_effects(y, v, method_re="iterated"), min_time)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = VarianceBasedLikelihoodEstimator(method="REML")
            est.fit(y=yi[:, None], v=vi[:, None], X=ones)
            pm_tau2 = float(np.ravel(est.params_["tau2"])[0])
            pm_t, _ = _time(lambda y=yi, v=vi, X=ones: VarianceBasedLikelihoodEstimator(method="REML").fit(
                y=y[:, None], v=v[:, None], X=X), min_time)
        mf = _metafor(yi, vi, min_time, r_limit)
        mf_t = mf.get("seconds", mf.get("seconds_lower_bound"))
        rows.append({
            "k": k, "painsim_s": ours, "painsim_repeats": n_ours, "painsim_with_ci_s": ours_ci,
            "statsmodels_s": sm_t, "pymare_s": pm_t, "metafor_s": mf_t,
            "metafor_timed_out": bool(mf.get("timed_out", False)), "metafor": mf,
            "ratio_statsmodels": sm_t / ours, "ratio_pymare": pm_t / ours,
            "ratio_metafor": (mf_t / ours) if mf_t is not None else None,
            "tau2": {"painsim": fit.tau2, "statsmodels_pm": float(sm.tau2), "pymare": pm_tau2,
                     "metafor": mf.get("tau2")},
            "load_before": load_before, "load_after": load(),
        })
        print(f"k={k}: painsim {ours:.2e} s, statsmodels x{rows[-1]['ratio_statsmodels']:.1f}, "
              f"PyMARE x{rows[-1]['ratio_pymare']:.1f}, metafor x{rows[-1]['ratio_metafor'] or float('nan'):.1f}",
              flush=True)
    return rows


def tables(res: dict) -> str:
    """Markdown table of a result file of this benchmark."""
    out = ["| k | painsim REML (ms) | with Q-profile CI (ms) | statsmodels (ms) | PyMARE (ms) | metafor (ms) "
           "| × statsmodels | × PyMARE | × metafor | load avg (1 min) |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        gt = ">" if r["metafor_timed_out"] else ""
        mf = f"{gt}{r['metafor_s'] * 1e3:,.1f}" if r["metafor_s"] is not None else "n/a"
        rm = f"{gt}{r['ratio_metafor']:,.1f}" if r["ratio_metafor"] is not None else "n/a"
        out.append(f"| {r['k']:,} | {r['painsim_s'] * 1e3:.3f} | {r['painsim_with_ci_s'] * 1e3:.3f} "
                   f"| {r['statsmodels_s'] * 1e3:.3f} | {r['pymare_s'] * 1e3:.3f} | {mf} "
                   f"| {r['ratio_statsmodels']:.1f} | {r['ratio_pymare']:.1f} | {rm} | {r['load_before'][0]:.2f} |")
    out += ["", "tau² estimates (painsim / metafor / PyMARE / statsmodels Paule-Mandel):"]
    for r in res["rows"]:
        t = r["tau2"]
        mf = f"{t['metafor']:.8f}" if t["metafor"] is not None else "n/a"
        out.append(f"k = {r['k']:,}: {t['painsim']:.8f} / {mf} / {t['pymare']:.8f} / {t['statsmodels_pm']:.8f}  ")
    return "\n".join(out)


def operations(repeat: int = 5) -> None:
    """Median time of typical painsim.evidence operations (effect sizes, every tau^2 estimator
    with the Q-profile CI, leave-one-out, trim-and-fill, Egger's test, a forest plot)."""
    from painsim.evidence import METHODS, escalc, rma

    def time_it(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    print(f"{'operation':<34} {'k':>5} {'median s':>10}  (load {load()[0]:.2f})")
    for k in (10, 50, 200):
        rng = np.random.default_rng(1)
        n1, n2, m2 = rng.integers(20, 200, k), rng.integers(20, 200, k), rng.normal(5.0, 1.0, k)
        data = {"m1i": m2 + rng.normal(-0.4, 0.3, k), "sd1i": rng.uniform(1.0, 2.0, k), "n1i": n1,
                "m2i": m2, "sd2i": rng.uniform(1.0, 2.0, k), "n2i": n2}
        es = escalc("SMD", data)
        rows: list[tuple[str, Callable[[], object]]] = [("escalc SMD", lambda d=data: escalc("SMD", d))]
        for method in METHODS:
            rows.append((f"rma {method} + Q-profile CI", lambda m=method, e=es: rma(e, method=m)))
        fit = rma(es, method="REML")
        rows += [("leave1out REML", fit.leave1out), ("trimfill REML", fit.trimfill), ("regtest REML", fit.regtest)]
        if k <= 50:
            import matplotlib.pyplot as plt

            from painsim.evidence.plots import forest_plot

            rows.append(("forest plot (render)", lambda f=fit: plt.close(forest_plot(f))))
        for name, fn in rows:
            print(f"{name:<34} {k:>5} {time_it(fn):>10.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="k = 10 and 100 only (smoke run)")
    parser.add_argument("--min-time", type=float, default=0.3, help="seconds of repeats per figure")
    parser.add_argument("--r-limit", type=float, default=60.0, help="seconds allowed to one metafor call")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "meta.json")
    parser.add_argument("--operations", action="store_true", help="painsim's own operations (no comparison)")
    args = parser.parse_args()
    if args.operations:
        operations()
        return
    ks = [10, 100] if args.quick else [10, 100, 1_000, 10_000]
    rows = run(ks, 0.05 if args.quick else args.min_time, args.r_limit)
    res = {"machine": machine(), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(tables(res))


if __name__ == "__main__":
    main()
