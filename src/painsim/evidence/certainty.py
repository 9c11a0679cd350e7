"""GRADE-style certainty hints from the numbers of a meta-analysis.

This is a *heuristic aid*, not a GRADE assessment: risk of bias and
indirectness cannot be judged from effect sizes, and every judgement below
must be checked by a person who knows the studies.  The rules:

Inconsistency (from I^2, Cochrane Handbook ch. 10.10.2 ranges)
    I^2 < 40 %: not serious; 40-75 %: serious (-1); >= 75 %: very serious
    (-2) when the prediction interval also includes the null, otherwise
    serious (-1).
Imprecision (from the confidence interval)
    CI excludes the null: not serious; CI includes the null: serious (-1);
    CI includes the null *and* both appreciable benefit and harm: very
    serious (-2).  "Appreciable" means beyond +/-0.5 for the SMD, beyond a
    ratio of 1.25 (or 1/1.25) for RR and OR, and beyond half the absolute
    pooled estimate for MD, RD and generic effects.
Publication bias (Egger's test, only with k >= 10 studies; Sterne et al. 2011)
    Egger p < 0.10: suspected (-1); otherwise undetected; k < 10: not assessed.

Starting from "high" (randomised trials), each level of downgrading moves to
moderate, low and very low.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from painsim.evidence.effect_sizes import LOG_MEASURES
from painsim.evidence.rma import RMAResult

LEVELS = ("high", "moderate", "low", "very low")


@dataclass(frozen=True)
class Domain:
    """One GRADE domain judgement."""

    name: str
    rating: str
    downgrade: int
    reason: str


@dataclass(frozen=True)
class CertaintySummary:
    """Domain judgements and the resulting overall certainty."""

    domains: tuple[Domain, ...]
    overall: str
    note: str = (
        "Heuristic aid from the numbers only; risk of bias and indirectness are not assessed."
    )

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "overall": self.overall,
            "domains": [d.__dict__.copy() for d in self.domains],
            "note": self.note,
        }

    def lines(self) -> list[str]:
        """Human-readable lines."""
        out = [f"Certainty (GRADE-style hint): {self.overall.upper()}"]
        for d in self.domains:
            sign = f" ({-d.downgrade:+d})" if d.downgrade else ""
            out.append(f"  {d.name}: {d.rating}{sign} - {d.reason}")
        out.append(f"  Note: {self.note}")
        return out


def _appreciable(measure: str, estimate: float) -> float:
    """Threshold (analysis scale) for an appreciable effect."""
    if measure in LOG_MEASURES:
        return float(np.log(1.25))
    if measure == "SMD":
        return 0.5
    return max(abs(estimate) / 2.0, 1e-12)


def assess_certainty(fit: RMAResult, egger_p: float | None = None) -> CertaintySummary:
    """GRADE-style hints for inconsistency, imprecision and publication bias.

    Parameters
    ----------
    fit
        Intercept-only model.
    egger_p
        p-value of Egger's test; computed from ``fit`` when ``None`` and
        ``k >= 10``.

    Returns
    -------
    CertaintySummary

    Examples
    --------
    >>> from painsim.evidence import rma
    >>> s = assess_certainty(rma([0.30, 0.35, 0.28, 0.33], [0.01, 0.012, 0.011, 0.009]))
    >>> s.overall
    'high'
    """
    domains: list[Domain] = []
    pi_lb, pi_ub = fit.pi_lb, fit.pi_ub
    # inconsistency
    if fit.k < 2 or np.isnan(fit.i2):
        domains.append(Domain("Inconsistency", "not assessable", 0, "fewer than 2 studies"))
    elif fit.i2 < 40:
        domains.append(Domain("Inconsistency", "not serious", 0, f"I^2 = {fit.i2:.0f}% (< 40%)"))
    elif fit.i2 < 75 or pi_lb is None or not (pi_lb <= 0.0 <= pi_ub):
        domains.append(Domain("Inconsistency", "serious", 1, f"I^2 = {fit.i2:.0f}%"))
    else:
        domains.append(
            Domain(
                "Inconsistency",
                "very serious",
                2,
                f"I^2 = {fit.i2:.0f}% (>= 75%) and the prediction interval includes no effect",
            )
        )
    # imprecision
    lo, hi = float(fit.ci_lb[0]), float(fit.ci_ub[0])
    thr = _appreciable(fit.measure, fit.estimate)
    if not (lo <= 0.0 <= hi):
        domains.append(Domain("Imprecision", "not serious", 0, "CI excludes no effect"))
    elif lo < -thr and hi > thr:
        domains.append(
            Domain(
                "Imprecision",
                "very serious",
                2,
                "CI includes no effect and both appreciable benefit and harm",
            )
        )
    else:
        domains.append(Domain("Imprecision", "serious", 1, "CI includes no effect"))
    # publication bias
    if fit.k < 10:
        domains.append(
            Domain(
                "Publication bias", "not assessed", 0, f"k = {fit.k} < 10 (Egger's test unreliable)"
            )
        )
    else:
        if egger_p is None:
            from painsim.evidence.diagnostics import regtest

            egger_p = regtest(fit).pval
        if egger_p < 0.10:
            domains.append(
                Domain("Publication bias", "suspected", 1, f"Egger's test p = {egger_p:.3f} < 0.10")
            )
        else:
            domains.append(
                Domain("Publication bias", "undetected", 0, f"Egger's test p = {egger_p:.3f}")
            )
    total = min(3, sum(d.downgrade for d in domains))
    return CertaintySummary(tuple(domains), LEVELS[total])
