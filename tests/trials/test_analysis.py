import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from painsim.evidence import escalc
from painsim.trials import analyse
from painsim.trials.analysis import _rubin, responder


def _cell(data, outcome, week):
    frame = data.frame[data.frame[f"observed_{week}"]]
    return pd.DataFrame({"arm": frame["arm"], "baseline": frame[f"baseline_{outcome}"],
                         "value": frame[f"{outcome}_{week}"]})


@pytest.mark.parametrize("outcome", ["rmdq", "pain"])
def test_ancova_matches_statsmodels_formula_ols(three_arm_data, three_arm_cc, outcome):
    for week in (6, 12):
        cell = _cell(three_arm_data, outcome, week)
        cell["change"] = cell["value"] - cell["baseline"]
        fit = smf.ols("change ~ C(arm, Treatment(reference='usual_care')) + baseline", data=cell).fit()
        ci = fit.conf_int(alpha=0.05)
        for arm in ("massage", "sham"):
            name = f"C(arm, Treatment(reference='usual_care'))[T.{arm}]"
            row = three_arm_cc.comparisons.query(
                "outcome == @outcome and week == @week and arm == @arm and comparator == 'usual_care'").iloc[0]
            assert row.md == pytest.approx(fit.params[name], abs=1e-10)
            assert row.se == pytest.approx(fit.bse[name], abs=1e-10)
            assert row.ci_lb == pytest.approx(ci.loc[name, 0], abs=1e-10)
            assert row.ci_ub == pytest.approx(ci.loc[name, 1], abs=1e-10)
            assert row.p == pytest.approx(fit.pvalues[name], abs=1e-10)
            assert row.n_arm == (cell["arm"] == arm).sum()


def test_ancova_on_change_equals_ancova_on_follow_up(three_arm_data, three_arm_cc):
    cell = _cell(three_arm_data, "rmdq", 6)
    fit = smf.ols("value ~ C(arm, Treatment(reference='usual_care')) + baseline", data=cell).fit()
    row = three_arm_cc.comparisons.query("outcome == 'rmdq' and week == 6 and arm == 'massage'").iloc[0]
    assert row.md == pytest.approx(fit.params["C(arm, Treatment(reference='usual_care'))[T.massage]"], abs=1e-10)


def test_hedges_g_matches_escalc_and_the_formula(three_arm_data, three_arm_cc):
    for row in three_arm_cc.comparisons.itertuples():
        cell = _cell(three_arm_data, row.outcome, row.week)
        a = cell.loc[cell["arm"] == row.arm, "value"].to_numpy()
        c = cell.loc[cell["arm"] == row.comparator, "value"].to_numpy()
        es = escalc("SMD", m1i=[row.md], sd1i=[a.std(ddof=1)], n1i=[a.size], m2i=[0.0], sd2i=[c.std(ddof=1)],
                    n2i=[c.size])
        assert row.smd == pytest.approx(es.yi[0], abs=1e-12)
        m = a.size + c.size - 2
        j = math.exp(math.lgamma(m / 2) - math.log(math.sqrt(m / 2)) - math.lgamma((m - 1) / 2))
        sp = math.sqrt(((a.size - 1) * a.var(ddof=1) + (c.size - 1) * c.var(ddof=1)) / m)
        assert row.smd == pytest.approx(j * row.md / sp, rel=1e-12)
        assert row.smd_ci_lb < row.smd < row.smd_ci_ub


def test_responders_and_risk_differences(three_arm_data, three_arm_cc):
    resp = three_arm_cc.responders
    assert set(resp["threshold"]) == {0.3, 0.5}
    row = resp.query("outcome == 'pain' and week == 6 and threshold == 0.3 and arm == 'massage'").iloc[0]
    cell = _cell(three_arm_data, "pain", 6)
    improved = (cell["baseline"] - cell["value"]) >= 0.3 * cell["baseline"]
    pa = improved[cell["arm"] == "massage"].mean()
    pc = improved[cell["arm"] == "usual_care"].mean()
    assert row.p_arm == pytest.approx(pa) and row.p_comparator == pytest.approx(pc)
    se = math.sqrt(pa * (1 - pa) / row.n_arm + pc * (1 - pc) / row.n_comparator)
    assert row.rd == pytest.approx(pa - pc)
    assert row.ci_ub == pytest.approx(pa - pc + stats.norm.ppf(0.975) * se)
    # a 50% responder is a 30% responder
    frame = pd.DataFrame({"baseline_pain": [5.0, 5.0, 5.0, 0.0], "pain": [2.4, 3.5, 3.6, 0.0]})
    assert responder(frame, "pain", 0.5).tolist() == [True, False, False, False]
    assert responder(frame, "pain", 0.3).tolist() == [True, True, False, False]


def test_rubin_rules():
    q, u = [1.0, 1.2, 0.8, 1.1], [0.04, 0.05, 0.045, 0.05]
    est, se, df = _rubin(q, u, 100)
    b = np.var(q, ddof=1)
    total = np.mean(u) + (1 + 1 / 4) * b
    assert est == pytest.approx(1.025) and se == pytest.approx(math.sqrt(total))
    lam = (1 + 1 / 4) * b / total
    df_old = 3 / lam**2
    df_obs = 101 / 103 * 100 * (1 - lam)
    assert df == pytest.approx(1 / (1 / df_old + 1 / df_obs))
    assert _rubin([1.0, 1.0], [0.1, 0.1], 50) == (1.0, pytest.approx(math.sqrt(0.1)), 50)


def test_itt_methods_analyse_everyone(three_arm_data, three_arm_cc):
    mi = analyse(three_arm_data, method="mi")
    mixed = analyse(three_arm_data, method="mixed")
    keys = ["outcome", "week", "arm", "comparator"]
    for result in (mi, mixed):
        assert result.comparisons[keys].equals(three_arm_cc.comparisons[keys])
        assert np.all(result.comparisons["ci_lb"] < result.comparisons["md"])
        assert np.all(result.comparisons["md"] < result.comparisons["ci_ub"])
    allocated = three_arm_data.frame["arm"].value_counts()
    assert (mi.comparisons["n_arm"] == mi.comparisons["arm"].map(allocated)).all()
    assert (three_arm_cc.comparisons["n_arm"] < three_arm_cc.comparisons["arm"].map(allocated)).any()
    # the three analyses agree roughly on the same data
    diff = (mi.comparisons["md"] - three_arm_cc.comparisons["md"]).abs()
    assert (diff < 2 * three_arm_cc.comparisons["se"]).all()
    diff = (mixed.comparisons["md"] - three_arm_cc.comparisons["md"]).abs()
    assert (diff < 2 * three_arm_cc.comparisons["se"]).all()
    assert mi.flow["arms"]["massage"]["analysed"] == allocated["massage"]
    again = analyse(three_arm_data, method="mi")
    assert again.comparisons.equals(mi.comparisons)


def test_multiple_imputation_without_missing_visits_is_the_complete_case_analysis(three_arm_data):
    full = three_arm_data.frame.copy()
    for week in three_arm_data.weeks:
        full[f"observed_{week}"] = True
    data = type(three_arm_data)(spec=three_arm_data.spec, seed=three_arm_data.seed, frame=full,
                                flow=three_arm_data.flow)
    mi, cc = analyse(data, method="mi"), analyse(data, method="complete_case")
    for column in ("md", "se", "ci_lb", "ci_ub", "smd"):
        np.testing.assert_allclose(mi.comparisons[column], cc.comparisons[column], rtol=1e-12)


def test_flow_and_follow_up(three_arm_data):
    flow = three_arm_data.flow
    assert flow["randomised"] == flow["eligible"] == 120
    assert flow["screened"] == flow["eligible"] + flow["excluded"]
    assert sum(flow["excluded_reasons"].values()) >= flow["excluded"]
    frame = three_arm_data.frame
    for name, arm in flow["arms"].items():
        rows = frame[frame["arm"] == name]
        assert arm["allocated"] == len(rows)
        for week, n in arm["followed_up"].items():
            assert n + arm["not_followed_up"][week] == len(rows)
    assert flow["arms"]["usual_care"]["stopped_care"] == 0
    assert flow["arms"]["massage"]["stopped_care"] == frame.loc[frame["arm"] == "massage",
                                                                "care_dropout_day"].notna().sum()
    # everyone meets the eligibility criteria at baseline
    assert (frame["baseline_pain"] >= 4).all() and (frame["baseline_rmdq"] >= 3).all()


def test_care_dropout_drives_loss_to_follow_up(three_arm_spec):
    from painsim.trials.run import follow_up

    spec = three_arm_spec.model_copy(update={"follow_up": three_arm_spec.follow_up.model_copy(
        update={"loss_per_visit": 0.0, "missed_visit": 0.0, "loss_after_care_dropout": 1.0})})
    dropout = np.array([np.nan, 10.0, 50.0, 100.0])
    observed = follow_up(spec, 1, dropout)  # visits at weeks 6 (day 42) and 12 (day 84)
    assert observed.tolist() == [[True, True], [False, False], [True, False], [True, True]]


def test_plot_by_visit(three_arm_cc, tmp_path):
    path = tmp_path / "by_visit.png"
    three_arm_cc.plot(path)
    assert path.stat().st_size > 10_000
    means = three_arm_cc.means
    assert set(means["week"]) == {0, 6, 12}
    assert means.query("week == 0 and outcome == 'rmdq'")["n"].sum() == 120
