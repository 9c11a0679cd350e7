"""The compiled intercept-only path of ``rma`` equals the general matrix algebra.

A model with the single moderator ``x = 2`` and no intercept is the intercept-only model
reparametrised (coefficient = pooled effect / 2), but it takes the general path
(``_Proj``, NumPy linear algebra) everywhere; every reported quantity must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.evidence import rma
from painsim.evidence.heterogeneity import Control

METHODS = ("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")


def _data(seed: int, k: int, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.005, 0.2, k)
    return rng.normal(0.3, np.sqrt(vi + tau2)), vi


def _general(y: np.ndarray, v: np.ndarray, **kw):
    return rma(y, v, mods=np.full(y.size, 2.0), intercept=False, **kw)


@pytest.mark.filterwarnings("ignore:the Knapp-Hartung method")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
@pytest.mark.parametrize(("seed", "k", "tau2"), [(1, 5, 0.0), (2, 12, 0.05), (3, 40, 0.2), (4, 300, 0.01)])
def test_fast_path_equals_general_algebra(method, test, seed, k, tau2):
    y, v = _data(seed, k, tau2)
    fast, slow = rma(y, v, method=method, test=test), _general(y, v, method=method, test=test)
    assert fast.int_only and not slow.int_only
    assert fast.tau2 == pytest.approx(slow.tau2, rel=1e-9, abs=1e-12)
    assert fast.estimate == pytest.approx(2.0 * slow.estimate, rel=1e-9)
    assert fast.se[0] == pytest.approx(2.0 * slow.se[0], rel=1e-9)
    assert fast.pval[0] == pytest.approx(slow.pval[0], rel=1e-8)
    for name in ("q", "q_p", "i2", "h2", "ll", "se_tau2", "qm"):
        assert getattr(fast, name) == pytest.approx(getattr(slow, name), rel=1e-8, abs=1e-12, nan_ok=True), name
    if fast.tau2_ci is not None:
        assert fast.tau2_ci.lower == pytest.approx(slow.tau2_ci.lower, rel=1e-7, abs=1e-10)
        assert fast.tau2_ci.upper == pytest.approx(slow.tau2_ci.upper, rel=1e-7, abs=1e-10)


def test_fast_path_with_a_zero_variance_and_a_given_start():
    y, v = _data(5, 15, 0.1)
    v[3] = 0.0  # Q, I^2 and H^2 are undefined, as in metafor; REML still fits
    control = Control(tau2_init=0.3)
    fast, slow = rma(y, v, control=control), _general(y, v, control=control)
    assert fast.tau2 == pytest.approx(slow.tau2, rel=1e-9)
    assert np.isnan(fast.q) and np.isnan(slow.q)


def test_negative_start_value_is_refused():
    y, v = _data(6, 10, 0.1)
    with pytest.raises(ValueError, match="tau2_init must be >= 0"):
        rma(y, v, method="REML", control=Control(tau2_init=-0.1))


def test_default_labels_are_built_on_demand():
    y, v = _data(7, 4, 0.1)
    assert rma(y, v).labels == ("Study 1", "Study 2", "Study 3", "Study 4")
    assert rma(y, v, labels=["a", "b", "c", "d"]).labels == ("a", "b", "c", "d")
    with pytest.raises(ValueError, match="3 labels for 4 studies"):
        rma(y, v, labels=["a", "b", "c"])
