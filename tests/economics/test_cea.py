"""painsim.economics.cea against numbers worked by hand, published tables and closed forms.

Every expected number below is either worked out in the comment beside it or copied from
the cited publication; none was produced by the code under test.
"""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from painsim.economics import (
    DOMINATED,
    EXTENDEDLY_DOMINATED,
    FRONTIER,
    EconomicsInputError,
    ceac,
    ceaf,
    evpi,
    incremental_analysis,
    incremental_nmb,
    net_monetary_benefit,
    wtp_grid,
)
from painsim.economics import cea as cea_module

# --------------------------------------------------------------------------- incremental analysis


def test_hand_worked_strict_and_extended_dominance():
    # Five strategies (cost, QALY):
    #   A (0, 0), B (2000, 0.05), C (5000, 0.04), D (6000, 0.10), E (20000, 0.15).
    # Sorted by cost: A, B, C, D, E.
    #   C costs more than B and gains less (0.04 < 0.05): strictly dominated by B.
    #   ICERs on what is left: B vs A = 2000 / 0.05 = 40 000; D vs B = 4000 / 0.05 = 80 000;
    #   E vs D = 14000 / 0.05 = 280 000. Increasing: no extended dominance yet.
    # Add F (3000, 0.09): sorted A, B, F, C, D, E. C is dominated by F too (3000 < 5000,
    # 0.09 > 0.04); B (first by cost after A with more effect) stays a candidate.
    #   B vs A = 40 000; F vs B = 1000 / 0.04 = 25 000 < 40 000 -> B extendedly dominated.
    #   F vs A = 3000 / 0.09 = 33 333.3...; D vs F = 3000 / 0.01 = 300 000;
    #   E vs D = 280 000 < 300 000 -> D extendedly dominated; E vs F = 17000 / 0.06 = 283 333.3...
    # Frontier: A, F, E with ICERs 33 333.33 and 283 333.33.
    table = incremental_analysis(["A", "B", "C", "D", "E", "F"],
                                 [0, 2000, 5000, 6000, 20000, 3000],
                                 [0, 0.05, 0.04, 0.10, 0.15, 0.09])
    assert [r.strategy for r in table.rows] == ["A", "B", "F", "C", "D", "E"]
    assert table.frontier == ("A", "F", "E")
    status = {r.strategy: r.status for r in table.rows}
    assert status == {"A": FRONTIER, "B": EXTENDEDLY_DOMINATED, "F": FRONTIER, "C": DOMINATED,
                      "D": EXTENDEDLY_DOMINATED, "E": FRONTIER}
    assert table.row("F").icer == pytest.approx(3000 / 0.09, rel=1e-12)
    assert table.row("F").reference == "A"
    assert table.row("E").icer == pytest.approx(17000 / 0.06, rel=1e-12)
    assert table.row("E").reference == "F"
    assert table.row("E").incremental_cost == pytest.approx(17000)
    assert table.row("E").incremental_effect == pytest.approx(0.06)
    assert table.row("A").icer is None and table.row("A").reference is None
    assert table.row("C").icer is None and table.row("C").dominated_by == ("F",)
    assert table.row("B").dominated_by == ("A", "F")
    assert table.row("D").dominated_by == ("F", "E")


def test_published_table_strict_dominance():
    # Table 1 of J Natl Cancer Inst Cancer Spectr 2020;4(2):pkaa004 (doi 10.1093/jncics/pkaa004):
    # Strategy 1 1695.865 / 8.570992; Strategy 3 12 118.17 / 8.590681, incremental cost
    # 10 422.31, incremental effect 0.019688, ICER 529 365.8; Strategy 2 12 224.17 / 8.583273
    # "absolutely dominated". The effects are printed to 6 decimals, so the ICER recomputed
    # from them agrees to the rounding of the incremental effect (0.019689 vs 0.019688).
    table = incremental_analysis(["Strategy 1", "Strategy 2", "Strategy 3"],
                                 [1695.865, 12224.17, 12118.17], [8.570992, 8.583273, 8.590681])
    assert table.frontier == ("Strategy 1", "Strategy 3")
    assert table.row("Strategy 2").status == DOMINATED
    assert table.row("Strategy 3").incremental_cost == pytest.approx(10422.31, abs=0.01)
    assert table.row("Strategy 3").incremental_effect == pytest.approx(0.019688, abs=1.5e-6)
    assert table.row("Strategy 3").icer == pytest.approx(529365.8, rel=1e-4)


def test_published_table_frontier_icers():
    # Table 7 of Aust New Zealand Health Policy 2005;2:10 (doi 10.1186/1743-8462-2-10),
    # colorectal cancer screening, the strategies left after dominance (cost $, life-years):
    # ICERs printed: FOBT2 39 459; DCBE5 43 687; DCBE3 80 616; FOBT1+DCBE5 185 054;
    # FOBT1+DCBE3 235 859.
    names = ["Existing practice", "FOBT2", "DCBE5", "DCBE3", "FOBT1+DCBE5", "FOBT1+DCBE3"]
    costs = [0, 140_117_791, 248_112_291, 304_301_903, 370_181_240, 422_777_702]
    effects = [0, 3551, 6023, 6720, 7076, 7299]
    table = incremental_analysis(names, costs, effects)
    assert table.frontier == tuple(names)
    printed = [39_459, 43_687, 80_616, 185_054, 235_859]
    assert [round(table.row(n).icer) for n in names[1:]] == printed


def test_input_order_does_not_matter():
    names = ["A", "B", "C", "D", "E", "F"]
    costs = [0, 2000, 5000, 6000, 20000, 3000]
    effects = [0, 0.05, 0.04, 0.10, 0.15, 0.09]
    reference = incremental_analysis(names, costs, effects).to_records()
    for perm in itertools.islice(itertools.permutations(range(6)), 0, 720, 37):
        shuffled = incremental_analysis([names[i] for i in perm], [costs[i] for i in perm],
                                        [effects[i] for i in perm])
        assert shuffled.to_records() == reference


def test_ties_duplicates_and_collinear_strategies():
    # X and Y identical: Y (later in the input) is dominated by X. Z costs the same as X but
    # gains more: X (and so Y) dominated by Z. W equals Z's effect at a higher cost: dominated.
    table = incremental_analysis(["X", "Y", "Z", "W"], [100, 100, 100, 150], [1.0, 1.0, 1.5, 1.5])
    assert table.frontier == ("Z",)
    assert {r.strategy: r.dominated_by for r in table.rows if r.status == DOMINATED} == {
        "X": ("Z",), "Y": ("Z",), "W": ("Z",)}
    # Equal ICERs on one line (0 -> 10 -> 20 at 10 per unit effect): all stay on the frontier.
    line = incremental_analysis(["P", "Q", "R"], [0, 10, 20], [0, 1, 2])
    assert line.frontier == ("P", "Q", "R")
    assert [line.row(n).icer for n in "QR"] == [10.0, 10.0]
    # Two exact duplicates alone: the first keeps its place.
    duplicates = incremental_analysis(["first", "second"], [5, 5], [1, 1])
    assert duplicates.frontier == ("first",)


def test_dominant_strategy_and_negative_costs():
    # "new" saves money (cost -500 against a baseline) and gains 0.2: it dominates "usual".
    table = incremental_analysis(["usual", "new"], [0, -500], [0, 0.2])
    assert table.frontier == ("new",)
    assert table.row("usual").status == DOMINATED


def test_records_and_frame():
    table = incremental_analysis(["A", "B", "C"], [0, 1000, 4000], [0.0, 0.01, 0.1])
    records = table.to_records()
    assert records[0] == {"strategy": "A", "cost": 0.0, "effect": 0.0, "incremental_cost": None,
                          "incremental_effect": None, "icer": None, "status": FRONTIER,
                          "reference": None, "dominated_by": []}
    frame = table.to_frame()
    assert list(frame.index) == ["A", "B", "C"]
    assert frame.loc["C", "icer"] == pytest.approx(40000)
    assert math.isnan(frame.loc["B", "icer"])
    with pytest.raises(KeyError, match="known: A, B, C"):
        table.row("Z")


points = st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=2, max_size=8)


@settings(max_examples=200, deadline=None)
@given(points)
def test_frontier_strategies_are_the_ones_net_benefit_chooses(pts):
    # The decision rule behind the frontier: at any wtp >= 0 the strategy with the highest
    # net benefit (wtp * E - C) is on the frontier, and a frontier strategy is the best one
    # between its own ICER and the next one's. Checked at wtp values between the ICERs.
    names = [f"s{i}" for i in range(len(pts))]
    costs = [float(c) for c, _ in pts]
    effects = [float(e) for _, e in pts]
    table = incremental_analysis(names, costs, effects)
    front = table.frontier
    icers = [table.row(n).icer for n in front[1:]]
    assert all(a <= b for a, b in itertools.pairwise(icers))
    assert all(i >= -1e-12 for i in icers) or not icers  # costs rise along the frontier
    cuts = [0.0, *icers]
    probes = [c + 0.5 for c in cuts] + [c * 1.01 + 1 for c in cuts]
    for lam in probes:
        nb = [lam * e - c for c, e in zip(costs, effects, strict=True)]
        best = max(nb)
        chosen = front[max(i for i, cut in enumerate(cuts) if cut <= lam)]
        assert nb[names.index(chosen)] == pytest.approx(best, abs=1e-9)


def test_incremental_analysis_bad_input():
    with pytest.raises(EconomicsInputError, match="at least 2"):
        incremental_analysis(["A"], [1], [1])
    with pytest.raises(EconomicsInputError, match=r"shape \(3,\), got shape \(2,\)"):
        incremental_analysis(["A", "B", "C"], [1, 2], [1, 2, 3])
    with pytest.raises(EconomicsInputError, match=r"effects: 1 value.*NaN"):
        incremental_analysis(["A", "B"], [1, 2], [1, float("nan")])
    with pytest.raises(EconomicsInputError, match="repeated: A"):
        incremental_analysis(["A", "A"], [1, 2], [1, 2])
    with pytest.raises(EconomicsInputError, match="one string"):
        incremental_analysis("AB", [1, 2], [1, 2])


# --------------------------------------------------------------------------- net benefit and CEAC


def test_net_monetary_benefit_and_incremental():
    costs = np.array([[100.0, 300.0], [200.0, 500.0]])
    effects = np.array([[1.0, 1.5], [0.5, 1.0]])
    nmb = net_monetary_benefit(costs, effects, [0, 1000])
    assert nmb.shape == (2, 2, 2)
    # wtp 1000: 1000*1 - 100 = 900, 1000*1.5 - 300 = 1200; 500 - 200 = 300, 1000 - 500 = 500.
    np.testing.assert_array_equal(nmb[1], [[900.0, 1200.0], [300.0, 500.0]])
    np.testing.assert_array_equal(nmb[0], -costs)
    # mean increments of strategy 1 vs 0: cost (200 + 300)/2 = 250, effect 0.5 -> INMB = 0.5 wtp - 250.
    np.testing.assert_allclose(incremental_nmb(costs, effects, [0, 500, 1000]),
                               [[0, -250], [0, 0], [0, 250]], atol=1e-12)
    np.testing.assert_allclose(incremental_nmb(costs, effects, 1000, reference=1), [[-250, 0]], atol=1e-12)
    with pytest.raises(EconomicsInputError, match=r"reference: must be a strategy index 0\.\.1"):
        incremental_nmb(costs, effects, 1000, reference=2)


def test_ceac_counts_the_draws_where_each_strategy_is_best():
    # Three draws, two strategies; strategy 1 costs 10 more and gains dE = 1, 0.2, -1.
    # At wtp 0: strategy 0 always best. At wtp 20: INB = 20 dE - 10 = 10, -6, -30 -> 1 of 3.
    # At wtp 100: INB = 90, 10, -110 -> 2 of 3.
    costs = np.array([[0.0, 10.0]] * 3)
    effects = np.array([[0.0, 1.0], [0.0, 0.2], [0.0, -1.0]])
    curves = ceac(costs, effects, [0, 20, 100])
    np.testing.assert_allclose(curves, [[1, 0], [2 / 3, 1 / 3], [1 / 3, 2 / 3]], rtol=0, atol=1e-15)


def test_ceaf_uses_expected_net_benefit_not_the_most_likely_winner():
    # Skewed net benefit: strategy 1 wins in 1 draw of 4 by a lot and loses the other 3 a little.
    # wtp 1: INB = +100, -1, -1, -1 -> mean +24.25 > 0: strategy 1 is optimal with CEAC 0.25,
    # although strategy 0 has the highest acceptability (0.75).
    costs = np.zeros((4, 2))
    effects = np.array([[0.0, 100.0], [0.0, -1.0], [0.0, -1.0], [0.0, -1.0]])
    frontier = ceaf(costs, effects, [0.0, 1.0], ["usual", "new"])
    assert frontier.strategy == ("usual", "new")  # wtp 0: all tie, the first is taken
    assert frontier.probability.tolist() == [1.0, 0.25]
    assert frontier.expected_nmb.tolist() == [0.0, 24.25]
    assert frontier.switch_points() == [(0.0, "usual"), (1.0, "new")]
    assert frontier.to_records()[1] == {"wtp": 1.0, "strategy": "new", "probability": 0.25, "expected_nmb": 24.25}
    assert ceac(costs, effects, 1.0)[0].tolist() == [0.75, 0.25]


def test_ceaf_follows_the_frontier_of_the_means():
    rng = np.random.default_rng(7)
    means_c, means_e = np.array([0.0, 2000.0, 6000.0]), np.array([0.0, 0.1, 0.15])
    costs = means_c + rng.normal(0, 300, (5000, 3))
    effects = means_e + rng.normal(0, 0.02, (5000, 3))
    table = incremental_analysis(["A", "B", "C"], costs.mean(axis=0), effects.mean(axis=0))
    icer_b, icer_c = table.row("B").icer, table.row("C").icer
    grid = np.array([icer_b * 0.5, (icer_b + icer_c) / 2, icer_c * 2])
    assert ceaf(costs, effects, grid, ["A", "B", "C"]).strategy == ("A", "B", "C")


# --------------------------------------------------------------------------- EVPI


def _evpi_normal(mu: float, sigma: float) -> float:
    """EVPI of two strategies whose incremental net benefit is N(mu, sigma^2):
    E[max(0, INB)] - max(0, mu) = sigma phi(mu/sigma) - |mu| Phi(-|mu|/sigma)."""
    return sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)


def test_evpi_small_example_by_hand():
    # Two draws, INB at wtp 10: 10*1 - 5 = 5 and 10*(-1) - 5 = -15, mean -5 < 0: choose 0.
    # Perfect information: pick 1 in the first draw, gain 5; mean gain 2.5.
    assert evpi([[0.0, 5.0], [0.0, 5.0]], [[0.0, 1.0], [0.0, -1.0]], [10.0]).tolist() == [2.5]


def test_evpi_matches_the_normal_closed_form_with_quantile_draws():
    # Incremental effect dE = m_e + s_e z and incremental cost dC = m_c + r z share one
    # standard-normal z, so INB(wtp) = (wtp m_e - m_c) + (wtp s_e - r) z is exactly normal
    # with mu = wtp m_e - m_c and sigma = |wtp s_e - r|. The draws are the normal's quantiles
    # at (i - 1/2)/n (a deterministic quadrature), so the only error is the quadrature's.
    n = 200_000
    z = stats.norm.ppf((np.arange(n) + 0.5) / n)
    m_e, s_e, m_c, r = 0.05, 0.04, 300.0, -200.0  # |mu|/sigma <= 1.5 on the grid: no far tails
    effects = np.column_stack([np.zeros(n), m_e + s_e * z])
    costs = np.column_stack([np.full(n, 200.0), 200.0 + m_c + r * z])  # a common cost cancels
    grid = np.array([0.0, 10_000.0, 30_000.0, 50_000.0, 100_000.0])
    expected = [_evpi_normal(lam * m_e - m_c, abs(lam * s_e - r)) for lam in grid]
    np.testing.assert_allclose(evpi(costs, effects, grid), expected, rtol=2e-5)


def test_evpi_matches_the_normal_closed_form_within_monte_carlo_error():
    rng = np.random.default_rng(2026)
    n = 100_000
    cov = [[0.03**2, 0.3 * 0.03 * 500], [0.3 * 0.03 * 500, 500.0**2]]
    d_effect, d_cost = rng.multivariate_normal([0.04, 1200.0], cov, size=n).T
    costs = np.column_stack([np.zeros(n), d_cost])
    effects = np.column_stack([np.zeros(n), d_effect])
    for lam in (10_000.0, 30_000.0, 60_000.0):
        mu = lam * 0.04 - 1200.0
        sigma = math.sqrt(lam**2 * cov[0][0] + cov[1][1] - 2 * lam * cov[0][1])
        inb = lam * d_effect - d_cost
        chosen_new = inb.mean() > 0
        loss = np.maximum(inb, 0) - (inb if chosen_new else 0)
        standard_error = loss.std(ddof=1) / math.sqrt(n)
        assert abs(evpi(costs, effects, lam)[0] - _evpi_normal(mu, sigma)) < 4 * standard_error


def test_evpi_is_zero_without_decision_uncertainty_and_equals_the_difference_of_means():
    rng = np.random.default_rng(3)
    costs = rng.normal([0, 1000, 3000], 100, (2000, 3))
    effects = rng.normal([0, 0.2, 0.25], 0.05, (2000, 3))
    grid = wtp_grid("0:100000:5000")
    nb = grid[:, None, None] * effects - costs
    by_definition = nb.max(axis=2).mean(axis=1) - nb.mean(axis=1).max(axis=1)
    np.testing.assert_allclose(evpi(costs, effects, grid), by_definition, rtol=1e-9, atol=1e-9)
    certain = evpi(np.array([[0.0, 10.0]] * 5), np.array([[0.0, 1.0]] * 5), [0, 5, 100])
    assert certain.tolist() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- input checks


@pytest.mark.parametrize("function", [ceac, evpi, incremental_nmb, net_monetary_benefit,
                                      lambda c, e, w: ceaf(c, e, w)])
def test_psa_functions_reject_bad_input(function):
    good = np.zeros((3, 2))
    with pytest.raises(EconomicsInputError, match=r"shapes differ, \(3, 2\) and \(4, 2\)"):
        function(good, np.zeros((4, 2)), [0])
    with pytest.raises(EconomicsInputError, match="expected PSA draws of shape"):
        function(np.zeros(3), np.zeros(3), [0])
    bad = good.copy()
    bad[1, 1] = np.inf
    with pytest.raises(EconomicsInputError, match=r"costs: 1 value\(s\) are NaN or infinite \(first at index \(1, 1\)"):
        function(bad, good, [0])
    with pytest.raises(EconomicsInputError, match="wtp: willingness to pay must be >= 0"):
        function(good, good, [-1, 0])
    with pytest.raises(EconomicsInputError, match="strictly increasing"):
        function(good, good, [0, 20, 10])
    with pytest.raises(EconomicsInputError, match="grid is empty"):
        function(good, good, [])
    with pytest.raises(EconomicsInputError, match=r"wtp: .*NaN"):
        function(good, good, [float("nan")])


@pytest.mark.parametrize("function", [ceac, evpi, incremental_nmb, lambda c, e, w: ceaf(c, e, w)])
def test_decisions_need_two_strategies(function):
    with pytest.raises(EconomicsInputError, match="at least 2 strategies"):
        function(np.zeros((3, 1)), np.zeros((3, 1)), [0])


def test_ceaf_checks_names():
    with pytest.raises(EconomicsInputError, match="1 names for 2 strategies"):
        ceaf(np.zeros((3, 2)), np.zeros((3, 2)), [0], ["only"])


# --------------------------------------------------------------------------- the --wtp option


@pytest.mark.parametrize(("spec", "expected"), [
    ("0:100000:1000", np.arange(101) * 1000.0),
    ("0:10:3", [0.0, 3.0, 6.0, 9.0]),
    ("0:0.3:0.1", [0.0, 0.1, 0.2, 0.30000000000000004]),  # STOP reached despite binary rounding
    ("20000", [20000.0]),
    ("20000, 30_000,50000", [20000.0, 30000.0, 50000.0]),
    (" 5e4:6e4:1e4 ", [50000.0, 60000.0]),
])
def test_wtp_grid(spec, expected):
    np.testing.assert_array_equal(wtp_grid(spec), expected)


@pytest.mark.parametrize(("spec", "message"), [
    ("", "empty"),
    ("abc", "not numbers"),
    ("0:1000", "not START:STOP:STEP"),
    ("0:1000:0", "STEP must be > 0"),
    ("0:1000:-5", "STEP must be > 0"),
    ("1000:0:10", r"STOP \(0\) is below START \(1000\)"),
    ("-100:1000:100", "must be >= 0"),
    ("0:1e9:1", "at most 10001"),
    ("30000,20000", "strictly increasing"),
    ("nan", "not numbers"),
])
def test_wtp_grid_errors(spec, message):
    with pytest.raises(EconomicsInputError, match=message) as caught:
        wtp_grid(spec)
    assert isinstance(caught.value, ValueError)
    assert "--wtp" in str(caught.value)


def test_docstring_examples():
    result = doctest.testmod(cea_module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8 and result.failed == 0


# --------------------------------------------------------------------------- an independent implementation


def _psa(draws: int = 4000, seed: int = 18):
    """A PSA of four strategies: gamma costs and normal QALYs, correlated through a shared draw."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(draws, 1))
    mean_cost = np.array([300.0, 900.0, 1500.0, 2600.0])
    costs = rng.gamma(shape=25.0, scale=mean_cost / 25.0, size=(draws, 4)) + 40.0 * shared
    effects = np.array([0.700, 0.718, 0.735, 0.750]) + 0.01 * shared + rng.normal(0, 0.012, (draws, 4))
    return costs, effects


def test_ceac_ceaf_and_evpi_equal_heormodel():
    # heormodel 0.7.4 (a separate implementation of the same estimators, installed for the
    # tests only) on the same draws. Both count the share of draws where each strategy has
    # the highest NMB, so the CEAC agrees exactly; EVPI agrees to rounding (1e-8 asked).
    import pandas as pd
    from heormodel.cea import ceac as heor_ceac
    from heormodel.cea import ceaf as heor_ceaf
    from heormodel.models import Outcomes
    from heormodel.voi import evpi as heor_evpi

    costs, effects = _psa()
    names = ["s0 usual care", "s1 self-management", "s2 physio", "s3 massage"]
    outcomes = Outcomes.from_wide(pd.DataFrame(costs, columns=names), pd.DataFrame(effects, columns=names))
    grid = wtp_grid("0:150000:2500")
    theirs = heor_ceac(outcomes, grid)[names].to_numpy()
    np.testing.assert_allclose(ceac(costs, effects, grid), theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(evpi(costs, effects, grid), heor_evpi(outcomes, grid).to_numpy(), rtol=1e-10, atol=1e-8)
    frontier = heor_ceaf(outcomes, grid)
    ours = ceaf(costs, effects, grid, names)
    assert list(ours.strategy) == frontier["intervention"].tolist()
    np.testing.assert_allclose(ours.probability, frontier["prob"].to_numpy(dtype=float), rtol=0, atol=1e-12)
    # the PSA is not trivial: the decision changes along the grid and is uncertain
    assert len(ours.switch_points()) >= 3 and evpi(costs, effects, grid).max() > 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=2, max_size=7, unique=True))
def test_incremental_analysis_equals_heormodel(pts):
    import pandas as pd
    from heormodel.cea import icer_table

    names = [f"s{i}" for i in range(len(pts))]
    costs = [float(c) * 100 for c, _ in pts]
    effects = [float(e) / 100 for _, e in pts]
    ours = incremental_analysis(names, costs, effects)
    theirs = icer_table(pd.DataFrame({"cost": costs, "effect": effects}, index=names))
    labels = {"ND": FRONTIER, "D": DOMINATED, "ED": EXTENDEDLY_DOMINATED}
    assert {r.strategy: r.status for r in ours.rows} == {s: labels[v] for s, v in theirs["status"].items()}
    for name in ours.frontier:
        icer, their_icer = ours.row(name).icer, theirs.loc[name, "icer"]
        assert (icer is None and math.isnan(their_icer)) or icer == pytest.approx(their_icer)
