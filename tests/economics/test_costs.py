"""Costs by perspective, per module and per patient, on small simulated arms."""

import numpy as np
import pytest

from painsim.care import CarePlan
from painsim.economics.arms import exposure, outcome, simulate_exposures
from painsim.economics.costs import (
    PERSPECTIVE_COMPONENTS,
    billed_care_cost,
    care_costs_by_module,
    health_care_cost_per_day,
    perspective_total,
    productivity_cost_per_disabled_day,
)
from painsim.economics.spec import EconomicsSpec, HealthCareSpec, ProductivitySpec
from painsim.engine import Record, simulate

HORIZON = 120


def _plan(**care):
    return CarePlan.model_validate(care)


@pytest.fixture(scope="module")
def combined(chronic_small):
    plan = _plan(massage={"schedule": {"count": 6, "every_days": 7}},
                 exercise={"weeks": 6, "sessions_per_week": 2}, sleep_stress={"weeks": 4},
                 education={"schedule": {"count": 2, "every_days": 7}})
    return simulate(chronic_small, HORIZON, Record.daily("pain", "disability"), care=plan)


def test_undiscounted_module_costs_add_up_to_what_the_kernel_billed(combined):
    modules = care_costs_by_module(combined, 0.0)
    assert set(modules) == {"massage", "exercise", "sleep_stress", "education"}
    total = sum(modules.values())
    assert np.allclose(total, billed_care_cost(combined), rtol=1e-12, atol=1e-9)
    assert total.sum() > 0


def test_discounting_lowers_care_costs_of_sessions_after_day_zero(combined):
    plain = sum(care_costs_by_module(combined, 0.0).values())
    discounted = sum(care_costs_by_module(combined, 0.2).values())
    paid = plain > 0
    assert np.all(discounted[paid] < plain[paid])
    assert np.all(discounted[paid] > 0.9 * plain[paid])  # 120 days at 20% a year loses < 7%


def test_more_sessions_cost_more(chronic_small):
    arms = {"few": _plan(massage={"schedule": {"count": 3, "every_days": 7}}),
            "many": _plan(massage={"schedule": {"count": 9, "every_days": 7}})}
    exp = simulate_exposures(chronic_small, HORIZON, arms, EconomicsSpec())
    few, many = (outcome(exp[a], EconomicsSpec()).costs["care"].mean() for a in ("few", "many"))
    assert many > few > 0


def test_societal_cost_is_at_least_the_payer_cost(combined):
    spec = EconomicsSpec()
    out = outcome(exposure(combined, spec), spec)
    payer, societal = out.total_cost("payer"), out.total_cost("societal")
    assert np.all(societal >= payer)
    assert societal.sum() > payer.sum()  # someone is disabled at RMDQ >= 12 in a chronic cohort
    assert set(PERSPECTIVE_COMPONENTS["payer"]) < set(PERSPECTIVE_COMPONENTS["societal"])


def test_other_health_care_is_charged_on_days_in_pain(combined):
    spec = EconomicsSpec(discount={"costs": 0.0, "effects": 0.0})
    out = outcome(exposure(combined, spec), spec)
    days_in_pain = (combined.trajectories["pain"] >= spec.health_care.pain_threshold).sum(axis=0)
    assert np.allclose(out.costs["health_care"], days_in_pain * health_care_cost_per_day(spec.health_care))


def test_unit_cost_formulas():
    hc = HealthCareSpec(visits_per_year=36.525, visit_cost=100, imaging_per_year=0, medication_cost_per_day=1)
    assert health_care_cost_per_day(hc) == pytest.approx(11.0)
    pr = ProductivitySpec(daily_wage=140, employment_rate=0.5, working_days_per_week=5)
    assert productivity_cost_per_disabled_day(pr) == pytest.approx(50.0)


def test_unknown_perspective_is_named():
    with pytest.raises(ValueError, match="payer, societal"):
        perspective_total({"care": np.zeros(1)}, "patient")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("health_care.visit_cost", -1.0, "greater than or equal to 0"),
    ("health_care.medication_cost_per_day", float("nan"), "finite"),
    ("discount.costs", 0.25, "less than or equal to 0.2"),
    ("utility.mapping", "nope", "carreon_odi_nrs"),
    ("utility.coefficients", {"intercept": 1.3}, "must lie in"),
    ("currency", "dollars", "pattern"),
])
def test_bad_economics_fields_are_refused_naming_the_field(field, value, message):
    from painsim.scenario import ScenarioError, parse_scenario

    head, _, key = field.rpartition(".")
    table = f"[economics.{head}]" if head else "[economics]"
    literal = {float: lambda v: "nan" if v != v else repr(v), str: lambda v: f'"{v}"',
               dict: lambda v: "{ " + ", ".join(f"{k} = {x}" for k, x in v.items()) + " }"}[type(value)](value)
    text = f'n = 10\nhorizon_days = 30\n[arms.a]\n{table}\n{key} = {literal}\n'
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "bad.toml")
    where = f"economics.{field}" if key != "coefficients" else "economics.utility (line 4): coefficients:"
    assert where in str(err.value)
    assert message in str(err.value)


def test_summing_patients_in_blocks_changes_nothing(combined, monkeypatch):
    from painsim.economics import arms

    whole = exposure(combined, EconomicsSpec())
    monkeypatch.setattr(arms, "CHUNK_PATIENTS", 7)
    blocks = exposure(combined, EconomicsSpec())
    for name in ("pain", "disability", "days_in_pain", "days_disabled", "pain_0", "days_disabled_0"):
        assert np.allclose(getattr(blocks, name), getattr(whole, name), rtol=1e-12, atol=0), name
