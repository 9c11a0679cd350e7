"""Fixed- and random-effects meta-analysis and meta-regression (metafor's ``rma``).

The model is ``y_i = x_i' beta + u_i + e_i`` with ``e_i ~ N(0, v_i)`` and
``u_i ~ N(0, tau^2)`` (``tau^2 = 0`` for ``method="FE"``).  ``beta`` is the
weighted least-squares estimate with weights ``1/(v_i + tau^2)``.  Inference
uses either standard normal quantiles (``test="z"``) or the Hartung-Knapp /
Sidik-Jonkman adjustment (``test="knha"``): the variance of ``beta`` is
multiplied by ``s^2 = sum w_i (y_i - x_i' beta)^2 / (k - p)`` and ``t``
quantiles with ``k - p`` degrees of freedom are used (Hartung J, Knapp G
(2001). *Statistics in Medicine* 20:3875-3889; Sidik K, Jonkman JN (2002).
*Statistics in Medicine* 21:3153-3159).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from painsim.evidence import _intercept
from painsim.evidence.effect_sizes import LOG_MEASURES, EffectSizes
from painsim.evidence.heterogeneity import (
    METHODS,
    Control,
    Tau2Interval,
    _Proj,
    estimate_tau2,
    qprofile_ci,
)

if TYPE_CHECKING:  # pragma: no cover
    from painsim.evidence.diagnostics import (
        CumulativeResult,
        LeaveOneOutResult,
        RegTestResult,
        TrimFillResult,
    )

TESTS: tuple[str, ...] = ("z", "knha")


@dataclass(frozen=True)
class Prediction:
    """Predicted (pooled) effect with confidence and prediction intervals."""

    pred: NDArray[np.float64]
    se: NDArray[np.float64]
    ci_lb: NDArray[np.float64]
    ci_ub: NDArray[np.float64]
    pi_lb: NDArray[np.float64] | None
    pi_ub: NDArray[np.float64] | None


@dataclass(frozen=True)
class RMAResult:
    """A fitted meta-analytic model (the analogue of metafor's ``rma.uni`` object).

    Coefficient-level arrays (``beta``, ``se``, ``zval``, ``pval``, ``ci_lb``,
    ``ci_ub``) have one entry per column of ``X``; for an intercept-only model
    the pooled effect is ``estimate`` (= ``beta[0]``).  ``zval`` is a t value
    when ``test == "knha"``.  ``i2`` is in percent.
    """

    measure: str
    method: str
    test: str
    level: float
    k: int
    p: int
    yi: NDArray[np.float64]
    vi: NDArray[np.float64]
    X: NDArray[np.float64]
    coef_names: tuple[str, ...]
    beta: NDArray[np.float64]
    vb: NDArray[np.float64]
    se: NDArray[np.float64]
    zval: NDArray[np.float64]
    pval: NDArray[np.float64]
    ci_lb: NDArray[np.float64]
    ci_ub: NDArray[np.float64]
    tau2: float
    se_tau2: float
    tau2_ci: Tau2Interval | None
    q: float
    q_df: int
    q_p: float
    i2: float
    h2: float
    vt: float
    qm: float
    qm_df: tuple[int, int | None]
    qm_p: float
    ddf: int | None
    s2w: float
    r2: float | None
    ll: float
    weights: NDArray[np.float64]
    control: Control = field(default_factory=Control)
    tau2_iterations: int = 0
    study_labels: tuple[str, ...] | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Study labels (``"Study 1"``, ``"Study 2"``, ... unless given); built on demand,
        since at k = 10,000 the default labels cost as much as the fit."""
        if self.study_labels is not None:
            return self.study_labels
        return tuple(f"Study {i + 1}" for i in range(self.k))

    # ------------------------------------------------------------------ basics
    @property
    def int_only(self) -> bool:
        """True for a model without moderators."""
        return self.p == 1 and bool(np.all(self.X[:, 0] == 1.0))

    @property
    def estimate(self) -> float:
        """Pooled estimate (intercept) on the analysis scale."""
        return float(self.beta[0])

    @property
    def tau(self) -> float:
        """Square root of tau^2."""
        return float(np.sqrt(self.tau2))

    @property
    def is_fixed(self) -> bool:
        """True for the fixed-effect (common-effect) model."""
        return self.method == "FE"

    def _crit(self) -> float:
        alpha = 1.0 - self.level / 100.0
        if self.test == "knha":
            return (
                float(stats.t.isf(alpha / 2.0, self.ddf)) if self.ddf and self.ddf > 0 else np.nan
            )
        return float(stats.norm.isf(alpha / 2.0))

    def predict(self, newmods: ArrayLike | None = None) -> Prediction:
        """Predicted effects with CI and prediction interval (metafor ``predict.rma``).

        Parameters
        ----------
        newmods
            Moderator values (without the intercept column), shape ``(n, p-1)``
            or ``(p-1,)``; ``None`` gives the intercept (pooled effect) for
            intercept-only models and the fitted values otherwise.

        Notes
        -----
        The prediction interval is ``pred +/- crit * sqrt(se^2 + tau^2)`` with
        ``crit`` from N(0,1) for ``test="z"`` and from t(k-p) for
        ``test="knha"``.  It is ``None`` for fixed-effect models, as in metafor.

        Examples
        --------
        >>> fit = rma([0.1, 0.3, 0.35, 0.6], [0.01, 0.02, 0.015, 0.03], method="DL")
        >>> pr = fit.predict()
        >>> bool(pr.pi_lb[0] <= pr.ci_lb[0])
        True
        """
        if newmods is None:
            Xn = np.ones((1, 1)) if self.int_only else self.X
        else:
            nm = np.atleast_2d(np.asarray(newmods, dtype=float))
            if nm.shape[1] != self.p - 1 and nm.shape[0] == self.p - 1:
                nm = nm.T
            Xn = np.column_stack([np.ones(nm.shape[0]), nm])
        pred = Xn @ self.beta
        vpred = np.einsum("ij,jk,ik->i", Xn, self.vb, Xn)
        se = np.sqrt(vpred)
        crit = self._crit()
        ci_lb, ci_ub = pred - crit * se, pred + crit * se
        if self.is_fixed:
            return Prediction(pred, se, ci_lb, ci_ub, None, None)
        half = crit * np.sqrt(vpred + self.tau2)
        return Prediction(pred, se, ci_lb, ci_ub, pred - half, pred + half)

    @property
    def pi_lb(self) -> float | None:
        """Lower limit of the prediction interval for the pooled effect."""
        pr = self.predict(None if self.int_only else np.zeros(self.p - 1))
        return None if pr.pi_lb is None else float(pr.pi_lb[0])

    @property
    def pi_ub(self) -> float | None:
        """Upper limit of the prediction interval for the pooled effect."""
        pr = self.predict(None if self.int_only else np.zeros(self.p - 1))
        return None if pr.pi_ub is None else float(pr.pi_ub[0])

    # ------------------------------------------------------------- diagnostics
    def leave1out(self) -> LeaveOneOutResult:
        """Leave-one-out analysis (see :func:`painsim.evidence.diagnostics.leave1out`)."""
        from painsim.evidence.diagnostics import leave1out

        return leave1out(self)

    def cumulative(self, order: Sequence[int] | None = None) -> CumulativeResult:
        """Cumulative meta-analysis (see :func:`painsim.evidence.diagnostics.cumulative`)."""
        from painsim.evidence.diagnostics import cumulative

        return cumulative(self, order)

    def trimfill(self, side: str | None = None) -> TrimFillResult:
        """Trim-and-fill (see :func:`painsim.evidence.diagnostics.trimfill`)."""
        from painsim.evidence.diagnostics import trimfill

        return trimfill(self, side=side)

    def regtest(self) -> RegTestResult:
        """Egger's regression test (see :func:`painsim.evidence.diagnostics.regtest`)."""
        from painsim.evidence.diagnostics import regtest

        return regtest(self)

    # ----------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """Summary as plain Python types (the CLI's ``--json`` object).

        Estimates and intervals are on the analysis scale (log for RR/OR), as
        metafor reports them; ``exp_*`` entries give the back-transformed
        values for RR and OR.
        """

        def num(x: float | None) -> float | None:
            if x is None:
                return None
            x = float(x)
            return None if np.isnan(x) else x

        d: dict[str, Any] = {
            "k": self.k,
            "measure": self.measure,
            "method": self.method,
            "test": self.test,
            "level": self.level,
            "estimate": num(self.estimate),
            "se": num(self.se[0]),
            "zval": num(self.zval[0]),
            "pval": num(self.pval[0]),
            "ci_lb": num(self.ci_lb[0]),
            "ci_ub": num(self.ci_ub[0]),
            "pi_lb": num(self.pi_lb),
            "pi_ub": num(self.pi_ub),
            "tau2": num(self.tau2),
            "se_tau2": num(self.se_tau2),
            "tau2_ci_lb": num(self.tau2_ci.lower) if self.tau2_ci else None,
            "tau2_ci_ub": num(self.tau2_ci.upper) if self.tau2_ci else None,
            "i2": num(self.i2),
            "h2": num(self.h2),
            "q": num(self.q),
            "q_df": self.q_df,
            "q_p": num(self.q_p),
            "ddf": self.ddf,
        }
        if self.tau2_ci is not None and not np.isnan(self.vt):
            lo, hi = self.tau2_ci.lower, self.tau2_ci.upper
            d["i2_ci_lb"] = num(100 * lo / (self.vt + lo))
            d["i2_ci_ub"] = num(100 * hi / (self.vt + hi))
        else:
            d["i2_ci_lb"] = d["i2_ci_ub"] = None
        if not self.int_only:
            d["coefficients"] = [
                {
                    "name": n,
                    "estimate": num(b),
                    "se": num(s),
                    "zval": num(z),
                    "pval": num(pv),
                    "ci_lb": num(lo),
                    "ci_ub": num(hi),
                }
                for n, b, s, z, pv, lo, hi in zip(
                    self.coef_names,
                    self.beta,
                    self.se,
                    self.zval,
                    self.pval,
                    self.ci_lb,
                    self.ci_ub,
                    strict=True,
                )
            ]
            d["qm"] = num(self.qm)
            d["qm_df"] = list(self.qm_df)
            d["qm_p"] = num(self.qm_p)
            d["r2"] = num(self.r2)
        if self.measure in LOG_MEASURES:
            d["exp_estimate"] = float(np.exp(self.estimate))
            d["exp_ci_lb"] = float(np.exp(self.ci_lb[0]))
            d["exp_ci_ub"] = float(np.exp(self.ci_ub[0]))
            d["exp_pi_lb"] = None if self.pi_lb is None else float(np.exp(self.pi_lb))
            d["exp_pi_ub"] = None if self.pi_ub is None else float(np.exp(self.pi_ub))
        return d

    def summary(self) -> str:
        """Plain-text summary in the layout of metafor's ``print.rma.uni``."""
        from painsim.evidence.report import format_summary

        return format_summary(self)

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class _WeightedFit:
    """The weighted least-squares fit at one tau^2 and the sums ``rma`` reports from it."""

    k: int
    p: int
    beta: NDArray[np.float64]
    vb: NDArray[np.float64]
    rss: float  # sum of w (y - X beta)^2
    sum_log_v: float  # sum of log(v + tau^2)
    logdet_xx: float
    logdet_xwx: float
    q_fe: float  # Q with fixed-effect weights on the centred outcomes (NaN if some v is 0)
    trace_p_fe: float  # tr(P) with fixed-effect weights

    def loglik(self, reml: bool) -> float:
        """Log-likelihood at the fit's tau^2: restricted (REML) or full (ML), as metafor reports."""
        k, p = self.k, self.p
        if reml:
            return float(-0.5 * (k - p) * np.log(2 * np.pi) + 0.5 * self.logdet_xx - 0.5 * self.sum_log_v
                         - 0.5 * self.logdet_xwx - 0.5 * self.rss)
        return float(-0.5 * k * np.log(2 * np.pi) - 0.5 * self.sum_log_v - 0.5 * self.rss)


def _weighted_fit(y: NDArray[np.float64], v: NDArray[np.float64], X: NDArray[np.float64], tau2: float,
                  int_only: bool) -> _WeightedFit:
    k, p = X.shape
    if int_only:  # one compiled pass over the studies (the algebra below is ~20 NumPy calls)
        beta0, sum_w, rss, sum_log_v, q_fe, trace = _intercept.fit_summary(y, v, tau2)
        # X'X = k and X'WX = sum(w) for a column of ones
        return _WeightedFit(k, p, np.array([beta0]), np.array([[1.0 / sum_w]]), rss, sum_log_v, float(np.log(k)),
                            float(np.log(sum_w)), q_fe, trace)
    w = 1.0 / (v + tau2)
    WX = X * w[:, None]
    vb = np.linalg.inv(X.T @ WX)
    beta = vb @ (WX.T @ y)
    q_fe = trace = float("nan")
    if (v > 0).all():
        P = _Proj(X, 1.0 / v)
        q_fe, trace = P.quad(y - y.mean()), P.trace()
    return _WeightedFit(k, p, beta, vb, float(np.sum(w * (y - X @ beta) ** 2)), float(np.sum(np.log(v + tau2))),
                        float(np.linalg.slogdet(X.T @ X)[1]), float(np.linalg.slogdet(X.T @ WX)[1]), q_fe, trace)


def _heterogeneity(fit: _WeightedFit, method: str, tau2: float, k: int, p: int,
                   allvipos: bool) -> tuple[float, float, float, float, float]:
    """Q, its p-value, I^2 (%), H^2 and the typical sampling variance, as metafor computes
    them (always with fixed-effect weights)."""
    if not allvipos:
        nan = float("nan")
        return nan, nan, nan, nan, nan
    if k <= p:
        return 0.0, 1.0, 0.0, 1.0, 0.0
    q = max(0.0, fit.q_fe)
    q_p = float(special.chdtrc(k - p, q))
    vt = (k - p) / fit.trace_p_fe
    if method == "FE":
        return q, q_p, (max(0.0, 100.0 * (q - (k - p)) / q) if q > 0 else 0.0), q / (k - p), vt
    return q, q_p, 100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0, vt


def _model_matrix(
    k: int, mods: ArrayLike | Mapping[str, ArrayLike] | None, intercept: bool
) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    cols: list[NDArray[np.float64]] = []
    names: list[str] = []
    if intercept:
        cols.append(np.ones(k))
        names.append("intrcpt")
    if mods is not None:
        if isinstance(mods, Mapping):
            for name, col in mods.items():
                cols.append(np.asarray(col, dtype=float).ravel())
                names.append(str(name))
        else:
            m = np.asarray(mods, dtype=float)
            if m.ndim == 1:
                m = m[:, None]
            if m.shape[0] != k:
                raise ValueError(f"mods has {m.shape[0]} rows but there are {k} studies")
            for j in range(m.shape[1]):
                cols.append(m[:, j])
                names.append(f"mod{j + 1}" if m.shape[1] > 1 else "mods")
    if not cols:
        raise ValueError("model has no parameters (no intercept and no moderators)")
    X = np.column_stack(cols)
    if X.shape[0] != k:
        raise ValueError("moderators and outcomes differ in length")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("model matrix not of full rank; cannot fit model")
    return X, tuple(names)


def rma(
    yi: ArrayLike | EffectSizes,
    vi: ArrayLike | None = None,
    *,
    method: str = "REML",
    test: str = "z",
    mods: ArrayLike | Mapping[str, ArrayLike] | None = None,
    intercept: bool = True,
    level: float = 95.0,
    measure: str | None = None,
    labels: Sequence[str] | None = None,
    control: Control | None = None,
    compute_ci: bool = True,
    compute_r2: bool = True,
) -> RMAResult:
    """Fit a fixed- or random-effects model, as metafor's ``rma()``.

    Parameters
    ----------
    yi
        Effect sizes, or an :class:`~painsim.evidence.effect_sizes.EffectSizes`
        object (then ``vi``, ``measure`` and ``labels`` are taken from it).
    vi
        Sampling variances.
    method
        tau^2 estimator: ``"FE"`` (fixed/common-effect inverse-variance model,
        tau^2 = 0; Hedges & Olkin 1985), ``"DL"``, ``"HE"``, ``"SJ"``,
        ``"ML"``, ``"REML"`` (default), ``"EB"`` or ``"PM"``; see
        :mod:`painsim.evidence.heterogeneity` for each estimator's formula and
        reference.
    test
        ``"z"`` (normal) or ``"knha"`` (Hartung-Knapp-Sidik-Jonkman).
    mods
        Moderators for meta-regression: an array ``(k,)``/``(k, m)`` or a
        mapping ``name -> values``.  An intercept is added unless
        ``intercept=False``.
    level
        Confidence level in percent.
    measure, labels
        Metadata for printing and plotting.
    control
        Numerical settings (:class:`~painsim.evidence.heterogeneity.Control`).
    compute_ci
        Compute the Q-profile CI of tau^2 (skipped internally for speed in
        leave-one-out and cumulative analyses).
    compute_r2
        Compute the pseudo R^2 of a meta-regression (refits without moderators).

    Returns
    -------
    RMAResult

    Examples
    --------
    >>> fit = rma([0.2, 0.5, 0.1, 0.45], [0.04, 0.05, 0.03, 0.06], method="DL")
    >>> round(fit.estimate, 4), round(fit.tau2, 4)
    (0.2719, 0.0)
    """
    if isinstance(yi, EffectSizes):
        es = yi
        y = es.yi
        v = es.vi
        measure = measure or es.measure
        labels = labels if labels is not None else es.labels
    else:
        if vi is None:
            raise ValueError("vi must be given when yi is not an EffectSizes object")
        y = np.asarray(yi, dtype=float).ravel()
        v = np.asarray(vi, dtype=float).ravel()
    measure = (measure or "GEN").upper()
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    test = test.lower()
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; choose one of {', '.join(TESTS)}")
    if y.shape != v.shape:
        raise ValueError("yi and vi differ in length")
    if not (np.isfinite(y).all() and np.isfinite(v).all()):
        raise ValueError("yi and vi must be finite (no missing values)")
    if (v < 0).any():
        raise ValueError("sampling variances must be non-negative")
    k = int(y.size)
    int_only = mods is None and intercept
    X, names = (np.ones((k, 1)), ("intrcpt",)) if int_only else _model_matrix(k, mods, intercept)
    p = X.shape[1]
    if not (int_only and k == 1):
        needed = p if method == "FE" else p + 1
        if k < needed:
            raise ValueError(
                f"too few studies (k={k}) for a {method} model with {p} coefficient(s); "
                f"need k >= {needed}"
            )
    if k == 1 and test != "z":
        warnings.warn("k = 1: switching to test='z' (as metafor)", stacklevel=2)
        test = "z"
    if method == "FE" and test == "knha":
        warnings.warn(
            "the Knapp-Hartung method is not meant to be used with fixed-effect models",
            stacklevel=2,
        )
    control = control or Control()
    if labels is not None:
        labels = tuple(str(s) for s in labels)
        if len(labels) != k:
            raise ValueError(f"{len(labels)} labels for {k} studies")

    est = estimate_tau2(y, v, X, "FE") if k == 1 else estimate_tau2(y, v, X, method, control)
    tau2 = 0.0 if method == "FE" else est.tau2

    fit = _weighted_fit(y, v, X, tau2, int_only)
    beta, vb, rss_f = fit.beta, fit.vb, fit.rss
    s2w = 1.0
    if test == "knha":
        s2w = 0.0 if rss_f <= np.finfo(float).eps else rss_f / (k - p)
        vb = s2w * vb
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = beta / se
    alpha = 1.0 - level / 100.0
    ddf: int | None = None
    btt = np.arange(1, p) if (intercept and p > 1) else np.arange(p)
    m = len(btt)
    if int_only:
        qm = float(beta[0] ** 2 / vb[0, 0]) if vb[0, 0] > 0 else float("nan")
    else:
        try:
            qm = float(beta[btt] @ np.linalg.solve(vb[np.ix_(btt, btt)], beta[btt]))
        except np.linalg.LinAlgError:  # e.g. knha with s^2 = 0, as metafor: QM = NA
            qm = float("nan")
    if test == "knha":
        ddf = k - p
        qm /= m
        qm_df: tuple[int, int | None] = (m, k - p)
        qm_p = float(stats.f.sf(qm, m, k - p)) if k - p > 0 else np.nan
        pval = 2 * stats.t.sf(np.abs(zval), ddf)
        crit = float(stats.t.isf(alpha / 2, ddf))
    else:
        qm_df = (m, None)
        # the ufuncs that scipy.stats' chi2.sf, norm.sf and norm.isf call, without their
        # per-call argument checking (a third of the time of a small fit): same numbers
        qm_p = float(special.chdtrc(m, qm))
        pval = 2 * special.ndtr(-np.abs(zval))
        crit = float(-special.ndtri(alpha / 2))
    ci_lb = beta - crit * se
    ci_ub = beta + crit * se

    allvipos = bool((v > 0).all())
    q, q_p, i2, h2, vt = _heterogeneity(fit, method, tau2, k, p, allvipos)

    tau2_ci = None
    if compute_ci and method != "FE" and k > p and allvipos:
        tau2_ci = qprofile_ci(y, v, X, tau2, level, control)

    ll = fit.loglik(reml=method == "REML")

    r2: float | None = None
    if compute_r2 and p > 1 and intercept:
        if method == "FE":
            r2 = None
        else:
            try:
                base = rma(
                    y,
                    v,
                    method=method,
                    test=test,
                    level=level,
                    control=control,
                    compute_ci=False,
                    compute_r2=False,
                )
                r2 = 0.0 if base.tau2 == 0 else max(0.0, 100.0 * (base.tau2 - tau2) / base.tau2)
            except (ValueError, RuntimeError):
                r2 = None

    w = 1.0 / (v + tau2)
    weights = 100.0 * w / np.sum(w)
    return RMAResult(
        measure=measure,
        method=method,
        test=test,
        level=level,
        k=k,
        p=p,
        yi=y,
        vi=v,
        X=X,
        coef_names=names,
        beta=beta,
        vb=vb,
        se=se,
        zval=zval,
        pval=np.asarray(pval, dtype=float),
        ci_lb=ci_lb,
        ci_ub=ci_ub,
        tau2=float(tau2),
        se_tau2=float(est.se),
        tau2_ci=tau2_ci,
        q=float(q),
        q_df=k - p,
        q_p=float(q_p),
        i2=float(i2),
        h2=float(h2),
        vt=vt,
        qm=qm,
        qm_df=qm_df,
        qm_p=qm_p,
        ddf=ddf,
        s2w=float(s2w),
        r2=r2,
        ll=ll,
        weights=weights,
        control=control,
        tau2_iterations=est.iterations,
        study_labels=labels,
    )


__all__ = ["TESTS", "Prediction", "RMAResult", "rma"]
