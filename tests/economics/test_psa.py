"""Probabilistic sensitivity analysis: documented draws, common random numbers, reproducibility,
the posterior seam."""

import numpy as np
import pandas as pd
import pytest

from painsim.care import CareParams, CarePlan
from painsim.economics.psa import (
    PSA_PARAMETERS,
    apply_draw,
    draw_seed,
    psa_groups,
    psa_parameters,
    run_psa,
    sample_parameters,
    with_posterior_draws,
)
from painsim.economics.spec import EconomicsSpec
from painsim.engine import ModelParams

SPEC = EconomicsSpec()
MASSAGE = CarePlan.model_validate({"massage": {"schedule": {"count": 4, "every_days": 7}}})


def _sample(n, seed=1):
    return sample_parameters(n, seed, SPEC, ModelParams(), CareParams())


def test_every_parameter_has_a_group_a_distribution_and_a_reason():
    for p in psa_parameters(SPEC):
        assert p.group and p.reason and p.distribution in ("lognormal", "gamma", "beta", "normal") and p.spread > 0
    groups = psa_groups(SPEC)
    assert "utility mapping" in groups and groups["utility mapping"][0] == "utility.intercept"
    assert sum(map(len, groups.values())) == len(PSA_PARAMETERS) + 4


def test_draws_are_reproducible_centred_on_the_scenario_values_and_within_bounds():
    a, b = _sample(4000), _sample(4000)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(_sample(4000, seed=2))
    means = a.mean()
    assert means["care.massage_nociception"] == pytest.approx(CareParams().massage_nociception, rel=0.03)
    assert means["economics.health_care.visit_cost"] == pytest.approx(SPEC.health_care.visit_cost, rel=0.03)
    assert means["economics.productivity.employment_rate"] == pytest.approx(0.6, rel=0.03)
    assert a["utility.intercept"].max() <= 1.0
    assert (a["model.tissue_floor"] <= 1.0).all()
    assert (a.drop(columns=[c for c in a if "utility" in c]) >= 0).all().all()


def test_a_draw_sets_model_care_and_economic_parameters():
    row = _sample(1).iloc[0].to_dict()
    model, care, spec = apply_draw(row, ModelParams(), CareParams(), SPEC)
    assert model.reinjury_rate == row["model.reinjury_rate"]
    assert care.massage_decay == row["care.massage_decay"]
    assert spec.health_care.visit_cost == row["economics.health_care.visit_cost"]
    assert spec.utility.coefficients["odi"] == row["utility.odi"]
    with pytest.raises(ValueError, match="unknown PSA parameter"):
        apply_draw({"nope.x": 1.0}, ModelParams(), CareParams(), SPEC)


def test_arms_of_a_draw_share_their_random_numbers_and_draws_differ(chronic_small):
    cohort = chronic_small.subset(slice(0, 120))
    arms = {"a": MASSAGE, "a_again": MASSAGE, "none": CarePlan()}
    out = run_psa(cohort, 60, arms, SPEC, model=ModelParams(), care_params=CareParams(), perspective="payer",
                  n_draws=3, seed=5)
    assert out.costs.shape == (3, 3)
    assert np.array_equal(out.costs[:, 0], out.costs[:, 1]) and np.array_equal(out.qalys[:, 0], out.qalys[:, 1])
    assert np.unique(out.qalys[:, 2]).size == 3
    again = run_psa(cohort, 60, arms, SPEC, model=ModelParams(), care_params=CareParams(), perspective="payer",
                    n_draws=3, seed=5)
    assert np.array_equal(out.costs, again.costs) and np.array_equal(out.qalys, again.qalys)
    frame = out.to_frame()
    assert len(frame) == 9 and {"draw", "arm", "cost", "qalys", "care.massage_decay"} <= set(frame)


def test_given_draws_are_used_as_they_are(chronic_small):
    """The seam a posterior will use: rows of parameter values instead of the sampler's."""
    cohort = chronic_small.subset(slice(0, 60))
    given = pd.DataFrame({"economics.health_care.visit_cost": [0.0, 1000.0]})
    out = run_psa(cohort, 30, {"none": CarePlan()}, SPEC, model=ModelParams(), care_params=CareParams(),
                  perspective="payer", n_draws=0, seed=1, draws=given)
    pd.testing.assert_frame_equal(out.parameters, given)
    assert out.costs[1, 0] > out.costs[0, 0]


def test_posterior_draws_replace_the_model_and_care_draws_and_refuse_unknown_names():
    spec, model, care = EconomicsSpec(), ModelParams(), CareParams()
    sets = pd.DataFrame({"heal_rate": [0.4, 0.6, 0.5], "massage_inhibition": [0.1, 0.2, 0.3]})
    draws = with_posterior_draws(sets, 3, spec, model, care)
    assert draws["model.heal_rate"].tolist() == [0.4, 0.6, 0.5]
    assert draws["care.massage_inhibition"].tolist() == [0.1, 0.2, 0.3]
    others = sample_parameters(3, 3, spec, model, care).drop(columns=["care.massage_inhibition"])
    pd.testing.assert_frame_equal(draws[others.columns], others)  # the rest as the PSA draws them
    with pytest.raises(ValueError, match="'wage' is neither a model nor a care parameter"):
        with_posterior_draws(pd.DataFrame({"wage": [1.0]}), 3, spec, model, care)


def test_draw_seeds_differ_between_draws_and_are_int64():
    seeds = {draw_seed(1, i) for i in range(100)}
    assert len(seeds) == 100 and all(0 <= s < 2**63 for s in seeds)
