"""Between-study variance (tau^2) estimators and the Q-profile interval.

Every estimator follows the algorithm of metafor 3.8's ``rma.uni()``
(Viechtbauer 2010, *J Stat Softw* 36(3)) step by step -- the same starting
values, update formulas, convergence threshold and root-finder -- so that the
numbers agree with metafor's printed output, not merely with the exact
solution of the estimating equation.

Notation: ``k`` studies, ``p`` columns of the model matrix ``X``,
``W = diag(1/(vi + tau2))``, ``P = W - W X (X'WX)^{-1} X'W`` and the
generalised Cochran statistic ``Q(tau2) = y' P y``.  As in metafor the
outcomes are mean-centred before tau^2 is estimated (this leaves every
estimate unchanged for models with an intercept).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from painsim.evidence import _intercept
from painsim.evidence._zeroin import R_UNIROOT_TOL, uniroot

METHODS: tuple[str, ...] = ("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")


@dataclass(frozen=True)
class Control:
    """Numerical settings, defaults identical to metafor's ``control`` list.

    Attributes
    ----------
    threshold
        Convergence threshold of the Fisher-scoring iterations (ML, REML, EB).
    maxiter
        Maximum number of Fisher-scoring iterations.
    stepadj
        Step-length adjustment of Fisher scoring.
    tol
        Tolerance of the root finder (PM, Q-profile CI), R's ``eps^0.25``.
    tau2_init
        Starting value for the iterative estimators (default: the HE estimate
        for ML/REML/EB, as in metafor).
    tau2_max
        Upper end of the search interval for PM (default
        ``max(100, 10 * mad(yi)^2)``).
    ll0check
        For ML/REML, compare the log-likelihood at tau^2 = 0 with that at the
        converged value (metafor's safeguard against a local maximum).
    """

    threshold: float = 1e-5
    maxiter: int = 100
    stepadj: float = 1.0
    tol: float = R_UNIROOT_TOL
    tau2_init: float | None = None
    tau2_max: float | None = None
    ll0check: bool = True


@dataclass(frozen=True)
class Tau2Estimate:
    """An estimate of tau^2 with its (approximate) standard error."""

    tau2: float
    se: float
    iterations: int = 0
    converged: bool = True


class ConvergenceError(RuntimeError):
    """Raised when an iterative tau^2 estimator does not converge."""


def _projection(X: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """``P = W - W X (X'WX)^{-1} X'W`` for weights ``w``."""
    WX = X * w[:, None]
    stXWX = np.linalg.inv(X.T @ WX)
    return np.diag(w) - WX @ stXWX @ WX.T


class _Proj:
    """``P = W - W X M X'W`` with ``M = (X'WX)^{-1}``, without forming the k x k matrix.

    Quadratic forms and traces of ``P`` and ``PP`` cost O(k p^2) instead of the O(k^2)
    memory and O(k^3) time of the explicit matrix (``PP`` by matrix product):
    ``tr(P) = sum(w) - tr(M X'W^2X)`` and
    ``tr(PP) = sum(w^2) - 2 tr(M X'W^3X) + tr((M X'W^2X)^2)``; ``sum(P*P) = tr(PP)``
    (``P`` is symmetric).
    """

    def __init__(self, X: NDArray[np.float64], w: NDArray[np.float64]) -> None:
        self.w = w
        self.WX = X * w[:, None]
        self.M = np.linalg.inv(X.T @ self.WX)

    def apply(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        """``P y``."""
        return self.w * y - self.WX @ (self.M @ (self.WX.T @ y))

    def quad(self, y: NDArray[np.float64]) -> float:
        """``y' P y``."""
        return float(y @ self.apply(y))

    def trace(self) -> float:
        """``tr(P)``."""
        return float(np.sum(self.w) - np.sum(self.M * (self.WX.T @ self.WX)))

    def trace_pp(self) -> float:
        """``tr(PP)``, equal to ``sum(P * P)``."""
        A = self.M @ (self.WX.T @ self.WX)
        B = self.M @ (self.WX.T @ (self.WX * self.w[:, None]))
        return float(np.sum(self.w**2) - 2.0 * np.trace(B) + np.trace(A @ A))


def q_statistic(
    yi: NDArray[np.float64], vi: NDArray[np.float64], X: NDArray[np.float64], tau2: float = 0.0
) -> float:
    """Generalised Q statistic ``Q(tau2) = y' P(tau2) y``.

    With ``tau2 = 0`` this is Cochran's Q (for an intercept-only model) or
    the residual heterogeneity statistic QE (meta-regression).
    """
    return _Proj(X, 1.0 / (vi + tau2)).quad(yi)


def _r_mad(x: NDArray[np.float64]) -> float:
    med = np.median(x)
    return 1.4826 * float(np.median(np.abs(x - med)))


def tau2_dl(
    yi: NDArray[np.float64], vi: NDArray[np.float64], X: NDArray[np.float64]
) -> Tau2Estimate:
    """DerSimonian-Laird method-of-moments estimator.

    ``tau2 = (Q - (k - p)) / tr(P)`` with fixed-effect weights ``1/vi``,
    truncated at zero.  For ``p = 1``, ``tr(P) = sum(w) - sum(w^2)/sum(w)``.

    Reference: DerSimonian R, Laird N (1986). Meta-analysis in clinical
    trials. *Controlled Clinical Trials* 7:177-188.
    """
    k, p = X.shape
    P = _Proj(X, 1.0 / vi)
    rss = P.quad(yi)
    trP = P.trace()
    tau2 = max(0.0, (rss - (k - p)) / trP)
    se = np.sqrt(1.0 / trP**2 * (2 * (k - p) + 4 * tau2 * trP + 2 * tau2**2 * P.trace_pp()))
    return Tau2Estimate(tau2, float(se))


def _he_raw(yi: NDArray[np.float64], vi: NDArray[np.float64], X: NDArray[np.float64]):
    """``(y'P0y - tr(P0 V)) / (k - p)`` and ``tr(P0 V)`` with ``P0 = I - X (X'X)^{-1} X'``, in O(k p^2)."""
    k, p = X.shape
    M = np.linalg.inv(X.T @ X)
    rss = float(yi @ (yi - X @ (M @ (X.T @ yi))))
    trPV = float(np.sum(vi) - np.sum(M * (X.T @ (X * vi[:, None]))))
    return (rss - trPV) / (k - p), trPV


def tau2_he(
    yi: NDArray[np.float64], vi: NDArray[np.float64], X: NDArray[np.float64]
) -> Tau2Estimate:
    """Hedges (unweighted method-of-moments) estimator.

    ``tau2 = (y' P0 y - tr(P0 V)) / (k - p)`` with the ordinary least-squares
    residual maker ``P0 = I - X (X'X)^{-1} X'``, truncated at zero.

    Reference: Hedges LV (1983). A random effects model for effect sizes.
    *Psychological Bulletin* 93:388-395; Hedges LV, Olkin I (1985).
    *Statistical Methods for Meta-Analysis*. Academic Press.
    """
    k, p = X.shape
    raw, trPV = _he_raw(yi, vi, X)
    PV = (np.eye(k) - X @ np.linalg.inv(X.T @ X) @ X.T) * vi[None, :]
    tau2 = max(0.0, raw)
    se = np.sqrt(
        1.0 / (k - p) ** 2 * (2 * np.sum(PV * PV.T) + 4 * tau2 * trPV + 2 * tau2**2 * (k - p))
    )
    return Tau2Estimate(tau2, float(se))


def tau2_sj(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    control: Control | None = None,
) -> Tau2Estimate:
    """Sidik-Jonkman estimator.

    Starts from ``tau2_0 = sum((y - ybar)^2) / k`` and sets
    ``tau2 = tau2_0 * Q(tau2_0) / (k - p)`` where ``Q`` uses weights
    ``1 / (vi + tau2_0)``.  Never negative.

    Reference: Sidik K, Jonkman JN (2005). Simple heterogeneity variance
    estimation for meta-analysis. *Journal of the Royal Statistical Society C*
    54:367-384.
    """
    control = control or Control()
    k, p = X.shape
    tau2_0 = (
        float(np.mean((yi - yi.mean()) ** 2)) if control.tau2_init is None else control.tau2_init
    )
    w = 1.0 / (vi + tau2_0)
    P = _projection(X, w)
    rss = float(yi @ P @ yi)
    tau2 = max(0.0, tau2_0 * rss / (k - p))
    PV = P * vi[None, :]
    se = np.sqrt(
        tau2_0**2
        / (k - p) ** 2
        * (2 * np.sum(PV * PV.T) + 4 * tau2 * np.sum(PV * P) + 2 * tau2**2 * np.sum(P * P))
    )
    return Tau2Estimate(tau2, float(se))


def _loglik(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    tau2: float,
    reml: bool,
) -> float:
    k, p = X.shape
    w = 1.0 / (vi + tau2)
    WX = X * w[:, None]
    XWX = X.T @ WX
    beta = np.linalg.solve(XWX, WX.T @ yi)
    rss = float(np.sum(w * (yi - X @ beta) ** 2))
    if reml:
        return (
            -0.5 * (k - p) * np.log(2 * np.pi)
            - 0.5 * float(np.sum(np.log(vi + tau2)))
            - 0.5 * float(np.linalg.slogdet(XWX)[1])
            - 0.5 * rss
        )
    return -0.5 * k * np.log(2 * np.pi) - 0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * rss


def _fisher_scoring(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    method: str,
    control: Control,
) -> Tau2Estimate:
    k, p = X.shape
    if p == 1 and (X[:, 0] == 1.0).all():
        return _fisher_scoring_intercept(yi, vi, method, control)
    tau2 = max(0.0, _he_raw(yi, vi, X)[0]) if control.tau2_init is None else float(control.tau2_init)
    change = control.threshold + 1.0
    it = 0
    converged = True
    while change > control.threshold:
        it += 1
        old = tau2
        w = 1.0 / (vi + tau2)
        P = _Proj(X, w)
        if method == "ML":
            Py = P.apply(yi)
            adj = (float(Py @ Py) - float(np.sum(w))) / float(np.sum(w**2))
        elif method == "REML":
            Py = P.apply(yi)
            adj = (float(Py @ Py) - P.trace()) / P.trace_pp()
        else:  # EB
            adj = (P.quad(yi) * k / (k - p) - k) / float(np.sum(w))
        adj *= control.stepadj
        if np.isnan(adj):
            adj = 0.0
        while tau2 + adj < 0.0:
            adj /= 2.0
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if it > control.maxiter:
            converged = False
            break
    if not converged:
        _not_converged(method, control)
    if method in ("ML", "REML") and control.ll0check and np.all(vi > 0):
        reml = method == "REML"
        ll0 = _loglik(yi, vi, X, 0.0, reml)
        ll = _loglik(yi, vi, X, tau2, reml)
        if ll0 - ll > control.tol and tau2 > control.threshold:
            tau2 = 0.0
    tau2 = max(0.0, tau2)
    w = 1.0 / (vi + tau2)
    if method == "ML":
        se = np.sqrt(2.0 / np.sum(w**2))
    elif method == "REML":
        se = np.sqrt(2.0 / _Proj(X, w).trace_pp())
    else:
        se = np.sqrt(2.0 * k**2 / (k - p) / np.sum(w) ** 2)
    return Tau2Estimate(tau2, float(se), it, True)


def _not_converged(method: str, control: Control) -> None:
    raise ConvergenceError(
        f"Fisher scoring for {method} did not converge in {control.maxiter} iterations; "
        "increase Control.maxiter or lower Control.stepadj"
    )


def _fisher_scoring_intercept(
    yi: NDArray[np.float64], vi: NDArray[np.float64], method: str, control: Control
) -> Tau2Estimate:
    """The same iterations for an intercept-only model, compiled (see ``_intercept``)."""
    if control.tau2_init is not None and not control.tau2_init >= 0.0:
        raise ValueError(f"Control.tau2_init must be >= 0, got {control.tau2_init}")
    init = -1.0 if control.tau2_init is None else float(control.tau2_init)
    tau2, se, it, converged = _intercept.fisher_scoring(
        np.ascontiguousarray(yi, dtype=np.float64), np.ascontiguousarray(vi, dtype=np.float64),
        _intercept.METHOD_CODES[method], init, control.threshold, control.maxiter, control.stepadj,
        control.ll0check, control.tol)
    if not converged:
        _not_converged(method, control)
    return Tau2Estimate(tau2, se, it, True)


def tau2_ml(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    control: Control | None = None,
) -> Tau2Estimate:
    """Maximum-likelihood estimator (Fisher scoring, started at the HE value).

    Update: ``tau2 += (y'PPy - sum(w)) / sum(w^2)`` until the change is below
    ``Control.threshold`` (1e-5), step-halving to stay non-negative.

    Reference: Viechtbauer W (2005). Bias and efficiency of meta-analytic
    variance estimators in the random-effects model. *Journal of Educational
    and Behavioral Statistics* 30:261-293.
    """
    return _fisher_scoring(yi, vi, X, "ML", control or Control())


def tau2_reml(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    control: Control | None = None,
) -> Tau2Estimate:
    """Restricted maximum-likelihood estimator (Fisher scoring).

    Update: ``tau2 += (y'PPy - tr(P)) / tr(PP)``, started at the HE value.

    Reference: Viechtbauer W (2005). Bias and efficiency of meta-analytic
    variance estimators in the random-effects model. *Journal of Educational
    and Behavioral Statistics* 30:261-293.
    """
    return _fisher_scoring(yi, vi, X, "REML", control or Control())


def tau2_eb(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    control: Control | None = None,
) -> Tau2Estimate:
    """Empirical Bayes estimator.

    Iterates ``tau2 += (Q(tau2) k/(k-p) - k) / sum(w)``; its fixed point solves
    the same equation as Paule-Mandel, ``Q(tau2) = k - p``.

    Reference: Morris CN (1983). Parametric empirical Bayes inference: theory
    and applications. *Journal of the American Statistical Association*
    78:47-55; Berkey CS et al. (1995). *Statistics in Medicine* 14:395-411.
    """
    return _fisher_scoring(yi, vi, X, "EB", control or Control())


def tau2_pm(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    control: Control | None = None,
) -> Tau2Estimate:
    """Paule-Mandel estimator: the root of ``Q(tau2) = k - p``.

    Solved with Brent's root finder on ``[0, tau2_max]`` with R's tolerance,
    exactly as metafor; ``tau2 = 0`` when ``Q(0) < k - p``.

    Reference: Paule RC, Mandel J (1982). Consensus values and weighting
    factors. *Journal of Research of the National Bureau of Standards*
    87:377-385.
    """
    control = control or Control()
    k, p = X.shape
    target = float(k - p)
    tau2_max = control.tau2_max
    if tau2_max is None:
        tau2_max = max(100.0, 10.0 * _r_mad(yi) ** 2)

    def f(t: float) -> float:
        return q_statistic(yi, vi, X, t) - target

    f0 = f(0.0)
    if f0 < 0:
        tau2 = 0.0
    else:
        fmax = f(tau2_max)
        if fmax > 0:
            raise ConvergenceError("Paule-Mandel: tau2_max too low; increase Control.tau2_max")
        res = uniroot(
            f, 0.0, tau2_max, tol=control.tol, maxiter=control.maxiter, f_lower=f0, f_upper=fmax
        )
        if not res.converged:
            raise ConvergenceError("Paule-Mandel root finding did not converge")
        tau2 = max(0.0, res.root)
    w = 1.0 / (vi + tau2)
    se = np.sqrt(2.0 * k**2 / (k - p) / np.sum(w) ** 2)
    return Tau2Estimate(tau2, float(se))


def estimate_tau2(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    method: str,
    control: Control | None = None,
) -> Tau2Estimate:
    """Dispatch to the estimator named ``method`` (one of :data:`METHODS`).

    The outcomes are mean-centred first, as in metafor.
    """
    control = control or Control()
    method = method.upper()
    yc = yi - yi.mean()
    if method == "FE":
        return Tau2Estimate(0.0, float("nan"))
    if method in ("DL", "PM") and np.any(vi <= 0):
        raise ValueError(f"{method} estimator cannot be used with non-positive sampling variances")
    if method == "DL":
        return tau2_dl(yc, vi, X)
    if method == "HE":
        return tau2_he(yc, vi, X)
    if method == "SJ":
        return tau2_sj(yc, vi, X, control)
    if method == "ML":
        return tau2_ml(yc, vi, X, control)
    if method == "REML":
        return tau2_reml(yc, vi, X, control)
    if method == "EB":
        return tau2_eb(yc, vi, X, control)
    if method == "PM":
        return tau2_pm(yc, vi, X, control)
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class Tau2Interval:
    """Q-profile confidence interval for tau^2 (``lb_note``/``ub_note``: metafor's
    ``"<"``/``">"`` flags when a limit lies at the edge of the search interval)."""

    lower: float
    upper: float
    lb_note: str = ""
    ub_note: str = ""


def qprofile_ci(
    yi: NDArray[np.float64],
    vi: NDArray[np.float64],
    X: NDArray[np.float64],
    tau2: float,
    level: float = 95.0,
    control: Control | None = None,
) -> Tau2Interval:
    """Q-profile confidence interval for tau^2.

    The limits solve ``Q(tau2) = chi2_{k-p; 1-alpha/2}`` (lower limit) and
    ``Q(tau2) = chi2_{k-p; alpha/2}`` (upper limit), with the search interval
    ``[0, max(100, 10 tau2)]``; a limit is set to 0 when ``Q(0)`` is already
    below the corresponding quantile (metafor's ``confint.rma.uni``).

    Reference: Viechtbauer W (2007). Confidence intervals for the amount of
    heterogeneity in meta-analysis. *Statistics in Medicine* 26:37-52.
    """
    control = control or Control()
    k, p = X.shape
    alpha = 1.0 - level / 100.0
    crit_u = float(stats.chi2.isf(alpha / 2.0, k - p))
    crit_l = float(stats.chi2.ppf(alpha / 2.0, k - p))
    t_min = min(0.0, tau2)
    t_max = max(100.0, tau2 * 10.0, t_min * 10.0)
    tol = control.tol

    def qf(t: float) -> float:
        return q_statistic(yi, vi, X, t)

    q_max = qf(t_max)
    q_min = qf(t_min)
    lb = ub = float("nan")
    lb_note = ub_note = ""
    if q_min < crit_l:
        lb = ub = t_min
        lb_note = ub_note = "<"
    elif q_max > crit_l:
        ub = t_max
        ub_note = ">"
    else:
        ub = uniroot(
            lambda t: qf(t) - crit_l,
            t_min,
            t_max,
            tol=tol,
            maxiter=1000,
            f_lower=q_min - crit_l,
            f_upper=q_max - crit_l,
        ).root
    if q_max > crit_u:
        lb = ub = t_max
        lb_note = ub_note = ">"
    elif q_min < crit_u:
        lb = t_min
    else:
        lb = uniroot(
            lambda t: qf(t) - crit_u,
            t_min,
            t_max,
            tol=tol,
            maxiter=1000,
            f_lower=q_min - crit_u,
            f_upper=q_max - crit_u,
        ).root
    return Tau2Interval(float(lb), float(ub), lb_note, ub_note)
