"""The patient page's twins, simulated by the application layer (painsim.app.simulate_twins)."""

import pytest

from painsim import app
from painsim.care import CarePlan, Massage, Schedule

PROFILE = {"pain_sensitivity": 0.5, "catastrophizing": 0.85, "self_efficacy": 0.4}


def test_twins_give_a_fan_chart_loop_strengths_and_responder_classes():
    stages = []
    twins = app.simulate_twins(PROFILE, CarePlan(massage=Massage()), twins=30, horizon_days=200, seed=4,
                               progress=lambda stage, done, total: stages.append(stage))
    assert twins.twins == 30 and len(twins.weeks) == len(twins.fan["p50"]) == len(twins.examples[0])
    assert all(lo <= mid <= hi for lo, mid, hi in zip(twins.fan["p5"], twins.fan["p50"], twins.fan["p95"],
                                                         strict=True))
    assert [loop["name"] for loop in twins.loops] == ["wind_up", "sleep", "fear_avoidance", "strain", "guarding"]
    assert set(twins.strongest_loops) == {loop["name"] for loop in twins.loops if loop["highlighted"]}
    assert pytest.approx(sum(c["share"] for c in twins.responder_classes.values()), abs=1e-3) == 1
    assert twins.sessions_attended_mean is not None and "last session on day 63" in twins.responder_note
    assert stages[0] == "finding chronic twins" and stages[-1] == "switching off loop guarding"


def test_the_same_seed_gives_the_same_twins_and_the_web_page_shows_exactly_them():
    from painsim.web.patient import PatientRequest, Profile, simulate_patient, trait_medians

    plan, profile = CarePlan(massage=Massage()), Profile(catastrophizing=0.85)
    medians = trait_medians(profile)
    twins = app.simulate_twins(medians, plan, twins=20, horizon_days=120, seed=7)
    assert app.simulate_twins(medians, plan, twins=20, horizon_days=120, seed=7) == twins
    assert app.simulate_twins(medians, plan, twins=20, horizon_days=120, seed=8) != twins
    page = simulate_patient(PatientRequest(twins=20, horizon_days=120, seed=7, plan=plan, profile=profile))
    assert page == twins.to_json()


def test_without_a_visit_treatment_there_are_no_responder_classes():
    twins = app.simulate_twins(PROFILE, CarePlan(), twins=20, horizon_days=60, seed=1)
    assert twins.responder_classes is None and "massage" in twins.responder_note
    assert "sessions_attended_mean" not in twins.to_json()


def test_a_plan_beyond_the_horizon_is_refused_before_simulating():
    late = CarePlan(massage=Massage(schedule=Schedule(count=10, every_days=7)))
    calls = []
    with pytest.raises(app.AppInputError, match=r"^plan\.massage: a session is scheduled on day 63, outside the "
                                                r"horizon of 40 days .*horizon_days \(40\) must go beyond"):
        app.simulate_twins(PROFILE, late, twins=20, horizon_days=40, progress=lambda *a: calls.append(a))
    assert calls == []
