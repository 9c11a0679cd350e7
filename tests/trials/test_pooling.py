"""Pooling virtual trials: the numbers a reviewer would extract, and heterogeneity from design."""

import numpy as np
import pytest

from painsim.evidence import escalc, rma
from painsim.trials import VirtualTrial, parse_trial, pool_trials

SPEC = """
seed = {seed}
[population]
entry = "chronic"
[eligibility]
min_pain = 3
[arms.massage]
n = {n}
massage = {{ schedule = {{ count = {count}, every_days = 7 }} }}
[arms.control]
n = {n}
usual_care = {{}}
[randomisation]
scheme = "complete"
[visits]
weeks = [10]
[analysis]
comparators = ["control"]
missing = "complete_case"
"""


def trial(seed: int, count: int = 10, n: int = 60, label: str = "") -> VirtualTrial:
    return VirtualTrial(parse_trial(SPEC.format(seed=seed, n=n, count=count)), "massage", "control",
                        label=label or f"seed {seed}")


def test_extracted_numbers_and_pooled_fit_equal_a_direct_computation():
    trials = [trial(1), trial(2), trial(3)]
    pooled = pool_trials(trials, outcome="rmdq", week=10, measure="SMD")
    for row, result in zip(pooled.table.itertuples(), pooled.results, strict=True):
        data = result.data
        seen = data.frame[data.frame["observed_10"]]
        massage = seen.loc[seen.arm == "massage", "rmdq_10"]
        assert row.m1i == pytest.approx(massage.mean()) and row.sd1i == pytest.approx(massage.std(ddof=1))
        assert row.n1i == massage.size
    direct = rma(escalc("SMD", pooled.table[["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]]), method="REML")
    assert pooled.fit.estimate == pytest.approx(direct.estimate, rel=1e-12)
    assert pooled.fit.tau2 == pytest.approx(direct.tau2, abs=1e-12)
    assert list(pooled.fit.labels) == ["seed 1", "seed 2", "seed 3"]


def test_adjusted_differences_pool_by_inverse_variance():
    pooled = pool_trials([trial(4), trial(5)], measure="ADJ", method="FE")
    w = 1.0 / pooled.table["md_se"].to_numpy() ** 2
    assert pooled.fit.estimate == pytest.approx(np.sum(w * pooled.table["md"]) / np.sum(w), rel=1e-10)
    assert pooled.fit.estimate < 0  # massage lowers the RMDQ


def test_heterogeneity_comes_from_design_not_from_replication():
    # 200 a group, pain at 10 weeks: the design contrast (10 weekly sessions, or 1 weeks before
    # the visit) must stand out of each trial's sampling error
    def design(seed: int, count: int = 10) -> VirtualTrial:
        return trial(seed, count=count, n=200)

    same = pool_trials([design(seed) for seed in range(10, 16)], outcome="pain")
    mixed = pool_trials([design(10), design(11), design(12), design(13, count=1), design(14, count=1),
                         design(15, count=1)], outcome="pain")
    assert same.fit.q_p > 0.05
    assert mixed.fit.q_p < 0.05 and mixed.fit.i2 > 50
    assert mixed.fit.tau2 > same.fit.tau2 + 0.01
    few = mixed.table.iloc[3:]
    many = mixed.table.iloc[:3]
    assert few["md"].mean() > many["md"].mean() + 0.5  # 1 session, weeks ago: smaller benefit


def test_bad_requests_are_refused_clearly():
    spec = trial(1).spec
    with pytest.raises(ValueError, match="unknown comparator 'sham'; arms: massage, control"):
        VirtualTrial(spec, "massage", "sham")
    with pytest.raises(ValueError, match="no visit at week 26"):
        pool_trials([trial(1), trial(2)], week=26)
    with pytest.raises(ValueError, match="at least 2 trials"):
        pool_trials([trial(1)])
    with pytest.raises(ValueError, match="unknown measure 'OR'"):
        pool_trials([trial(1), trial(2)], measure="OR")
