"""Sensitivity and small-study diagnostics: leave-one-out, cumulative
meta-analysis, subgroup analysis, Egger's regression test and trim-and-fill.

Each function mirrors the metafor 3.8 function of the same purpose
(``leave1out``, ``cumul``, ``rma(mods = ~ factor(g))``, ``regtest``,
``trimfill``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from painsim.evidence.rma import RMAResult, rma


def _require_int_only(fit: RMAResult, what: str) -> None:
    if not fit.int_only:
        raise ValueError(f"{what} is only applicable to models without moderators")
    if fit.k < 2:
        raise ValueError(f"{what} needs k >= 2 studies")


@dataclass(frozen=True)
class SequentialResult:
    """Estimates from a sequence of refitted models (one row per refit)."""

    labels: tuple[str, ...]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    zval: NDArray[np.float64]
    pval: NDArray[np.float64]
    ci_lb: NDArray[np.float64]
    ci_ub: NDArray[np.float64]
    q: NDArray[np.float64]
    q_p: NDArray[np.float64]
    tau2: NDArray[np.float64]
    i2: NDArray[np.float64]
    h2: NDArray[np.float64]

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row (NaN becomes ``None``)."""
        cols = ("estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "q", "q_p", "tau2", "i2", "h2")
        rows = []
        for i, lab in enumerate(self.labels):
            row: dict[str, Any] = {"study": lab}
            for c in cols:
                v = float(getattr(self, c)[i])
                row[c] = None if np.isnan(v) else v
            rows.append(row)
        return rows


class LeaveOneOutResult(SequentialResult):
    """Row ``i``: the model refitted without study ``i``."""


class CumulativeResult(SequentialResult):
    """Row ``i``: the model fitted to the first ``i + 1`` studies (in the chosen order)."""


def _collect(fits: list[RMAResult | None], labels: Sequence[str]) -> dict[str, Any]:
    def col(attr: str) -> NDArray[np.float64]:
        out = []
        for f in fits:
            if f is None:
                out.append(np.nan)
                continue
            v = getattr(f, attr)
            out.append(float(v[0]) if isinstance(v, np.ndarray) else float(v))
        return np.asarray(out, dtype=float)

    return {
        "labels": tuple(labels),
        "estimate": col("beta"),
        "se": col("se"),
        "zval": col("zval"),
        "pval": col("pval"),
        "ci_lb": col("ci_lb"),
        "ci_ub": col("ci_ub"),
        "q": col("q"),
        "q_p": col("q_p"),
        "tau2": col("tau2"),
        "i2": col("i2"),
        "h2": col("h2"),
    }


def _refit(fit: RMAResult, idx: NDArray[np.intp]) -> RMAResult | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return rma(
                fit.yi[idx],
                fit.vi[idx],
                method=fit.method,
                test=fit.test,
                level=fit.level,
                measure=fit.measure,
                control=fit.control,
                compute_ci=False,
                compute_r2=False,
            )
    except (ValueError, RuntimeError, np.linalg.LinAlgError):
        return None


def leave1out(fit: RMAResult) -> LeaveOneOutResult:
    """Leave-one-out sensitivity analysis (metafor ``leave1out``).

    Examples
    --------
    >>> fit = rma([0.1, 0.4, 0.3, 0.9], [0.02, 0.03, 0.02, 0.05], method="DL")
    >>> l1o = leave1out(fit)
    >>> len(l1o.estimate)
    4
    """
    _require_int_only(fit, "leave-one-out")
    fits = [_refit(fit, np.delete(np.arange(fit.k), i)) for i in range(fit.k)]
    return LeaveOneOutResult(**_collect(fits, fit.labels))


def cumulative(fit: RMAResult, order: ArrayLike | None = None) -> CumulativeResult:
    """Cumulative meta-analysis (metafor ``cumul``).

    Parameters
    ----------
    fit
        Intercept-only model.
    order
        Values to sort the studies by (e.g. publication year; a stable sort as
        R's ``order``), or ``None`` for the given order.

    Examples
    --------
    >>> fit = rma([0.1, 0.4, 0.3], [0.02, 0.03, 0.02], method="FE")
    >>> cu = cumulative(fit, order=[2001, 1999, 2005])
    >>> cu.labels
    ('Study 2', 'Study 1', 'Study 3')
    """
    _require_int_only(fit, "cumulative meta-analysis")
    if order is None:
        perm = np.arange(fit.k)
    else:
        key = np.asarray(order)
        if key.size != fit.k:
            raise ValueError("order must have one value per study")
        perm = np.argsort(key, kind="stable")
    fits = [_refit(fit, perm[: i + 1]) for i in range(fit.k)]
    return CumulativeResult(**_collect(fits, [fit.labels[i] for i in perm]))


# --------------------------------------------------------------------- subgroups
@dataclass(frozen=True)
class SubgroupResult:
    """Per-subgroup models plus tests of subgroup differences.

    Attributes
    ----------
    groups
        Subgroup names (sorted).
    fits
        One intercept-only model per subgroup (its own tau^2).
    q_between, q_between_df, q_between_p
        Test of subgroup differences with separate tau^2 per subgroup
        (RevMan / Borenstein et al. 2009, ch. 19): the Q statistic of a
        fixed-effect meta-analysis of the subgroup estimates.
    mixed
        Mixed-effects meta-regression on subgroup dummies (common tau^2), as
        ``rma(yi, vi, mods = ~ factor(group))``; its omnibus test ``mixed.qm``
        is metafor's test of subgroup differences.
    """

    groups: tuple[str, ...]
    fits: tuple[RMAResult, ...]
    q_between: float
    q_between_df: int
    q_between_p: float
    mixed: RMAResult | None

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "groups": [
                {"group": g, **f.to_dict()} for g, f in zip(self.groups, self.fits, strict=True)
            ],
            "q_between": self.q_between,
            "q_between_df": self.q_between_df,
            "q_between_p": self.q_between_p,
            "qm": None if self.mixed is None else self.mixed.qm,
            "qm_df": None if self.mixed is None else list(self.mixed.qm_df),
            "qm_p": None if self.mixed is None else self.mixed.qm_p,
        }


def subgroup_analysis(
    yi: ArrayLike,
    vi: ArrayLike,
    groups: Sequence[Any],
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    measure: str = "GEN",
    labels: Sequence[str] | None = None,
) -> SubgroupResult:
    """Subgroup analysis with a test of subgroup differences.

    Parameters
    ----------
    yi, vi
        Effect sizes and sampling variances.
    groups
        Subgroup of each study.
    method, test, level, measure, labels
        As for :func:`~painsim.evidence.rma.rma`.

    Examples
    --------
    >>> res = subgroup_analysis([0.1, 0.2, 0.6, 0.7], [0.01, 0.02, 0.01, 0.02],
    ...                         ["a", "a", "b", "b"], method="FE")
    >>> res.groups, round(res.q_between, 3)
    (('a', 'b'), 18.75)
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    g = np.asarray([str(x) for x in groups])
    if g.size != y.size:
        raise ValueError("groups must have one entry per study")
    names = tuple(sorted(set(g.tolist())))
    if len(names) < 2:
        raise ValueError("subgroup analysis needs at least two subgroups")
    lab = np.asarray(labels if labels is not None else [f"Study {i + 1}" for i in range(y.size)])
    fits = []
    for name in names:
        sel = g == name
        fits.append(
            rma(
                y[sel],
                v[sel],
                method=method if sel.sum() > 1 else "FE",
                test=test,
                level=level,
                measure=measure,
                labels=list(lab[sel]),
            )
        )
    est = np.array([f.estimate for f in fits])
    se = np.array([f.se[0] for f in fits])
    between = rma(est, se**2, method="FE", compute_ci=False)
    dummies = {f"group{n}": (g == n).astype(float) for n in names[1:]}
    mixed: RMAResult | None
    try:
        mixed = rma(
            y,
            v,
            mods=dummies,
            method=method,
            test=test,
            level=level,
            measure=measure,
            labels=list(lab),
            compute_ci=False,
        )
    except (ValueError, RuntimeError):
        mixed = None
    return SubgroupResult(
        groups=names,
        fits=tuple(fits),
        q_between=between.q,
        q_between_df=len(names) - 1,
        q_between_p=float(stats.chi2.sf(between.q, len(names) - 1)),
        mixed=mixed,
    )


# ----------------------------------------------------------------- Egger's test
@dataclass(frozen=True)
class RegTestResult:
    """Egger's regression test for funnel-plot asymmetry.

    ``zval``/``pval`` test the coefficient of the standard error (a t test
    with ``dfs`` degrees of freedom for ``test="knha"``); ``est`` with
    ``ci_lb``/``ci_ub`` is the limit estimate (the intercept: the effect
    expected for a study with standard error 0).
    """

    zval: float
    pval: float
    dfs: int | None
    est: float
    ci_lb: float
    ci_ub: float
    fit: RMAResult

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "zval": self.zval,
            "pval": self.pval,
            "dfs": self.dfs,
            "limit_estimate": self.est,
            "limit_ci_lb": self.ci_lb,
            "limit_ci_ub": self.ci_ub,
        }


def regtest(fit: RMAResult) -> RegTestResult:
    """Egger's regression test (metafor ``regtest(model = "rma", predictor = "sei")``).

    Fits the meta-regression ``y_i = b0 + b1 * sqrt(v_i)`` with the same
    estimator and test as ``fit`` and tests ``b1 = 0``.

    Reference: Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in
    meta-analysis detected by a simple, graphical test. *BMJ* 315:629-634.
    """
    _require_int_only(fit, "Egger's regression test")
    if fit.k < 3:
        raise ValueError("Egger's regression test needs k >= 3 studies")
    reg = rma(
        fit.yi,
        fit.vi,
        mods={"sei": np.sqrt(fit.vi)},
        method=fit.method,
        test=fit.test,
        level=fit.level,
        control=fit.control,
        compute_ci=False,
        compute_r2=False,
    )
    return RegTestResult(
        zval=float(reg.zval[1]),
        pval=float(reg.pval[1]),
        dfs=reg.ddf,
        est=float(reg.beta[0]),
        ci_lb=float(reg.ci_lb[0]),
        ci_ub=float(reg.ci_ub[0]),
        fit=reg,
    )


# --------------------------------------------------------------- trim-and-fill
@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill: estimated number of missing studies and the filled model.

    ``fit`` is the model refitted to the observed plus filled studies
    (``fill[i]`` marks the imputed ones); when ``k0 == 0`` it is the original
    model.
    """

    k0: int
    se_k0: float
    side: str
    fit: RMAResult
    fill: NDArray[np.bool_]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        d = self.fit.to_dict()
        return {"k0": self.k0, "se_k0": self.se_k0, "side": self.side, "filled_model": d}


def trimfill(fit: RMAResult, side: str | None = None, maxiter: int = 100) -> TrimFillResult:
    """Duval & Tweedie's trim-and-fill method with the L0 estimator (metafor ``trimfill``).

    Parameters
    ----------
    fit
        Intercept-only model.
    side
        Side on which studies are assumed missing (``"left"``/``"right"``);
        by default chosen from the sign of Egger's slope, as metafor does.
    maxiter
        Maximum number of trim iterations.

    Notes
    -----
    As in metafor 3.8 the filled model is refitted with the same tau^2
    estimator but with the default ``test="z"``.

    Reference: Duval S, Tweedie R (2000). Trim and fill: a simple
    funnel-plot-based method of testing and adjusting for publication bias in
    meta-analysis. *Biometrics* 56:455-463; Duval S, Tweedie R (2000). A
    nonparametric "trim and fill" method of accounting for publication bias.
    *JASA* 95:89-98.
    """
    _require_int_only(fit, "trim-and-fill")
    method = fit.method
    if side is None:
        reg = rma(
            fit.yi,
            fit.vi,
            mods={"sei": np.sqrt(fit.vi)},
            method=method,
            control=fit.control,
            compute_ci=False,
            compute_r2=False,
        )
        side = "right" if reg.beta[1] < 0 else "left"
    if side not in ("left", "right"):
        raise ValueError("side must be 'left' or 'right'")
    yi = fit.yi.copy()
    if side == "right":
        yi = -yi
    ix = np.argsort(yi, kind="stable")
    yi = yi[ix]
    vi = fit.vi[ix]
    k = fit.k
    k0_prev, k0 = -1, 0
    it = 0
    beta = 0.0
    yi_c = yi.copy()
    se_k0 = 0.0
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise RuntimeError("trim-and-fill did not converge")
        sub = rma(
            yi[: k - k0],
            vi[: k - k0],
            method=method,
            control=fit.control,
            compute_ci=False,
            compute_r2=False,
        )
        beta = sub.estimate
        yi_c = yi - beta
        ranks = stats.rankdata(np.abs(yi_c), method="ordinal")
        signed = np.sign(yi_c) * ranks
        sr = float(np.sum(signed[signed > 0]))
        k0f = (4 * sr - k * (k + 1)) / (2 * k - 1)
        var_sr = (1 / 24) * (
            k * (k + 1) * (2 * k + 1)
            + 10 * k0f**3
            + 27 * k0f**2
            + 17 * k0f
            - 18 * k * k0f**2
            - 18 * k * k0f
            + 6 * k**2 * k0f
        )
        se_k0 = max(0.0, 4 * np.sqrt(var_sr) / (2 * k - 1)) if var_sr >= 0 else float("nan")
        k0 = max(0, round(k0f))  # R's round(): half to even, as Python's
    if k0 == 0:
        return TrimFillResult(0, float(se_k0), side, fit, np.zeros(fit.k, dtype=bool))
    yi_c = -(yi_c - beta) if side == "right" else yi_c - beta
    y_fill = -yi_c[k - k0 :]
    v_fill = vi[k - k0 :]
    labels = list(fit.labels) + [f"Filled {i + 1}" for i in range(k0)]
    filled = rma(
        np.concatenate([fit.yi, y_fill]),
        np.concatenate([fit.vi, v_fill]),
        method=method,
        measure=fit.measure,
        labels=labels,
        level=fit.level,
        control=fit.control,
    )
    fill = np.concatenate([np.zeros(fit.k, dtype=bool), np.ones(k0, dtype=bool)])
    return TrimFillResult(int(k0), float(se_k0), side, filled, fill)
