"""Unit tests of painsim.evidence that do not need metafor's vectors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special

from painsim.evidence import Control, ConvergenceError, escalc, rma
from painsim.evidence._zeroin import uniroot
from painsim.evidence.certainty import assess_certainty
from painsim.evidence.diagnostics import cumulative, leave1out, subgroup_analysis, trimfill
from painsim.evidence.effect_sizes import hedges_correction
from painsim.evidence.heterogeneity import q_statistic, qprofile_ci
from painsim.evidence.io import InputError, read_effect_sizes

YI = np.array([0.10, 0.30, 0.35, 0.65, 0.45, 0.15, -0.05, 0.52])
VI = np.array([0.010, 0.020, 0.015, 0.030, 0.012, 0.020, 0.040, 0.025])


def test_hedges_correction_exact_and_approximation():
    m = np.array([2.0, 10.0, 50.0, 300.0])
    exact = special.gamma(m / 2) / (np.sqrt(m / 2) * special.gamma((m - 1) / 2))
    np.testing.assert_allclose(hedges_correction(m), exact, rtol=1e-12)
    # Hedges' approximation 1 - 3/(4m - 1) is close for large m
    assert hedges_correction(300.0) == pytest.approx(1 - 3 / (4 * 300 - 1), rel=1e-5)
    assert np.isnan(hedges_correction(1.0))


def test_zero_cells_add_half_to_whole_study_only():
    es = escalc("OR", ai=[0, 5], bi=[10, 5], ci=[3, 2], di=[7, 8])
    assert es.yi[0] == pytest.approx(np.log((0.5 / 10.5) / (3.5 / 7.5)))
    assert es.vi[0] == pytest.approx(1 / 0.5 + 1 / 10.5 + 1 / 3.5 + 1 / 7.5)
    assert es.yi[1] == pytest.approx(np.log((5 / 5) / (2 / 8)))


def test_escalc_missing_columns_message():
    with pytest.raises(ValueError, match="needs columns ai, bi, ci, di; missing: di"):
        escalc("RR", ai=[1], bi=[2], ci=[3])


def test_fe_is_inverse_variance_mean():
    fit = rma(YI, VI, method="FE")
    w = 1 / VI
    assert fit.estimate == pytest.approx(np.sum(w * YI) / np.sum(w), rel=1e-14)
    assert fit.se[0] == pytest.approx(np.sqrt(1 / np.sum(w)), rel=1e-14)
    q = np.sum(w * (YI - fit.estimate) ** 2)
    assert fit.q == pytest.approx(q, rel=1e-12)
    assert fit.i2 == pytest.approx(max(0, 100 * (q - 7) / q))
    assert fit.pi_lb is None


def test_dl_closed_form():
    fit = rma(YI, VI, method="DL")
    w = 1 / VI
    q = np.sum(w * (YI - np.sum(w * YI) / np.sum(w)) ** 2)
    tau2 = max(0.0, (q - 7) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    assert fit.tau2 == pytest.approx(tau2, rel=1e-12)


def test_pm_and_eb_solve_the_same_equation():
    tight = Control(threshold=1e-12, tol=1e-13)
    pm = rma(YI, VI, method="PM", control=tight)
    eb = rma(YI, VI, method="EB", control=tight)
    assert pm.tau2 == pytest.approx(eb.tau2, rel=1e-8)
    assert q_statistic(YI - YI.mean(), VI, np.ones((8, 1)), pm.tau2) == pytest.approx(7.0)


def test_reml_maximises_restricted_likelihood():
    tight = Control(threshold=1e-12)
    fit = rma(YI, VI, method="REML", control=tight)

    def neg_ll(t: float) -> float:
        w = 1 / (VI + t)
        mu = np.sum(w * YI) / np.sum(w)
        return 0.5 * (np.sum(np.log(VI + t)) + np.log(np.sum(w)) + np.sum(w * (YI - mu) ** 2))

    best = optimize.minimize_scalar(
        neg_ll, bounds=(0, 1), method="bounded", options={"xatol": 1e-12}
    )
    assert fit.tau2 == pytest.approx(best.x, rel=1e-5)


def test_knha_scales_variance_and_uses_t():
    z = rma(YI, VI, method="DL")
    k = rma(YI, VI, method="DL", test="knha")
    w = 1 / (VI + z.tau2)
    s2 = np.sum(w * (YI - z.estimate) ** 2) / 7
    assert k.se[0] == pytest.approx(z.se[0] * np.sqrt(s2), rel=1e-12)
    assert k.ddf == 7 and z.ddf is None


def test_qprofile_ci_brackets_estimate_and_is_exact_with_tight_tolerance():
    fit = rma(YI, VI, method="REML")
    X = np.ones((8, 1))
    ci = qprofile_ci(YI, VI, X, fit.tau2, control=Control(tol=1e-14))
    assert ci.lower <= fit.tau2 <= ci.upper
    from scipy import stats

    assert q_statistic(YI, VI, X, ci.upper) == pytest.approx(stats.chi2.ppf(0.025, 7), rel=1e-9)


def test_uniroot_matches_brentq_root():
    f = lambda x: np.cos(x) - x  # noqa: E731
    assert uniroot(f, 0, 2, tol=1e-14).root == pytest.approx(optimize.brentq(f, 0, 2), abs=1e-12)
    with pytest.raises(ValueError):
        uniroot(f, 2, 3)


def test_fisher_scoring_nonconvergence_is_reported():
    with pytest.raises(ConvergenceError):
        rma(YI, VI, method="REML", control=Control(maxiter=1, threshold=1e-15))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-2, 2), min_size=3, max_size=15),
    st.floats(0.01, 1.0),
    st.sampled_from(["DL", "HE", "SJ", "ML", "REML", "EB", "PM"]),
)
def test_invariances(ys, v, method):
    yi = np.array(ys)
    vi = np.full(yi.size, v) * np.linspace(1, 2, yi.size)
    fit = rma(yi, vi, method=method)
    # shift equivariance and permutation invariance
    shifted = rma(yi + 1.5, vi, method=method)
    assert shifted.estimate == pytest.approx(fit.estimate + 1.5, abs=1e-8)
    assert shifted.tau2 == pytest.approx(fit.tau2, abs=1e-8)
    perm = np.arange(yi.size)[::-1]
    rev = rma(yi[perm], vi[perm], method=method)
    assert rev.estimate == pytest.approx(fit.estimate, abs=1e-6)
    assert fit.tau2 >= 0 and 0 <= fit.i2 <= 100 and fit.h2 >= 1 - 1e-12
    assert fit.ci_lb[0] <= fit.estimate <= fit.ci_ub[0]
    assert fit.pi_lb <= fit.ci_lb[0] + 1e-12


def test_meta_regression_recovers_slope():
    x = np.linspace(-1, 1, 12)
    yi = 0.2 + 0.5 * x
    vi = np.full(12, 0.01)
    fit = rma(yi, vi, mods={"x": x}, method="REML")
    assert fit.beta == pytest.approx([0.2, 0.5], abs=1e-10)
    assert fit.tau2 == 0.0 and fit.coef_names == ("intrcpt", "x")
    pr = fit.predict([[0.5]])
    assert pr.pred[0] == pytest.approx(0.45)


def test_leave1out_and_cumulative_shapes():
    fit = rma(YI, VI, method="DL")
    l1o = leave1out(fit)
    assert l1o.estimate[0] == pytest.approx(rma(YI[1:], VI[1:], method="DL").estimate)
    cu = cumulative(fit)
    assert cu.estimate[-1] == pytest.approx(fit.estimate)
    assert len(cu.to_records()) == 8


def test_trimfill_symmetric_data_fills_nothing():
    yi = np.array([-0.2, 0.2, -0.1, 0.1, 0.0, -0.3, 0.3])
    vi = np.array([0.04, 0.04, 0.02, 0.02, 0.01, 0.08, 0.08])
    tf = trimfill(rma(yi, vi, method="FE"))
    assert tf.k0 == 0 and not tf.fill.any()


def test_subgroup_requires_two_groups():
    with pytest.raises(ValueError, match="at least two"):
        subgroup_analysis(YI, VI, ["a"] * 8)


def test_certainty_rules():
    consistent = assess_certainty(rma(YI * 0 + 0.3, VI, method="REML"))
    assert consistent.overall == "high"
    imprecise = assess_certainty(rma([-0.6, 0.7, 0.1], [0.2, 0.2, 0.2], method="DL"))
    assert any(d.name == "Imprecision" and d.downgrade == 2 for d in imprecise.domains)
    assert any(d.rating == "not assessed" for d in imprecise.domains)
    many = rma(np.linspace(0, 1, 12), np.linspace(0.01, 0.2, 12), method="DL")
    pub = assess_certainty(many)
    assert any(
        d.name == "Publication bias" and d.rating in ("suspected", "undetected")
        for d in pub.domains
    )


def test_fe_knha_warns_and_k1_uses_z():
    with pytest.warns(UserWarning, match="Knapp-Hartung"):
        rma(YI, VI, method="FE", test="knha")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = rma([0.3], [0.04], method="REML", test="knha")
    assert one.test == "z" and one.tau2 == 0.0


def test_read_effect_sizes_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_effect_sizes(tmp_path / "none.csv", "GEN")
    f = tmp_path / "a.csv"
    f.write_text("yi,vi\n1,0.1\n2,0.2\n")
    with pytest.raises(InputError, match="unknown measure"):
        read_effect_sizes(f, "ZZZ")


def test_summary_mentions_key_numbers():
    text = rma(YI, VI, method="REML", test="knha").summary()
    assert "Random-Effects Model (k = 8; tau^2 estimator: REML)" in text
    assert "tval" in text and "Prediction interval" in text
