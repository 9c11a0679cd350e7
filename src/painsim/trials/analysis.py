"""Analysis of a virtual trial as trialists do it, with statsmodels.

* **ANCOVA** on change from baseline adjusted for baseline (one OLS model per outcome and
  visit over all arms, treatment-coded against the comparator): the adjusted mean difference
  (arm minus comparator) with its (1 - alpha) CI.
* **SMD**: Hedges' g of the adjusted difference, ``g = J(m) * md / s_pooled`` with the pooled SD
  of the outcome at the visit in the two arms, computed with :func:`painsim.evidence.escalc`
  (``measure="SMD"``), so it equals metafor's SMD for those means, SDs and sizes.
* **Responders** (improvement from baseline of at least 30% or 50%): proportions per arm and
  the risk difference (``escalc("RD")``) with a Wald CI.
* **Intention to treat**: everyone analysed as randomised. Missed visits are handled by
  ``mi`` (multiple imputation: a proper Bayesian linear-regression draw per outcome and visit
  given arm, both baselines, sessions attended and stopping care; estimates pooled with
  Rubin's rules and Barnard-Rubin degrees of freedom), ``mixed`` (a linear mixed model over
  all visits with a random intercept per participant, statsmodels MixedLM, arm-by-visit and
  baseline-by-visit terms) or ``complete_case``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from painsim.evidence import escalc
from painsim.trials.run import IMPUTATION, TrialData
from painsim.trials.spec import OUTCOMES

Pair = tuple[str, str]


@dataclass
class TrialResult:
    """Analysed trial: comparisons, responders, arm means by visit and the CONSORT flow."""

    data: TrialData
    method: str
    comparisons: pd.DataFrame
    responders: pd.DataFrame
    means: pd.DataFrame
    flow: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``painsim trial FILE --json`` (schema in docs/trials.md)."""
        spec = self.data.spec
        arms = {}
        for name, counts in self.flow["arms"].items():
            rows = self.data.frame[self.data.frame["arm"] == name]
            means = self.means[self.means["arm"] == name]
            arms[name] = {
                "label": spec.arms[name].label or name,
                "n_randomised": counts["allocated"],
                "n_followed_up": counts["followed_up"],
                "n_analysed": counts["analysed"],
                "received_allocated_care": counts["received_allocated_care"],
                "stopped_care": counts["stopped_care"],
                "sessions_attended_mean": float(rows["sessions_attended"].mean()),
                "means": {o: {str(int(r.week)): _num(r.mean) for r in means[means["outcome"] == o].itertuples()}
                          for o in spec.outcomes.measures},
            }
        return {
            "trial": spec.name,
            "title": spec.title,
            "seed": self.data.seed,
            "method": self.method,
            "alpha": spec.analysis.alpha,
            "flow": {k: v for k, v in self.flow.items() if k != "arms"},
            "arms": arms,
            "comparisons": _records(self.comparisons),
            "responders": _records(self.responders),
        }

    def primary(self) -> pd.Series:
        """The row of :attr:`comparisons` for the spec's primary comparison."""
        outcome, week, arm, comparator = self.data.spec.primary()
        c = self.comparisons
        rows = c[(c.outcome == outcome) & (c.week == week) & (c.arm == arm) & (c.comparator == comparator)]
        return rows.iloc[0]

    def plot(self, path: str | None = None, ax: Any = None) -> Any:
        """Outcome means (95% CI of observed values) by visit week per arm; returns the Figure."""
        from painsim.trials.plots import plot_by_visit

        return plot_by_visit(self, path)


def analyse(data: TrialData, method: str | None = None, pairs: list[Pair] | None = None,
            outcomes: tuple[str, ...] | None = None, weeks: tuple[int, ...] | None = None,
            responders: bool = True) -> TrialResult:
    """Analyse a trial (intention to treat). ``method``: "mi", "mixed" or "complete_case"
    (default: the spec's); ``pairs``, ``outcomes``, ``weeks`` restrict what is estimated."""
    spec = data.spec
    method = method or spec.analysis.missing
    if method not in ("mi", "mixed", "complete_case"):
        raise ValueError(f"unknown analysis method {method!r}; allowed: mi, mixed, complete_case")
    pairs = pairs or spec.comparison_pairs()
    outcomes = outcomes or spec.outcomes.measures
    weeks = weeks or spec.visits.weeks
    thresholds = spec.outcomes.responder_thresholds if responders else ()
    alpha = spec.analysis.alpha
    if method == "mixed":
        comp, resp = _mixed(data, pairs, outcomes, weeks, thresholds, alpha)
    else:
        completed = (_impute(data, outcomes, weeks, spec.analysis.imputations) if method == "mi"
                     else [_observed(data, outcomes, weeks)])
        comp, resp = _pooled(data, completed, pairs, outcomes, weeks, thresholds, alpha, method == "mi")
    flow = dict(data.flow)
    flow["arms"] = {name: {**counts, "analysed": counts["allocated"] if method != "complete_case"
                           else {str(w): counts["followed_up"][str(w)] for w in spec.visits.weeks}}
                    for name, counts in data.flow["arms"].items()}
    return TrialResult(data=data, method=method, comparisons=comp, responders=resp,
                       means=arm_means(data, outcomes), flow=flow)


# --- ANCOVA ---------------------------------------------------------------------------------

def ancova_design(frame: pd.DataFrame, outcome: str, arms: list[str], comparator: str) -> tuple[np.ndarray, np.ndarray,
                                                                                                list[str]]:
    """Design of the ANCOVA ``change ~ arm (treatment-coded vs comparator) + baseline``:
    (y, X, column names), columns ``const``, one per other arm, ``baseline``."""
    others = [a for a in arms if a != comparator]
    arm = frame["arm"].to_numpy()
    X = np.column_stack([np.ones(len(frame)), *[(arm == a).astype(float) for a in others],
                         frame[f"baseline_{outcome}"].to_numpy(dtype=float)])
    y = frame[outcome].to_numpy(dtype=float) - frame[f"baseline_{outcome}"].to_numpy(dtype=float)
    return y, X, ["const", *others, "baseline"]


def ancova(frame: pd.DataFrame, outcome: str, arms: list[str], comparator: str):
    """Fit the ANCOVA on change with statsmodels OLS; returns the fitted results and the
    column names (the coefficient of each arm is its adjusted difference from the comparator)."""
    import statsmodels.api as sm

    y, X, names = ancova_design(frame, outcome, arms, comparator)
    return sm.OLS(y, X).fit(), names


# --- data sets ------------------------------------------------------------------------------

def _observed(data: TrialData, outcomes, weeks) -> dict[tuple[str, int], pd.DataFrame]:
    out = {}
    for week in weeks:
        rows = data.frame[data.frame[f"observed_{week}"]]
        for outcome in outcomes:
            out[outcome, week] = _cell(rows, outcome, rows[f"{outcome}_{week}"].to_numpy(dtype=float))
    return out


def _cell(rows: pd.DataFrame, outcome: str, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"arm": rows["arm"].to_numpy(), f"baseline_{outcome}": rows[f"baseline_{outcome}"].to_numpy(),
                         outcome: values})


def _impute(data: TrialData, outcomes, weeks, m: int) -> list[dict[tuple[str, int], pd.DataFrame]]:
    """``m`` completed data sets: missing visit values drawn from the posterior predictive of a
    normal linear regression (flat prior) on arm, baselines, sessions attended and stopping care."""
    frame = data.frame
    arms = list(data.spec.arms)
    rng = np.random.default_rng([data.seed, IMPUTATION])
    arm = frame["arm"].to_numpy()
    X = np.column_stack([np.ones(len(frame)), *[(arm == a).astype(float) for a in arms[1:]],
                         *[frame[f"baseline_{o}"].to_numpy(dtype=float) for o in OUTCOMES],
                         frame["sessions_attended"].to_numpy(dtype=float),
                         frame["care_dropout_day"].notna().to_numpy(dtype=float)])
    completed: list[dict[tuple[str, int], pd.DataFrame]] = [{} for _ in range(m)]
    for week in weeks:
        seen = frame[f"observed_{week}"].to_numpy()
        for outcome in outcomes:
            y = frame[f"{outcome}_{week}"].to_numpy(dtype=float)
            draws = _posterior_draws(X[seen], y[seen], X[~seen], m, rng)
            for k in range(m):
                filled = y.copy()
                filled[~seen] = draws[k]
                completed[k][outcome, week] = _cell(frame, outcome, filled)
    return completed


def _posterior_draws(X: np.ndarray, y: np.ndarray, X_new: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` draws of y at X_new from the posterior predictive (proper imputation)."""
    keep = np.flatnonzero(np.abs(X).sum(axis=0) > 0)
    keep = keep[_independent_columns(X[:, keep])]
    X, X_new = X[:, keep], X_new[:, keep]
    n, p = X.shape
    XtX_inv = np.linalg.pinv(X.T @ X)
    beta = XtX_inv @ X.T @ y
    resid = y - X @ beta
    df = max(n - p, 1)
    s2 = float(resid @ resid) / df
    chol = np.linalg.cholesky(XtX_inv + 1e-12 * np.eye(p))
    out = np.empty((m, X_new.shape[0]))
    for k in range(m):
        sigma2 = s2 * df / rng.chisquare(df)
        b = beta + np.sqrt(sigma2) * chol @ rng.standard_normal(p)
        out[k] = X_new @ b + np.sqrt(sigma2) * rng.standard_normal(X_new.shape[0])
    return out


def _independent_columns(X: np.ndarray) -> list[int]:
    kept: list[int] = []
    for j in range(X.shape[1]):
        if np.linalg.matrix_rank(X[:, [*kept, j]]) == len(kept) + 1:
            kept.append(j)
    return kept


# --- estimation and pooling -----------------------------------------------------------------

def _pooled(data: TrialData, completed, pairs, outcomes, weeks, thresholds, alpha, rubin: bool):
    arms = list(data.spec.arms)
    comp_rows, resp_rows = [], []
    for outcome in outcomes:
        for week in weeks:
            sets = [c[outcome, week] for c in completed]
            fits: dict[str, list] = {}
            for comparator in dict.fromkeys(c for _, c in pairs):
                fits[comparator] = [ancova(s, outcome, arms, comparator) for s in sets]
            for arm, comparator in pairs:
                q, u, g, vg = [], [], [], []
                for s, (fit, names) in zip(sets, fits[comparator], strict=True):
                    j = names.index(arm)
                    q.append(fit.params[j])
                    u.append(fit.bse[j] ** 2)
                    es = _smd(s, outcome, arm, comparator, fit.params[j])
                    g.append(es.yi[0])
                    vg.append(es.vi[0])
                dof = fits[comparator][0][0].df_resid
                md, se, df = _rubin(q, u, dof) if rubin else (q[0], np.sqrt(u[0]), dof)
                smd, smd_se, smd_df = _rubin(g, vg, dof) if rubin else (g[0], np.sqrt(vg[0]), np.inf)
                t = stats.t.ppf(1 - alpha / 2, df)
                z = stats.t.ppf(1 - alpha / 2, smd_df)
                n_arm, n_comp = (int((sets[0]["arm"] == a).sum()) for a in (arm, comparator))
                comp_rows.append({
                    "outcome": outcome, "week": week, "arm": arm, "comparator": comparator,
                    "md": md, "ci_lb": md - t * se, "ci_ub": md + t * se, "se": se, "df": df,
                    "p": float(2 * stats.t.sf(abs(md / se), df)), "smd": smd,
                    "smd_ci_lb": smd - z * smd_se, "smd_ci_ub": smd + z * smd_se,
                    "n_arm": n_arm, "n_comparator": n_comp,
                })
                for threshold in thresholds:
                    resp_rows.append(_responders(sets, outcome, week, threshold, arm, comparator, alpha, rubin))
    return pd.DataFrame(comp_rows, columns=COMPARISON_COLUMNS), pd.DataFrame(resp_rows, columns=RESPONDER_COLUMNS)


COMPARISON_COLUMNS = ["outcome", "week", "arm", "comparator", "md", "ci_lb", "ci_ub", "se", "df", "p", "smd",
                      "smd_ci_lb", "smd_ci_ub", "n_arm", "n_comparator"]
RESPONDER_COLUMNS = ["outcome", "week", "threshold", "arm", "comparator", "p_arm", "p_comparator", "rd", "ci_lb",
                     "ci_ub", "n_arm", "n_comparator"]


def _smd(frame: pd.DataFrame, outcome: str, arm: str, comparator: str, md: float):
    """Hedges' g of an adjusted difference: escalc SMD with the arms' outcome SDs."""
    a = frame.loc[frame["arm"] == arm, outcome].to_numpy(dtype=float)
    c = frame.loc[frame["arm"] == comparator, outcome].to_numpy(dtype=float)
    return escalc("SMD", m1i=[md], sd1i=[a.std(ddof=1)], n1i=[a.size], m2i=[0.0], sd2i=[c.std(ddof=1)],
                  n2i=[c.size])


def _rubin(q, u, dof_complete: float) -> tuple[float, float, float]:
    """Rubin's rules: pooled estimate, its SE and Barnard-Rubin degrees of freedom."""
    q, u = np.asarray(q, dtype=float), np.asarray(u, dtype=float)
    m = q.size
    qbar, ubar = q.mean(), u.mean()
    b = q.var(ddof=1) if m > 1 else 0.0
    total = ubar + (1 + 1 / m) * b
    # identical imputations can leave b at rounding level (~1e-33): that is no missing information
    if b <= 1e-12 * total or not np.isfinite(dof_complete):
        return float(qbar), float(np.sqrt(total)), float(dof_complete)
    lam = (1 + 1 / m) * b / total
    df_old = (m - 1) / lam**2
    df_obs = (dof_complete + 1) / (dof_complete + 3) * dof_complete * (1 - lam)
    return float(qbar), float(np.sqrt(total)), float(1 / (1 / df_old + 1 / df_obs))


def responder(frame: pd.DataFrame, outcome: str, threshold: float) -> np.ndarray:
    """Improvement from baseline of at least ``threshold`` (a share) of the baseline value."""
    base = frame[f"baseline_{outcome}"].to_numpy(dtype=float)
    value = frame[outcome].to_numpy(dtype=float)
    return (base > 0) & (base - value >= threshold * base - 1e-12)


def _responders(sets, outcome, week, threshold, arm, comparator, alpha, rubin):
    q, u, pa, pc = [], [], [], []
    for s in sets:
        r = responder(s, outcome, threshold)
        ra, rc = r[(s["arm"] == arm).to_numpy()], r[(s["arm"] == comparator).to_numpy()]
        es = escalc("RD", ai=[ra.sum()], bi=[ra.size - ra.sum()], ci=[rc.sum()], di=[rc.size - rc.sum()])
        q.append(es.yi[0])
        u.append(es.vi[0])
        pa.append(ra.mean())
        pc.append(rc.mean())
    rd, se, df = _rubin(q, u, np.inf) if rubin else (q[0], np.sqrt(u[0]), np.inf)
    z = stats.t.ppf(1 - alpha / 2, df)
    n_arm, n_comp = (int((sets[0]["arm"] == a).sum()) for a in (arm, comparator))
    return {"outcome": outcome, "week": week, "threshold": threshold, "arm": arm, "comparator": comparator,
            "p_arm": float(np.mean(pa)), "p_comparator": float(np.mean(pc)), "rd": rd,
            "ci_lb": rd - z * se, "ci_ub": rd + z * se, "n_arm": n_arm, "n_comparator": n_comp}


# --- mixed model ----------------------------------------------------------------------------

def _mixed(data: TrialData, pairs, outcomes, weeks, thresholds, alpha):
    """Random-intercept linear mixed model on change over all visits (observed data; valid
    under missing at random), with arm x visit and baseline x visit terms."""
    import statsmodels.formula.api as smf

    arms = list(data.spec.arms)
    code = {a: f"a{k}" for k, a in enumerate(arms)}
    long = data.long()
    long = long[long["week"].isin(weeks)]
    long["arm_code"] = long["arm"].map(code)
    observed = _observed(data, outcomes, weeks)
    comp_rows, resp_rows = [], []
    first = min(weeks)
    for outcome in outcomes:
        frame = long.rename(columns={f"change_{outcome}": "change", f"baseline_{outcome}": "baseline"})
        for comparator in dict.fromkeys(c for _, c in pairs):
            formula = (f"change ~ C(arm_code, Treatment('{code[comparator]}')) * C(week, Treatment({first}))"
                       f" + baseline * C(week, Treatment({first}))")
            fit = smf.mixedlm(formula, frame, groups=frame["id"]).fit(reml=True)
            names = list(fit.params.index)
            for arm, comp in pairs:
                if comp != comparator:
                    continue
                main = f"C(arm_code, Treatment('{code[comparator]}'))[T.{code[arm]}]"
                for week in weeks:
                    L = np.zeros(len(names))
                    L[names.index(main)] = 1.0
                    if week != first:
                        L[names.index(f"{main}:C(week, Treatment({first}))[T.{week}]")] = 1.0
                    md = float(L @ fit.params.to_numpy())
                    se = float(np.sqrt(L @ fit.cov_params().to_numpy() @ L))
                    z = stats.norm.ppf(1 - alpha / 2)
                    cell = observed[outcome, week]
                    es = _smd(cell, outcome, arm, comparator, md)
                    zg = np.sqrt(es.vi[0])
                    comp_rows.append({
                        "outcome": outcome, "week": week, "arm": arm, "comparator": comparator, "md": md,
                        "ci_lb": md - z * se, "ci_ub": md + z * se, "se": se, "df": np.inf,
                        "p": float(2 * stats.norm.sf(abs(md / se))), "smd": float(es.yi[0]),
                        "smd_ci_lb": float(es.yi[0] - z * zg), "smd_ci_ub": float(es.yi[0] + z * zg),
                        "n_arm": int((cell["arm"] == arm).sum()),
                        "n_comparator": int((cell["arm"] == comparator).sum()),
                    })
    for outcome in outcomes:
        for week in weeks:
            for arm, comparator in pairs:
                for threshold in thresholds:
                    resp_rows.append(_responders([observed[outcome, week]], outcome, week, threshold, arm,
                                                 comparator, alpha, False))
    comp = pd.DataFrame(comp_rows, columns=COMPARISON_COLUMNS)
    comp["_order"] = comp["outcome"].map({o: k for k, o in enumerate(outcomes)})
    comp = comp.sort_values(["_order", "week"], kind="stable").drop(columns="_order").reset_index(drop=True)
    return comp, pd.DataFrame(resp_rows, columns=RESPONDER_COLUMNS)


# --- description ----------------------------------------------------------------------------

def arm_means(data: TrialData, outcomes) -> pd.DataFrame:
    """Observed mean, SD and 95% CI of each outcome per arm and visit (week 0: baseline)."""
    rows = []
    for arm in data.spec.arms:
        part = data.frame[data.frame["arm"] == arm]
        for outcome in outcomes:
            for week in (0, *data.weeks):
                values = (part[f"baseline_{outcome}"] if week == 0 else data.observed(outcome, week)[part.index])
                values = values.dropna().to_numpy(dtype=float)
                n = values.size
                mean = values.mean() if n else np.nan
                sd = values.std(ddof=1) if n > 1 else np.nan
                half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
                rows.append({"arm": arm, "outcome": outcome, "week": week, "n": n, "mean": mean, "sd": sd,
                             "ci_lb": mean - half, "ci_ub": mean + half})
    return pd.DataFrame(rows)


def _num(value: Any) -> Any:
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if not np.isfinite(value) else float(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _num(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
