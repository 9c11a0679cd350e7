"""benchmarks/sbi_vs_abc.py (issue 16 item 1) stays runnable: a tiny NPE run on the toy.

sbi and torch are not painsim dependencies (benchmarks/requirements-sbi.txt installs them in a
separate venv); without sbi the test is skipped. No timing is asserted.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_datasets_and_analytic_posterior_match_abc_sbc():
    bench = _load("sbi_vs_abc")
    truth, observed = bench.dataset(3)
    rng = np.random.default_rng([2018, 3])  # as abc_sbc.mass_below_truth draws dataset 3
    expected_truth = rng.uniform(-4.0, 4.0)
    assert truth == pytest.approx(expected_truth)
    assert observed == pytest.approx(expected_truth + 0.2 * rng.normal())
    mean, sd = bench.analytic_posterior(0.7)
    assert mean == pytest.approx(0.7, abs=1e-9) and sd == pytest.approx(0.2, abs=1e-9)
    mean, sd = bench.analytic_posterior(3.9)  # truncation at the prior's edge pulls it in
    assert mean < 3.9 and sd < 0.2


def test_npe_tiny_run_recovers_the_toy_posterior():
    pytest.importorskip("sbi")
    bench = _load("sbi_vs_abc")
    row = bench.measure_npe(400, 10, "maf", seed=0, samples=200, threads=1)
    assert row["simulations_all_datasets"] == 400 and row["amortised"]
    assert sum(row["rank_histogram_10_bins"]) == 10
    assert row["coverage_90"] >= 0.6
    assert abs(row["fixed_observation"]["mean_error"]) < 0.15
    assert abs(row["fixed_observation"]["sd_error"]) < 0.1
