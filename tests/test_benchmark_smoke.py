"""The benchmarks stay runnable: a tiny run of each (no timing is asserted).

The comparisons need the ``bench`` dependency group (``pip install -e '.[bench]'``); the
tests that need it are skipped without it. The metafor column needs R with metafor.
"""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def _run(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH / script), *args],
                          check=True, capture_output=True, text=True, timeout=timeout)


def _needs(*modules: str) -> None:
    for m in modules:
        if importlib.util.find_spec(m) is None:
            pytest.skip(f"{m} not installed (bench dependency group)")


def test_engine_benchmark_quick_run(tmp_path):
    out = tmp_path / "engine.json"
    _run("bench_engine.py", "--quick", "--out", str(out))
    res = json.loads(out.read_text())
    rows = res["rows"]
    assert [r["n"] for r in rows] == [1000, 10000]
    assert all(r["patient_days_per_s"] > 0 and r["peak_rss_mib"] > 0 for r in rows)
    assert all(len(r["load_before"]) == 3 for r in rows)
    baseline = res["baseline"]["rows"]
    assert [r["care"] for r in baseline] == ["no care", "massage + exercise + sleep + education"]
    # each case ran in its own process(es), and engine and baseline kernels gave the same summaries
    assert all(r["identical"] and r["processes"] == len(r["runs"]) == 1 for r in baseline)
    assert all(r["ratio_min"] <= r["ratio"] <= r["ratio_max"] and r["pooled"] > 0 for r in baseline)
    sol = res["speed_of_light"]
    assert sol["ns_per_patient_day"] > 0 and sol["ratio_kernel_to_speed_of_light"] > 0
    if res["mesa"] is not None:  # mesa installed
        assert all(r["ratio_1_thread"] > 0 for r in res["mesa"]["rows"])
        agree = res["mesa"]["agreement"]
        # same equations, same patients, different random streams: the cohort means agree to noise
        assert agree["max_abs_diff_painsim_vs_mesa"] < 0.5


def test_vector_benchmark_quick_run(tmp_path):
    out = tmp_path / "vector.json"
    _run("bench_vector.py", "--quick", "--out", str(out), timeout=600)
    res = json.loads(out.read_text())
    k = res["kernels"]
    assert k["identical_vmath_vector"]
    assert set(k["per_s"]) == {"scalar (libm)", "scalar (vmath)", "vector"} and min(k["per_s"].values()) > 0
    assert res["speed_of_light"]["ns_per_patient_day"] > 0
    assert res["end_to_end"]["build_s"] > 0 and res["end_to_end"]["task_follow_up_per_s"] > 0
    a = res["agreement"]
    assert 0.0 <= a["same_responder_class"] <= 1.0 and set(a["arms"]) == {"no care", "massage"}
    c = res["calibration_task"]
    assert c["targets"] > 20 and c["seconds_per_evaluation"] > 0 and 0 < c["kernel_share_of_wall"] < 1
    assert c["patient_days"]["screening"] > 0 and c["patient_days"]["follow-up"] > 0
    assert c["task_rate_per_s"] < c["kernel_rate_per_s"]  # the kernel calls are part of the task
    sys.path.insert(0, str(BENCH))
    try:
        from bench_vector import tables
    finally:
        sys.path.remove(str(BENCH))
    assert "vector speed of light" in tables(res) and "A calibration task" in tables(res)


def test_mesa_model_follows_painsim():
    _needs("mesa")
    sys.path.insert(0, str(BENCH))
    try:
        from mesa_model import run_mesa
    finally:
        sys.path.remove(str(BENCH))
    import numpy as np

    import painsim as ps

    cohort = ps.Cohort.build("acute", n=400, seed=3)
    mesa_pain, _, _ = run_mesa(cohort, 40, seed=3)
    ours = ps.simulate(cohort, 40, ps.Record.summaries()).daily()["pain_mean"].to_numpy()
    assert mesa_pain.shape == ours.shape
    assert np.max(np.abs(mesa_pain - ours)) < 0.5
    assert ours[-1] < ours[0] and mesa_pain[-1] < mesa_pain[0]  # acute pain falls in both


def test_meta_benchmark_quick_run(tmp_path):
    _needs("pymare", "statsmodels")
    out = tmp_path / "meta.json"
    _run("bench_meta.py", "--quick", "--out", str(out))
    rows = json.loads(out.read_text())["rows"]
    assert [r["k"] for r in rows] == [10, 100]
    for r in rows:
        assert r["painsim_s"] > 0 and r["ratio_pymare"] > 0 and r["ratio_statsmodels"] > 0
        if shutil.which("Rscript") and r["tau2"]["metafor"] is not None:
            assert r["tau2"]["painsim"] == pytest.approx(r["tau2"]["metafor"], rel=1e-6, abs=1e-10)


def test_sweep_benchmark_quick_run(tmp_path):
    _needs("dask", "distributed")
    out = tmp_path / "sweep.json"
    _run("bench_sweep.py", "--quick", "--out", str(out))
    res = json.loads(out.read_text())
    assert res["tasks"] == 8 and res["identical_results"]
    assert res["speedup"] > 0


def test_run_all_renders_docs(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    results = tmp_path / "results"
    results.mkdir()
    engine = {"rows": [{"n": 10, "days": 2, "patient_days_per_s": 1e6, "ratio_to_aim_1_thread": 0.2,
                        "per_s_2_threads": 2e6, "speedup_2_threads": 2.0, "peak_rss_mib": 100,
                        "load_before": [1, 1, 1]}],
              "mesa": None, "million_5y": None,
              "speed_of_light": {"counts": {"exp": 3}, "ns_per_op": {"exp": 4.0}, "ns_per_patient_day_by_class":
                                 {"exp": 12.0}, "ns_per_patient_day": 12.0, "kernel_best_row_n": 10,
                                 "kernel_ns_per_patient_day_1_thread": 24.0, "ratio_kernel_to_speed_of_light": 2.0,
                                 "patient_days_per_s": 8e7, "load_before": [1, 1, 1]}}
    meta = {"rows": [{"k": 10, "painsim_s": 1e-3, "painsim_with_ci_s": 2e-3, "statsmodels_s": 1e-3, "pymare_s": 2e-3,
                      "metafor_s": None, "metafor_timed_out": False, "ratio_statsmodels": 1.0, "ratio_pymare": 2.0,
                      "ratio_metafor": None, "load_before": [1, 1, 1],
                      "tau2": {"painsim": 0.1, "statsmodels_pm": 0.1, "pymare": 0.1, "metafor": None}}]}
    sweep = {"tasks": 2, "patients_per_task": 10, "days": 2, "speedup": 1.5, "identical_results": True,
             **{key: {"workers": w, "seconds": 1.0, "tasks_per_s": 2.0, "patient_days_per_s": 40.0,
                      "load_before": [1, 1, 1]} for key, w in (("one_worker", 1), ("two_workers", 2))}}
    run_info = {"started": "t0", "finished": "t1", "quick": True, "load_start": [1, 1, 1], "load_end": [1, 1, 1],
                "machine": {"cpu": "cpu", "cores": 2, "memory_gib": 1, "system": "s", "machine": "m", "python": "3"}}
    for name, obj in (("engine", engine), ("meta", meta), ("sweep", sweep), ("run", run_info)):
        (results / f"{name}.json").write_text(json.dumps(obj))
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nkept text\n")
    run_all.write_docs(doc, run_all.render(results))
    run_all.write_docs(doc, run_all.render(results))  # idempotent: replaces its own section
    text = doc.read_text()
    assert text.count(run_all.START) == 1 and "kept text" in text and "speed-of-light" in text
