"""Forecasts of care plans from a fitted diary, on the same particles; loop knock-outs."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.care import NO_CARE, CarePlan, Massage
from painsim.diary import diary_from_ratings, fit_diary, forecast_cloud, forecast_plans, loop_knockouts
from painsim.diary.inference import prior_particles


@pytest.fixture(scope="module")
def fit():
    prior = prior_particles(600, seed=6)
    return fit_diary(diary_from_ratings([7, 6, 7, 7, 6, 7, 7, 6, 7, 6, 7, 7, 6, 7]), seed=1, prior=prior)


def test_plans_differ_by_their_care_on_the_same_particles(fit):
    from painsim.app.diary import massage_question_plans

    plans = {"no_care": NO_CARE, "massage": CarePlan(massage=Massage()),
             "combined": massage_question_plans()["combined"]}
    out = forecast_plans(fit, plans, weeks=12, particles=600)
    none, massage, combined = out["no_care"], out["massage"], out["combined"]
    assert none.cost == 0 and none.relief_days == 0 and none.p_responder is None
    assert massage.cost > 0 and massage.relief_days > 0 and 0 < massage.p_responder <= 1
    assert combined.fan["p50"][-1] < none.fan["p50"][-1]  # the combination reaches the slow loops
    assert combined.p_improvement > none.p_improvement
    for f in out.values():
        fan = np.array([f.fan[f"p{q}"] for q in (5, 10, 25, 50, 75, 90, 95)])
        assert np.all(np.diff(fan, axis=0) >= 0) and len(f.weeks) == 12 and 0 <= f.p_improvement <= 1


def test_weeks_out_of_range_are_refused(fit):
    with pytest.raises(ValueError, match="weeks must be 4 to 26"):
        forecast_plans(fit, {"no_care": NO_CARE}, weeks=3)


def test_a_plan_with_late_sessions_lengthens_the_horizon(fit):
    late = CarePlan(massage=Massage(schedule={"days": [0, 150]}))
    out = forecast_plans(fit, {"late": late}, weeks=4, particles=100)
    assert out["late"].sessions == 2 and len(out["late"].weeks) == 4


def test_loop_knockouts_lower_pain_and_rank_the_loops(fit):
    rows = loop_knockouts(forecast_cloud(fit, 400))
    drops = [row["pain_drop"] for row in rows]
    assert drops == sorted(drops, reverse=True) and len(rows) == 5
    assert drops[0] > 0.1 and min(drops) > -0.05  # every loop reinforces: switching one off never raises pain
