"""Compiled kernels for intercept-only models, the common case of a meta-analysis.

With ``X`` a column of ones the projection ``P = W - w w' / sum(w)`` reduces to sums over
the studies, so every quantity of :class:`painsim.evidence.heterogeneity._Proj` is a few
scalar accumulations:

* ``P y = w (y - ybar_w)`` with ``ybar_w = sum(w y) / sum(w)``,
* ``tr(P) = sum(w) - sum(w^2) / sum(w)``,
* ``tr(PP) = sum(w^2) - 2 sum(w^3) / sum(w) + (sum(w^2) / sum(w))^2``.

The kernels run the same Fisher-scoring iterations as metafor (and as the general
``_fisher_scoring``: same start, update, step halving, threshold and ``ll0check``) in one
compiled loop instead of a dozen NumPy calls per iteration; the profile of ``rma`` at
k = 10 had 70 % of its time in that per-call overhead. Results agree with the general
path to rounding (tests/evidence/test_intercept_fast_path.py).
"""

from __future__ import annotations

import math

import numba
import numpy as np

ML, REML, EB = 0, 1, 2
METHOD_CODES = {"ML": ML, "REML": REML, "EB": EB}
_LOG_2PI = math.log(2.0 * math.pi)


@numba.njit(cache=True)
def _loglik(y: np.ndarray, v: np.ndarray, tau2: float, reml: bool) -> float:
    k = y.size
    sw = swy = slog = 0.0
    for i in range(k):
        w = 1.0 / (v[i] + tau2)
        sw += w
        swy += w * y[i]
        slog += math.log(v[i] + tau2)
    beta = swy / sw
    rss = 0.0
    for i in range(k):
        rss += (y[i] - beta) ** 2 / (v[i] + tau2)
    if reml:
        return -0.5 * (k - 1) * _LOG_2PI - 0.5 * slog - 0.5 * math.log(sw) - 0.5 * rss
    return -0.5 * k * _LOG_2PI - 0.5 * slog - 0.5 * rss


@numba.njit(cache=True)
def _sums(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, float, float, float, float]:
    """``sum(w)``, ``sum(w^2)``, ``sum(w^3)``, ``y'Py`` and ``y'PPy`` for weights ``1/(v + tau2)``."""
    sw = sw2 = sw3 = swy = 0.0
    for i in range(y.size):
        w = 1.0 / (v[i] + tau2)
        sw += w
        sw2 += w * w
        sw3 += w * w * w
        swy += w * y[i]
    ybar = swy / sw
    ypy = yppy = 0.0
    for i in range(y.size):
        w = 1.0 / (v[i] + tau2)
        r = y[i] - ybar
        ypy += w * r * r
        yppy += (w * r) ** 2
    return sw, sw2, sw3, ypy, yppy


@numba.njit(cache=True)
def fisher_scoring(y: np.ndarray, v: np.ndarray, method: int, tau2_init: float, threshold: float,
                   maxiter: int, stepadj: float, ll0check: bool, tol: float) -> tuple[float, float, int, bool]:
    """ML/REML/EB tau^2 of an intercept-only model; ``tau2_init < 0`` starts at the HE value.

    Returns ``(tau2, se, iterations, converged)``.
    """
    k = y.size
    tau2 = tau2_init
    if tau2 < 0.0:  # Hedges (HE) start: (y'P0y - tr(P0 V)) / (k - 1), truncated at zero
        ybar = 0.0
        for i in range(k):
            ybar += y[i]
        ybar /= k
        rss = sv = 0.0
        for i in range(k):
            rss += y[i] * (y[i] - ybar)
            sv += v[i]
        tau2 = max(0.0, (rss - (sv - sv / k)) / (k - 1))
    change = threshold + 1.0
    it = 0
    while change > threshold:
        it += 1
        old = tau2
        sw, sw2, sw3, ypy, yppy = _sums(y, v, tau2)
        if method == ML:
            adj = (yppy - sw) / sw2
        elif method == REML:
            tr_p = sw - sw2 / sw
            tr_pp = sw2 - 2.0 * sw3 / sw + (sw2 / sw) ** 2
            adj = (yppy - tr_p) / tr_pp
        else:
            adj = (ypy * k / (k - 1) - k) / sw
        adj *= stepadj
        if math.isnan(adj):
            adj = 0.0
        while tau2 + adj < 0.0:
            adj /= 2.0
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if it > maxiter:
            return tau2, math.nan, it, False
    if method != EB and ll0check and np.all(v > 0.0):
        reml = method == REML
        if _loglik(y, v, 0.0, reml) - _loglik(y, v, tau2, reml) > tol and tau2 > threshold:
            tau2 = 0.0
    tau2 = max(0.0, tau2)
    sw, sw2, sw3, _, _ = _sums(y, v, tau2)
    if method == ML:
        se = math.sqrt(2.0 / sw2)
    elif method == REML:
        se = math.sqrt(2.0 / (sw2 - 2.0 * sw3 / sw + (sw2 / sw) ** 2))
    else:
        se = math.sqrt(2.0 * k * k / (k - 1) / sw**2)
    return tau2, se, it, True


@numba.njit(cache=True)
def fit_summary(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, float, float, float, float, float]:
    """Pooled estimate and what ``rma`` reports about an intercept-only fit at ``tau2``.

    Returns ``(beta, sum(w), rss, sum(log(v + tau2)), Q, tr(P0))`` where ``rss`` is
    ``sum(w (y - beta)^2)`` and ``Q``, ``tr(P0)`` use fixed-effect weights ``1/v`` on the
    centred outcomes (NaN when some ``v`` is 0).
    """
    sw, _, _, rss, _ = _sums(y, v, tau2)
    swy = slog = 0.0
    for i in range(y.size):
        swy += y[i] / (v[i] + tau2)
        slog += math.log(v[i] + tau2)
    q = tr_p = math.nan
    if np.all(v > 0.0):
        yc = y - np.mean(y)
        sw0, sw02, _, q, _ = _sums(yc, v, 0.0)
        tr_p = sw0 - sw02 / sw0
    return swy / sw, sw, rss, slog, q, tr_p
