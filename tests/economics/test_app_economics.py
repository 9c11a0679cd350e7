"""The "is it worth it?" use case (painsim.app.economics): behaviour on small cohorts."""

import numpy as np
import pandas as pd
import pytest

from painsim.app import AppInputError
from painsim.app.economics import check_cea, run_and_store_cea, run_cea
from painsim.economics.cea import EconomicsInputError
from painsim.economics.discounting import DAYS_PER_YEAR, annuity_factor
from painsim.limits import LimitError
from painsim.scenario import parse_scenario

TEXT = """name = "small_cea"
n = 80
seed = 4
horizon_days = 90
[population]
entry = "chronic"
chronic_min_days = 90
[arms.no_care]
[arms.massage_weekly]
massage = { schedule = { count = 6, every_days = 7 } }
[arms.massage_few]
massage = { schedule = { count = 2, every_days = 7 } }
"""


def _scenario(extra: str = ""):
    return parse_scenario(TEXT + extra, "small.toml")


@pytest.fixture(scope="module")
def analysed():
    return run_cea(_scenario(), psa=4, wtp="0:100000:10000")


def test_base_case_has_every_arm_with_costs_and_qalys(analysed):
    base = analysed.base
    assert list(base.index) == ["no_care", "massage_weekly", "massage_few"]
    assert (base["qalys"] > 0).all() and (base["qalys"] < 90 / DAYS_PER_YEAR).all()
    assert base.loc["no_care", "cost_care"] == 0
    assert base.loc["massage_weekly", "cost_care"] > base.loc["massage_few", "cost_care"] > 0
    assert set(analysed.table.frontier) <= set(base.index) and analysed.table.frontier


def test_discounting_lowers_totals_and_zero_rates_change_nothing(analysed):
    base = analysed.base
    assert (base["qalys"] < base["qalys_undiscounted"]).all()
    assert (base["cost"] < base["cost_undiscounted"]).all()
    flat = run_cea(_scenario("[economics.discount]\ncosts = 0.0\neffects = 0.0\n")).base
    assert np.allclose(flat["qalys"], flat["qalys_undiscounted"])
    assert np.allclose(flat["cost"], flat["cost_undiscounted"])


def test_a_constant_utility_is_discounted_by_the_closed_form_factor():
    """A mapping with utility 0.8 whatever the pain: QALYs = 0.8 x annuity factor / 365.25."""
    extra = ('[economics.utility]\nmapping = "linear_rmdq_nrs"\n'
             'coefficients = { intercept = 0.8, rmdq = 0.0, back_pain = 0.0 }\n'
             '[economics.discount]\neffects = 0.05\n')
    base = run_cea(_scenario(extra)).base
    assert np.allclose(base["qalys"], 0.8 * annuity_factor(90, 0.05) / DAYS_PER_YEAR, rtol=1e-12)
    assert np.allclose(base["qalys_undiscounted"], 0.8 * 90 / DAYS_PER_YEAR, rtol=1e-12)


def test_societal_costs_are_at_least_the_payer_costs(analysed):
    societal = run_cea(_scenario(), perspective="societal").base
    assert (societal["cost"] >= analysed.base["cost"]).all()
    assert np.allclose(societal["qalys"], analysed.base["qalys"])


def test_the_same_seed_gives_the_same_analysis(analysed):
    again = run_cea(_scenario(), psa=4, wtp="0:100000:10000")
    assert again.summary() == analysed.summary()
    assert np.array_equal(again.psa.costs, analysed.psa.costs)


def test_psa_gives_curves_over_the_grid(analysed):
    assert analysed.ceac.shape == (11, 3)
    assert np.allclose(analysed.ceac.sum(axis=1), 1.0)
    assert analysed.evpi.shape == (11,) and (analysed.evpi >= 0).all()
    summary = analysed.summary()
    assert summary["psa"]["draws"] == 4 and summary["disclaimer"]
    assert [d["wtp"] for d in summary["psa"]["decision"]] == [20000.0, 50000.0, 100000.0]


def test_the_analysis_is_stored_with_its_tables(tmp_path):
    result = run_and_store_cea(_scenario(), TEXT, store=tmp_path / "store", psa=2, wtp="0:50000:25000")
    from painsim.store import Store

    run = Store(tmp_path / "store").get(result.run_id)
    assert {"cea_arms", "cea_incremental", "cea_psa", "cea_curves"} <= set(run.tables)
    assert run.summary["run_id"] == result.run_id and run.metadata["meta"]["kind"] == "cea"


@pytest.mark.parametrize(("options", "error", "field"), [
    ({"wtp": "100:0:10"}, EconomicsInputError, "--wtp"),
    ({"wtp": ""}, EconomicsInputError, "--wtp"),
    ({"psa": 10**6}, LimitError, "--psa"),
    ({"n": 10_000_000}, LimitError, "--n"),
    ({"perspective": "patient"}, ValueError, "--perspective"),
])
def test_bad_options_are_refused_before_any_work(options, error, field):
    with pytest.raises(error, match=field):
        check_cea(_scenario(), store=False, **options)


def test_a_posterior_that_does_not_exist_is_refused_before_simulating(tmp_path):
    with pytest.raises(AppInputError, match="posterior 'abc'"):
        run_cea(_scenario(), posterior="abc", store=tmp_path / "store")


def test_posterior_draws_set_the_model_and_care_parameters_of_the_psa(tmp_path, monkeypatch):
    import painsim.app.posterior as posterior_module
    from painsim.app.posterior import StoredPosterior
    from painsim.calibration.model_version import model_version

    draws = pd.DataFrame({"massage_nociception": [0.15, 0.35], "heal_rate": [0.5, 0.7]})
    post = StoredPosterior("p", "t", draws, np.array([0.5, 0.5]), pd.DataFrame(),
                           {"massage_nociception": (0.1, 0.45, False), "heal_rate": (0.2, 0.8, False)}, [], None,
                           model_version())
    monkeypatch.setattr(posterior_module, "load_posterior", lambda ref, store=None: post)
    result = run_cea(_scenario(), posterior="p", psa=6, n=20, wtp="0:40000:20000")
    sets = result.psa.parameters
    assert len(sets) == 6 and set(sets["care.massage_nociception"]) == {0.15, 0.35}
    assert set(sets["model.heal_rate"]) == {0.5, 0.7}
    assert sets["economics.health_care.visit_cost"].nunique() == 6  # economic parameters still vary


def test_evppi_per_parameter_group_with_enough_draws_and_a_reason_without():
    few = run_cea(_scenario(), psa=4, n=20, wtp="0:40000:20000")
    assert not few.evppi and "at least" in few.evppi_notes["massage effect"]
    many = run_cea(_scenario(), psa=200, n=20, wtp="0:40000:20000", evppi_groups=["other health care", "attendance"])
    assert set(many.evppi) == {"other health care", "attendance"}
    for values in many.evppi.values():
        assert values.shape == (3,) and (values >= 0).all() and (values <= many.evpi + 1e-9).all()
