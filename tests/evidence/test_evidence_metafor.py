"""painsim.evidence against frozen metafor 3.8 results (relative tolerance 1e-6)."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.evidence import escalc, rma
from painsim.evidence.diagnostics import cumulative, leave1out, regtest, subgroup_analysis, trimfill

pytestmark = pytest.mark.filterwarnings("ignore:the Knapp-Hartung method:UserWarning")

RTOL = 1e-6
#: absolute floor for quantities that are (numerically) zero in metafor
ATOL = 1e-10


def close(actual, expected, what: str) -> None:
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(
        np.asarray([np.nan if x is None else x for x in np.atleast_1d(expected)], dtype=float)
    )
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=what)


def effect_sizes(datasets, dataset: str, measure: str):
    return escalc(measure, datasets[dataset])


def _ids(cases):
    return [f"{c['dataset']}-{c['measure']}-{c['method']}-{c['test']}" for c in cases]


def test_vectors_are_from_metafor_38(vectors):
    assert vectors["metafor_version"].startswith("3.8")


def test_escalc(vectors, datasets):
    assert len(vectors["escalc"]) == 9
    for case in vectors["escalc"]:
        es = effect_sizes(datasets, case["dataset"], case["measure"])
        close(es.yi, case["yi"], f"{case['name']} yi")
        close(es.vi, case["vi"], f"{case['name']} vi")


def _check_fit(fit, res, label: str) -> None:
    close(fit.beta, res["beta"], f"{label} beta")
    close(fit.se, res["se"], f"{label} se")
    close(fit.zval, res["zval"], f"{label} zval")
    close(fit.pval, res["pval"], f"{label} pval")
    close(fit.ci_lb, res["ci_lb"], f"{label} ci_lb")
    close(fit.ci_ub, res["ci_ub"], f"{label} ci_ub")
    close(fit.tau2, res["tau2"], f"{label} tau2")
    if fit.method != "FE":
        close(fit.se_tau2, res["se_tau2"], f"{label} se_tau2")
        close(fit.tau2_ci.lower, res["tau2_ci_lb"], f"{label} tau2 ci lb")
        close(fit.tau2_ci.upper, res["tau2_ci_ub"], f"{label} tau2 ci ub")
        d = fit.to_dict()
        close(d["i2_ci_lb"], res["i2_ci_lb"], f"{label} I2 ci lb")
        close(d["i2_ci_ub"], res["i2_ci_ub"], f"{label} I2 ci ub")
    close(fit.i2, res["i2"], f"{label} I2")
    close(fit.h2, res["h2"], f"{label} H2")
    close(fit.q, res["q"], f"{label} Q")
    close(fit.q_p, res["q_p"], f"{label} Q p")
    close(fit.qm, res["qm"], f"{label} QM")
    close(fit.qm_p, res["qm_p"], f"{label} QM p")
    if "pi_lb" in res:
        close(fit.pi_lb if fit.pi_lb is not None else np.nan, res["pi_lb"], f"{label} pi lb")
        close(fit.pi_ub if fit.pi_ub is not None else np.nan, res["pi_ub"], f"{label} pi ub")
    if "r2" in res and fit.method != "FE":
        close(fit.r2, res["r2"], f"{label} R2")


def test_rma_every_estimator_and_test(vectors, datasets):
    cases = vectors["rma"]
    assert len(cases) == 6 * 8 * 2
    for case in cases:
        es = effect_sizes(datasets, case["dataset"], case["measure"])
        fit = rma(es, method=case["method"], test=case["test"])
        _check_fit(fit, case["result"], _ids([case])[0])


def test_meta_regression(vectors, datasets):
    bcg = datasets["bcg"]
    es = escalc("RR", bcg)
    for case in vectors["metareg"]:
        mods = {m: bcg[m].to_numpy(float) for m in case["mods"]}
        fit = rma(es, method=case["method"], test=case["test"], mods=mods)
        _check_fit(fit, case["result"], f"metareg {case['method']} {case['test']} {case['mods']}")


def test_subgroups(vectors, datasets):
    bcg = datasets["bcg"]
    es = escalc("RR", bcg)
    for case in vectors["subgroup"]:
        res = subgroup_analysis(
            es.yi, es.vi, bcg["alloc"], method=case["method"], test=case["test"]
        )
        assert list(res.groups) == case["groups"]
        close([f.estimate for f in res.fits], case["estimates"], "subgroup estimates")
        close([f.se[0] for f in res.fits], case["se"], "subgroup se")
        close([f.tau2 for f in res.fits], case["tau2"], "subgroup tau2")
        close(res.q_between, case["q_between"], "Q between")
        close(res.q_between_p, case["q_between_p"], "Q between p")
        close(res.mixed.qm, case["qm"], "QM")
        close(res.mixed.qm_p, case["qm_p"], "QM p")


@pytest.mark.parametrize("kind", ["leave1out", "cumulative"])
def test_sequential(vectors, datasets, kind):
    bcg = datasets["bcg"]
    es = escalc("RR", bcg)
    for case in vectors[kind]:
        fit = rma(es, method=case["method"], test=case["test"])
        res = leave1out(fit) if kind == "leave1out" else cumulative(fit, order=bcg["year"])
        if kind == "cumulative":
            expected = [fit.labels[i] for i in case["order"]]
            assert list(res.labels) == expected
        for attr in ("estimate", "se", "ci_lb", "ci_ub", "q", "i2", "tau2"):
            close(getattr(res, attr), case[attr], f"{kind} {case['method']} {attr}")


def test_regtest(vectors, datasets):
    for case in vectors["regtest"]:
        es = effect_sizes(datasets, case["dataset"], case["measure"])
        rt = regtest(rma(es, method=case["method"], test=case["test"]))
        label = _ids([case])[0]
        close(rt.zval, case["zval"], f"{label} Egger z")
        close(rt.pval, case["pval"], f"{label} Egger p")
        close(rt.est, case["est"], f"{label} limit estimate")
        close(rt.ci_lb, case["ci_lb"], f"{label} limit ci lb")
        close(rt.ci_ub, case["ci_ub"], f"{label} limit ci ub")
        assert rt.dfs == case["dfs"]


def test_trimfill(vectors, datasets):
    n_filled = 0
    for case in vectors["trimfill"]:
        es = effect_sizes(datasets, case["dataset"], case["measure"])
        tf = trimfill(rma(es, method=case["method"], test=case["test"]))
        label = _ids([case])[0]
        assert tf.k0 == case["k0"], label
        assert tf.side == case["side"], label
        n_filled += tf.k0 > 0
        close(tf.se_k0, case["se_k0"], f"{label} se k0")
        close(tf.fit.yi, case["yi"], f"{label} filled yi")
        close(tf.fit.vi, case["vi"], f"{label} filled vi")
        assert tf.fill.tolist() == case["fill"]
        close(tf.fit.estimate, case["estimate"], f"{label} estimate")
        close(tf.fit.se[0], case["se"], f"{label} se")
        close(tf.fit.ci_lb[0], case["ci_lb"], f"{label} ci lb")
        close(tf.fit.ci_ub[0], case["ci_ub"], f"{label} ci ub")
        close(tf.fit.tau2, case["tau2"], f"{label} tau2")
        close(tf.fit.q, case["q"], f"{label} Q")
    assert n_filled > 0  # the vectors exercise the filling branch
