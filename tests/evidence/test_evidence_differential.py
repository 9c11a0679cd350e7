"""Differential test: random datasets fitted by painsim and by metafor (through Rscript).

Skipped, with the reason, when ``Rscript`` or the metafor package is not
installed.  Set ``PAINSIM_DIFF_CASES`` to change the number of datasets
(default 40) and ``PAINSIM_DIFF_SEED`` for the seed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from painsim.evidence import METHODS, ConvergenceError, escalc, rma
from painsim.evidence.diagnostics import regtest, trimfill

RTOL = 1e-6
ATOL = 1e-9
SCRIPT = Path(__file__).parent / "data" / "differential.R"


def _metafor_available() -> str | None:
    """Return a skip reason, or None when Rscript with metafor is usable."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found (install r-base-core and r-cran-metafor)"
    try:
        proc = subprocess.run(
            [rscript, "-e", "quit(status = !requireNamespace('metafor', quietly = TRUE))"],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:  # pragma: no cover - environment
        return f"Rscript not usable: {exc}"
    if proc.returncode != 0:
        return "R package metafor not installed (apt install r-cran-metafor)"
    return None


SKIP_REASON = _metafor_available()
pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")


def _random_case(rng: np.random.Generator, measure: str) -> pd.DataFrame:
    k = int(rng.integers(3, 26))
    tau2 = float(rng.choice([0.0, 0.02, 0.1, 0.4]))
    if measure == "GEN":
        vi = rng.uniform(0.005, 0.5, k)
        yi = rng.normal(rng.normal(0, 0.5), np.sqrt(vi + tau2))
        df = pd.DataFrame({"yi": yi, "vi": vi})
    elif measure in ("SMD", "MD"):
        n1 = rng.integers(4, 200, k)
        n2 = rng.integers(4, 200, k)
        sd1 = rng.uniform(0.5, 3.0, k)
        sd2 = sd1 * rng.uniform(0.6, 1.6, k)
        delta = rng.normal(rng.normal(0, 0.4), np.sqrt(tau2), k)
        m2 = rng.normal(10, 2, k)
        df = pd.DataFrame(
            {
                "m1i": np.round(m2 + delta * sd1, 3),
                "sd1i": np.round(sd1, 3),
                "n1i": n1,
                "m2i": np.round(m2, 3),
                "sd2i": np.round(sd2, 3),
                "n2i": n2,
            }
        )
    else:
        n1 = rng.integers(8, 300, k)
        n2 = rng.integers(8, 300, k)
        base = rng.uniform(0.02, 0.5, k)
        lor = rng.normal(rng.normal(-0.3, 0.4), np.sqrt(tau2), k)
        odds = base / (1 - base) * np.exp(lor)
        p1 = odds / (1 + odds)
        ai = rng.binomial(n1, p1)
        ci = rng.binomial(n2, base)
        df = pd.DataFrame({"ai": ai, "bi": n1 - ai, "ci": ci, "di": n2 - ci})
    df["x"] = np.round(rng.normal(0, 1, k), 4)
    return df


@pytest.fixture(scope="module")
def differential(tmp_path_factory):
    n_cases = int(os.environ.get("PAINSIM_DIFF_CASES", "40"))
    rng = np.random.default_rng(int(os.environ.get("PAINSIM_DIFF_SEED", "20240611")))
    case_dir = tmp_path_factory.mktemp("metafor_diff")
    manifest = []
    data = {}
    measures = ["GEN", "SMD", "MD", "RR", "OR", "RD"]
    for i in range(n_cases):
        measure = measures[i % len(measures)]
        df = _random_case(rng, measure)
        name = f"case{i:03d}.csv"
        df.to_csv(case_dir / name, index=False, float_format="%.17g")
        moderator = int(len(df) >= 6)
        manifest.append({"case": i, "measure": measure, "file": name, "moderator": moderator})
        data[i] = df
    pd.DataFrame(manifest).to_csv(case_dir / "manifest.csv", index=False)
    out = case_dir / "metafor.json"
    proc = subprocess.run(
        ["Rscript", str(SCRIPT), str(case_dir), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return data, json.loads(out.read_text())


def _close(actual, expected, what, errors):
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(
        np.asarray([np.nan if x is None else x for x in np.atleast_1d(expected)], dtype=float)
    )
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=what)
    mask = np.isfinite(e) & (np.abs(e) > ATOL)
    if mask.any():
        errors.append(float(np.max(np.abs(a[mask] - e[mask]) / np.abs(e[mask]))))


def test_differential_against_metafor(differential):
    data, ref = differential
    assert ref["metafor_version"].startswith("3.8")
    errors: list[float] = []
    compared = 0
    r_errors = 0
    for case in ref["cases"]:
        df = data[case["case"]]
        es = escalc(case["measure"], df)
        label = f"case {case['case']} ({case['measure']}, k={len(df)})"
        _close(es.yi, case["yi"], f"{label} yi", errors)
        _close(es.vi, case["vi"], f"{label} vi", errors)
        for method in METHODS:
            for test in ("z", "knha"):
                for suffix, mods in (("", None), ("_mod", {"x": df["x"].to_numpy()})):
                    key = f"{method}_{test}{suffix}"
                    if key not in case["fits"]:
                        continue
                    res = case["fits"][key]
                    what = f"{label} {key}"
                    if "error" in res:
                        r_errors += 1
                        with (
                            pytest.raises((ValueError, ConvergenceError)),
                            warnings.catch_warnings(),
                        ):
                            warnings.simplefilter("ignore")
                            rma(es, method=method, test=test, mods=mods)
                        continue
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fit = rma(es, method=method, test=test, mods=mods)
                    compared += 1
                    for attr in (
                        "beta",
                        "se",
                        "ci_lb",
                        "ci_ub",
                        "pval",
                        "tau2",
                        "i2",
                        "h2",
                        "q",
                        "q_p",
                        "qm",
                        "qm_p",
                    ):
                        _close(getattr(fit, attr), res[attr], f"{what} {attr}", errors)
                    if "tau2_ci_lb" in res:
                        _close(fit.tau2_ci.lower, res["tau2_ci_lb"], f"{what} tau2 lb", errors)
                        _close(fit.tau2_ci.upper, res["tau2_ci_ub"], f"{what} tau2 ub", errors)
                    if "pi_lb" in res:
                        _close(
                            np.nan if fit.pi_lb is None else fit.pi_lb,
                            res["pi_lb"],
                            f"{what} pi lb",
                            errors,
                        )
                        _close(
                            np.nan if fit.pi_ub is None else fit.pi_ub,
                            res["pi_ub"],
                            f"{what} pi ub",
                            errors,
                        )
        extra = case["extra"]
        if extra:
            base = rma(es, method="REML")
            if "regtest" in extra:
                rt = regtest(base)
                _close(rt.zval, extra["regtest"]["zval"], f"{label} Egger z", errors)
                _close(rt.pval, extra["regtest"]["pval"], f"{label} Egger p", errors)
            if "trimfill" in extra:
                tf = trimfill(base)
                assert tf.k0 == extra["trimfill"]["k0"], label
                assert tf.side == extra["trimfill"]["side"], label
                _close(tf.fit.estimate, extra["trimfill"]["estimate"], f"{label} TF est", errors)
                _close(tf.fit.se[0], extra["trimfill"]["se"], f"{label} TF se", errors)
    assert compared >= len(ref["cases"]) * 16 * 0.9
    print(
        f"\ndifferential: {len(ref['cases'])} datasets, {compared} model fits, "
        f"{r_errors} fits that metafor refused (painsim refused them too), "
        f"max relative error {max(errors):.3e}"
    )
