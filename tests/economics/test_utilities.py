"""EQ-5D utilities from pain and disability: the mappings' formulas, ranges and errors."""

import numpy as np
import pytest

from painsim.economics.utilities import (
    EQ5D_RANGE,
    MAPPINGS,
    Conversion,
    check_utility_range,
    get_mapping,
    linear_terms,
    utility,
    utility_bounds,
)


def test_carreon_is_the_published_equation_with_the_stated_conversion():
    # ODI = 100/24 x RMDQ; leg pain = 0.5 x back pain in this case
    conv = Conversion(odi_per_rmdq=100 / 24, leg_pain_per_back_pain=0.5)
    pain, rmdq = 6.0, 12.0
    expected = 0.97711 - 0.00687 * 50.0 - 0.01488 * 3.0 - 0.01008 * 6.0
    assert float(utility(pain, rmdq, "carreon_odi_nrs", conversion=conv)) == pytest.approx(expected, abs=1e-12)


def test_utility_falls_as_pain_rises_and_as_disability_rises():
    pain = np.linspace(0, 10, 11)
    u = utility(pain, np.full(11, 8.0))
    assert np.all(np.diff(u) < 0)
    u = utility(np.full(25, 5.0), np.arange(25.0))
    assert np.all(np.diff(u) < 0)


def test_coefficients_override_the_defaults_and_unknown_ones_are_named():
    assert float(utility(0, 0, coefficients={"intercept": 0.9})) == pytest.approx(0.9)
    with pytest.raises(ValueError, match=r"no coefficient.*odx"):
        utility(0, 0, coefficients={"odx": 1.0})


def test_the_linear_mapping_needs_every_coefficient():
    with pytest.raises(ValueError, match="needs coefficient"):
        utility(1, 1, "linear_rmdq_nrs")
    c = {"intercept": 0.9, "rmdq": -0.02, "back_pain": -0.01}
    assert float(utility(2, 10, "linear_rmdq_nrs", c)) == pytest.approx(0.9 - 0.2 - 0.02)
    assert linear_terms("linear_rmdq_nrs", c) == (0.9, -0.02, -0.01)


def test_default_mapping_stays_inside_the_eq5d_range_and_a_bad_one_is_refused():
    low, high = utility_bounds("carreon_odi_nrs")
    assert EQ5D_RANGE[0] <= low < high <= EQ5D_RANGE[1]
    check_utility_range("carreon_odi_nrs")
    with pytest.raises(ValueError, match="must lie in"):
        check_utility_range("carreon_odi_nrs", {"intercept": 1.2})
    with pytest.raises(ValueError, match="must lie in"):
        check_utility_range("linear_rmdq_nrs", {"intercept": 0.9, "rmdq": -0.1, "back_pain": -0.01})


def test_unknown_mapping_lists_the_mappings():
    with pytest.raises(ValueError, match="carreon_odi_nrs"):
        get_mapping("nope")


def test_every_mapping_documents_its_source_population_and_fit():
    for m in MAPPINGS.values():
        assert m.source and m.population and m.fit and m.formula_text and m.required
