"""Discount factors: closed forms, schemes and bad rates."""

import numpy as np
import pytest

from painsim.economics.discounting import DAYS_PER_YEAR, annuity_factor, discount_factors, discounted_sum


def test_daily_factor_is_one_annual_step_per_year_and_continuous_in_between():
    days = np.array([0.0, DAYS_PER_YEAR, 2 * DAYS_PER_YEAR, 100.0])
    f = discount_factors(days, 0.035)
    assert f[:3] == pytest.approx([1.0, 1 / 1.035, 1 / 1.035**2], rel=1e-13)
    assert f[3] == pytest.approx(np.exp(-np.log(1.035) * 100 / DAYS_PER_YEAR), rel=1e-13)


def test_annual_scheme_leaves_the_first_year_undiscounted():
    f = discount_factors(np.array([0, 364, 366, 800]), 0.03, "annual")
    assert f == pytest.approx([1, 1, 1 / 1.03, 1 / 1.03**2])


def test_a_constant_stream_is_discounted_by_the_closed_form_annuity_factor():
    n, r = 730, 0.03
    v = (1 + r) ** (-1 / DAYS_PER_YEAR)
    closed = (1 - v**n) / (1 - v)
    assert discounted_sum(np.ones(n), r) == pytest.approx(closed, rel=1e-12)
    assert annuity_factor(n, r) == pytest.approx(closed, rel=1e-12)
    assert annuity_factor(n, 0.0) == n
    assert closed < n


@pytest.mark.parametrize("rate", [-0.01, 0.25, float("nan"), float("inf")])
def test_rates_outside_zero_to_twenty_percent_are_refused(rate):
    with pytest.raises(ValueError, match="0-20%"):
        discount_factors(10, rate)


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="daily, annual"):
        discount_factors(10, 0.03, "weekly")
