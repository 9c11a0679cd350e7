"""Latent trajectory classes of weekly pain, as trajectory studies of back pain find them.

Kongsted et al. (2015) followed 1,082 primary-care and chiropractic patients with weekly
text-message pain ratings for a year and grouped them by latent class analysis (LCA); the
classes fell into five patterns: mild episodic 29%, recovery 26%, moderate/severe 20%,
improvement with relapse 13% and slow improvement 12% (shares as tabulated in Kongsted et
al. 2016, BMC Musculoskelet Disord 17:220, Table 1). This module does the same to simulated
pain, so that the model can be set beside those shares (docs/trajectories.md):

1. each patient's weekly mean pain over the first ``weeks`` weeks (or its 4-week means,
   ``period="month"``) is one vector (:func:`pain_curves`);
2. a Gaussian mixture with diagonal covariances (local independence within a class, the
   assumption of LCA) is fitted for every number of classes in ``class_range`` with
   ``N_INIT`` initialisations and a fixed random state from the seed; the number with the
   lowest BIC is kept (:func:`fit_trajectory_classes`);
3. classes are ordered by their mean pain over the whole curve, lowest first, and each is
   named from its mean curve by :func:`name_curve` (one of :data:`LABELS`); several classes
   may carry the same name, as Kongsted's twelve clusters fell into five patterns.

Everything here is a pure function of arrays; the application layer (painsim.app) reads
runs and scenarios, and the CLI and report present the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

#: The trajectory patterns (keys) and their names as Kongsted 2015 (and MODEL.md) give them.
LABELS: dict[str, str] = {
    "recovery": "recovery",
    "slow_improvement": "slow improvement",
    "improvement_with_relapse": "fluctuating / improvement with relapse",
    "mild": "mild episodic / persistent mild",
    "moderate_severe": "moderate-severe persistent",
}
TrajectoryLabel = Literal["recovery", "slow_improvement", "improvement_with_relapse", "mild", "moderate_severe"]
#: Published shares of the five patterns: Kongsted 2015 (via Kongsted 2016, Table 1).
KONGSTED_2015_SHARES: dict[str, float] = {
    "recovery": 0.26, "slow_improvement": 0.12, "improvement_with_relapse": 0.13, "mild": 0.29,
    "moderate_severe": 0.20,
}
KONGSTED_2015 = ("Kongsted A, Kent P, Hestbaek L, Vach W. Spine J 2015;15(5):885-94 "
                 "(shares as tabulated in Kongsted A et al. BMC Musculoskelet Disord 2016;17:220, Table 1)")

#: Numbers of classes tried when the number is chosen by BIC (``classes="auto"``).
CLASS_RANGE = (1, 7)
#: Initialisations per number of classes (the best likelihood is kept).
N_INIT = 5
#: Variance added to every class's variances (pain points squared): keeps a class of
#: people at exactly 0 from collapsing to zero variance (about the resolution of a rating).
REG_COVAR = 0.05
#: Fewest whole weeks a fit reads (the report and the calibration statistic refuse fewer).
MIN_WEEKS = 4
Period = Literal["week", "month"]
#: Weeks per period: a "month" is a 4-week block (13 per year).
PERIOD_WEEKS: dict[str, int] = {"week": 1, "month": 4}

# The naming rule's thresholds (pain points on 0-10; docs/trajectories.md, "Naming the classes").
RECOVERED_PAIN = 1.5  # a class mean below this at the end is recovered (pain-free or nearly)
HIGH_PAIN = 4.0  # moderate pain or worse (painsim's chronic threshold, statistics.CHRONIC_PAIN)
IMPROVED_POINTS = 2.0  # a fall from the start of at least this is improvement
RELAPSE_FALL = 1.5  # a fall below the start of at least this, then a rise of RELAPSE_RISE, is a relapse
RELAPSE_RISE = 1.0
FLARE_POINTS = 1.5  # a rise of at least this above the low so far, then a fall of this from the peak, is a flare
FAST_WEEKS = 13  # recovery makes FAST_SHARE of its fall within this many weeks (else: slow improvement)
FAST_SHARE = 0.8
SMOOTH_WEEKS = 4  # the running mean the rule reads, in weeks


class TrajectoryInputError(ValueError):
    """Curves or options that cannot be fitted; the message says what is allowed."""


@dataclass(frozen=True)
class TrajectoryClasses:
    """A fitted set of trajectory classes, in the documented order (lowest mean pain first).

    ``means`` is (classes, periods), ``shares`` (classes,), ``labels`` one key of
    :data:`LABELS` per class, ``assignment`` the class of every patient (most probable),
    ``bic`` the BIC of every number of classes fitted.
    """

    means: np.ndarray
    shares: np.ndarray
    labels: tuple[str, ...]
    assignment: np.ndarray
    bic: dict[int, float]
    seed: int
    period: str = "week"
    selected_by: str = "bic"
    sizes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def k(self) -> int:
        """Number of classes."""
        return int(self.means.shape[0])

    @property
    def n(self) -> int:
        """Number of patients fitted."""
        return int(self.assignment.size)

    def label_shares(self) -> dict[str, float]:
        """Share of patients in each of the five patterns (classes of one name added up)."""
        shares = dict.fromkeys(LABELS, 0.0)
        for label, share in zip(self.labels, self.shares, strict=True):
            shares[label] += float(share)
        return shares

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: classes (label, share, size, mean curve), pattern shares, BIC."""
        return {
            "k": self.k,
            "n": self.n,
            "period": self.period,
            "selected_by": self.selected_by,
            "seed": self.seed,
            "classes": [
                {"class": j + 1, "label": label, "name": LABELS[label], "share": float(share), "size": int(size),
                 "mean": [round(float(v), 4) for v in curve]}
                for j, (label, share, size, curve) in enumerate(zip(self.labels, self.shares, self.sizes,
                                                                     self.means, strict=True))
            ],
            "pattern_shares": self.label_shares(),
            "kongsted_2015_shares": dict(KONGSTED_2015_SHARES),
            "bic": {str(k): float(v) for k, v in self.bic.items()},
        }


def weeks_in_months(months: float) -> int:
    """Whole weeks in ``months`` months of 365.25 / 12 days.

    >>> weeks_in_months(12), weeks_in_months(6), weeks_in_months(3)
    (52, 26, 13)
    """
    return int(months * 365.25 / 12 / 7 + 1e-9)


def pain_curves(weekly: np.ndarray, weeks: int, period: Period = "week") -> np.ndarray:
    """Per-patient curves from weekly pain ``weekly`` (weeks x patients, as a simulation
    records it): the first ``weeks`` weeks, or their 4-week means when ``period="month"``
    (a last incomplete block is left out). Returns patients x periods.

    >>> pain_curves(np.arange(16.0).reshape(8, 2), weeks=8, period="month")
    array([[ 3., 11.],
           [ 4., 12.]])
    """
    weekly = np.asarray(weekly, dtype=float)
    if weekly.ndim != 2:
        raise TrajectoryInputError(f"weekly pain must be a weeks x patients array (got {weekly.ndim} dimension(s))")
    if period not in PERIOD_WEEKS:
        raise TrajectoryInputError(f"period must be one of {', '.join(PERIOD_WEEKS)} (got {period!r})")
    if weeks > weekly.shape[0]:
        raise TrajectoryInputError(f"{weeks} weeks asked but only {weekly.shape[0]} whole weeks are recorded")
    per = PERIOD_WEEKS[period]
    blocks = weeks // per
    if blocks < 2:
        raise TrajectoryInputError(f"at least 2 periods are needed ({weeks} week(s) make {blocks} of {per} week(s))")
    used = weekly[: blocks * per]
    return used.reshape(blocks, per, -1).mean(axis=1).T.copy()


def weekly_pain_from_table(frame: Any, arm: str, horizon_days: int) -> np.ndarray:
    """Weekly mean pain (whole weeks x patients) of ``arm`` from a stored ``trajectories``
    table (long form: ``arm``, ``day``, ``patient``, ``pain``; painsim.outcomes.tables).
    Periods of 7 days are used as they are; daily recordings are averaged per week; other
    recording periods raise TrajectoryInputError saying what to record.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"arm": "a", "day": [0, 0, 7, 7, 14, 14], "patient": [1, 2] * 3,
    ...                       "pain": [5.0, 1.0, 4.0, 1.0, 3.0, 0.0]})
    >>> weekly_pain_from_table(table, "a", horizon_days=21)
    array([[5., 1.],
           [4., 1.],
           [3., 0.]])
    """
    if "pain" not in frame.columns:
        recorded = [c for c in frame.columns if c not in ("arm", "day", "patient")]
        raise TrajectoryInputError(f"pain was not recorded (recorded: {', '.join(recorded) or 'nothing'}); add "
                                   '"pain" to [record] variables and run again')
    rows = frame[frame["arm"] == arm]
    if not len(rows):
        raise TrajectoryInputError(f"no patient of arm {arm!r} was recorded; record some ([record] patients > 0)")
    days = np.unique(rows["day"].to_numpy())
    if days.size < 2:
        raise TrajectoryInputError("fewer than 2 recorded periods; record pain every 7 days ([record] every = 7)")
    every = int(days[1] - days[0])
    if every not in (1, 7):
        raise TrajectoryInputError(f"pain was recorded every {every} days; trajectory classes need weekly pain: "
                                   "record it with [record] every = 7 (or 1) and run again")
    wide = rows.pivot(index="day", columns="patient", values="pain").sort_index()
    start = int(days[0])
    whole_weeks = (horizon_days - start) // 7
    week = (wide.index.to_numpy() - start) // 7
    keep = week < whole_weeks
    weekly = wide[keep].groupby(week[keep]).mean().to_numpy(dtype=float)
    if np.isnan(weekly).any():
        raise TrajectoryInputError("the recorded patients differ between periods (missing values)")
    return weekly


def fit_trajectory_classes(curves: np.ndarray, classes: int | Literal["auto"] = "auto", *, seed: int = 0,
                           class_range: tuple[int, int] = CLASS_RANGE, n_init: int = N_INIT,
                           period: Period = "week") -> TrajectoryClasses:
    """Latent trajectory classes of ``curves`` (patients x periods of mean pain, 0-10).

    A Gaussian mixture with diagonal covariances (scikit-learn's ``GaussianMixture``) is
    fitted with ``n_init`` initialisations and ``random_state`` derived from ``seed``;
    ``classes="auto"`` fits every number in ``class_range`` and keeps the lowest BIC.
    Classes are ordered by mean pain, lowest first, and named by :func:`name_curve`.
    The same curves and seed give the same classes.

    Reference: Kongsted A et al. Spine J 2015;15(5):885-94 (LCA of weekly pain over a year).

    >>> rng = np.random.default_rng(0)
    >>> low, high = np.full((60, 26), 0.5), np.full((40, 26), 6.5)
    >>> fit = fit_trajectory_classes(np.vstack([low, high]) + rng.normal(0, 0.8, (100, 26)), seed=1)
    >>> fit.k, [round(float(s), 2) for s in fit.shares], fit.labels
    (2, [0.6, 0.4], ('recovery', 'moderate_severe'))
    """
    curves = _checked_curves(curves)
    low, high = _checked_range(class_range, curves.shape[0])
    candidates = list(range(low, high + 1)) if classes == "auto" else [_checked_count(classes, curves.shape[0])]
    state = _random_state(seed)
    models = {k: _fit_mixture(curves, k, state, n_init) for k in candidates}
    bic = {k: float(model.bic(curves)) for k, model in models.items()}
    best = min(bic, key=lambda k: (bic[k], k))
    return _ordered_classes(models[best], curves, bic, seed, period, "bic" if classes == "auto" else "fixed")


def name_curve(mean: np.ndarray, period_weeks: int = 1) -> str:
    """The pattern (a key of :data:`LABELS`) of one class's mean curve of pain (0-10).

    The rule reads the curve's running mean over 4 weeks ``r``, its start (first period),
    its end (mean of the last quarter of the periods) and its fall ``start - end``, and
    takes the first that applies:

    1. ``improvement_with_relapse`` (fluctuating): ``r`` falls at least 1.5 points below the
       start and later rises at least 1 point above its lowest value so far (a relapse), or
       rises at least 1.5 points above its lowest value so far and then falls at least 1.5
       points from that peak (a flare);
    2. ``recovery``: the end is below 1.5 and 80% of the fall is made within 13 weeks
       (a curve that starts below 1.5 is recovery too);
    3. ``slow_improvement``: the end is below 1.5 (reached later), or the fall is at least 2;
    4. ``moderate_severe``: the end is 4 or more;
    5. ``mild``: everything else (a level between about 1.5 and 4 without a clear trend).

    >>> weeks = np.arange(52)
    >>> name_curve(6 * np.exp(-weeks / 2)), name_curve(np.full(52, 6.5)), name_curve(np.full(52, 2.5))
    ('recovery', 'moderate_severe', 'mild')
    >>> name_curve(6 - 4.5 * weeks / 51), name_curve(np.r_[np.linspace(6, 2, 20), np.linspace(2, 5, 32)])
    ('slow_improvement', 'improvement_with_relapse')
    >>> name_curve(np.r_[np.full(20, 4.0), np.full(6, 7.0), np.full(26, 4.0)])  # a flare of six weeks
    'improvement_with_relapse'

    """
    mean = np.asarray(mean, dtype=float)
    smooth = _running_mean(mean, max(1, SMOOTH_WEEKS // period_weeks))
    start = float(mean[0])
    end = float(mean[-max(1, mean.size // 4):].mean())
    fall = start - end
    lowest_so_far = np.minimum.accumulate(smooth)
    lowest_from_here = np.minimum.accumulate(smooth[::-1])[::-1]
    relapse = (start - lowest_so_far >= RELAPSE_FALL) & (smooth - lowest_so_far >= RELAPSE_RISE)
    flare = (smooth - lowest_so_far >= FLARE_POINTS) & (smooth - lowest_from_here >= FLARE_POINTS)
    if relapse.any() or flare.any():
        return "improvement_with_relapse"
    if end < RECOVERED_PAIN:
        if start < RECOVERED_PAIN:
            return "recovery"
        most_reached = np.flatnonzero(mean <= start - FAST_SHARE * fall)
        weeks_to_most = (most_reached[0] if most_reached.size else mean.size) * period_weeks
        return "recovery" if weeks_to_most <= FAST_WEEKS else "slow_improvement"
    if fall >= IMPROVED_POINTS:
        return "slow_improvement"
    if end >= HIGH_PAIN:
        return "moderate_severe"
    return "mild"


def plot_trajectory_classes(fit: TrajectoryClasses, ax: Any = None, title: str | None = None) -> Any:
    """Class mean curves (thicker for larger classes), each labelled with its name and
    share; Kongsted's published shares in the legend's title. Returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4.8))
    weeks = (np.arange(fit.means.shape[1]) + 0.5) * PERIOD_WEEKS[fit.period]
    colours = plt.get_cmap("tab10")
    for j, (label, share, curve) in enumerate(zip(fit.labels, fit.shares, fit.means, strict=True)):
        ax.plot(weeks, curve, color=colours(j % 10), lw=1.2 + 5 * float(share),
                marker="o" if weeks.size <= 15 else None, label=f"{j + 1}: {LABELS[label]} ({share:.0%})")
    ax.set_ylim(0, 10)
    ax.set_xlim(0, weeks[-1] + 0.5 * PERIOD_WEEKS[fit.period])
    ax.set_xlabel("weeks since entry")
    ax.set_ylabel(f"class mean of {fit.period}ly mean pain (0-10)")
    published = ", ".join(f"{LABELS[k].split(' /')[0]} {v:.0%}" for k, v in KONGSTED_2015_SHARES.items())
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title=f"class: pattern (share), n = {fit.n:,}",
              title_fontsize=8, frameon=False)
    how = "number by BIC" if fit.selected_by == "bic" else "number fixed"
    ax.set_title(title or f"{fit.k} trajectory classes ({how})", fontsize=11)
    ax.text(0.0, -0.2, f"Kongsted 2015: {published}", transform=ax.transAxes, fontsize=7.5, color="0.35")
    return ax


def save_trajectory_figure(fit: TrajectoryClasses, path: str | Path, title: str | None = None) -> Path:
    """Draw :func:`plot_trajectory_classes` (Agg) and save it as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5))
    try:
        plot_trajectory_classes(fit, ax=ax, title=title)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return Path(path)


# ------------------------------------------------------------------------------------------------ helpers
def _checked_curves(curves: np.ndarray) -> np.ndarray:
    curves = np.asarray(curves, dtype=float)
    if curves.ndim != 2 or curves.shape[1] < 2:
        raise TrajectoryInputError(f"curves must be patients x periods with at least 2 periods (got {curves.shape})")
    if not np.isfinite(curves).all():
        raise TrajectoryInputError("curves contain missing or infinite values")
    if curves.shape[0] < 2:
        raise TrajectoryInputError(f"at least 2 patients are needed (got {curves.shape[0]})")
    return curves


def _checked_range(class_range: tuple[int, int], n: int) -> tuple[int, int]:
    low, high = class_range
    if not 1 <= low <= high:
        raise TrajectoryInputError(f"class range must be 1 <= low <= high (got {low}-{high})")
    return low, max(low, min(high, n))


def _checked_count(classes: Any, n: int) -> int:
    low, high = CLASS_RANGE
    if isinstance(classes, bool) or not isinstance(classes, int | np.integer) or not low <= classes <= high:
        raise TrajectoryInputError(f"classes must be 'auto' or a whole number from {low} to {high} (got {classes!r})")
    if classes > n:
        raise TrajectoryInputError(f"{classes} classes need at least {classes} patients (got {n})")
    return int(classes)


def _random_state(seed: int) -> int:
    """A 32-bit random state for scikit-learn from any non-negative seed (up to 2**63 - 1)."""
    if seed < 0:
        raise TrajectoryInputError(f"seed must be 0 or more (got {seed})")
    return int(np.random.SeedSequence([int(seed), 0x7A1]).generate_state(1)[0])


def _fit_mixture(curves: np.ndarray, k: int, state: int, n_init: int) -> Any:
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    model = GaussianMixture(n_components=k, covariance_type="diag", n_init=n_init, random_state=state,
                            reg_covar=REG_COVAR, max_iter=500, tol=1e-4)
    # one BLAS thread: these matrices are small, and more threads only contend (ten times slower
    # on a busy machine); it also keeps the result independent of the machine's core count
    with threadpool_limits(limits=1):
        return model.fit(curves)


def _ordered_classes(model: Any, curves: np.ndarray, bic: dict[int, float], seed: int, period: str,
                     selected_by: str) -> TrajectoryClasses:
    raw = model.predict(curves)
    present = [j for j in range(model.n_components) if np.any(raw == j)]  # an empty component is no class
    means = np.array([curves[raw == j].mean(axis=0) for j in present])
    order = np.argsort(means.mean(axis=1), kind="stable")
    relabel = np.full(model.n_components, -1, dtype=np.int64)
    relabel[np.asarray(present)[order]] = np.arange(len(present))
    assignment = relabel[raw]
    sizes = np.bincount(assignment, minlength=len(present))
    means = means[order]
    labels = tuple(name_curve(curve, PERIOD_WEEKS[period]) for curve in means)
    return TrajectoryClasses(means=means, shares=sizes / sizes.sum(), labels=labels, assignment=assignment,
                             bic=bic, seed=seed, period=period, selected_by=selected_by, sizes=sizes)


def _running_mean(values: np.ndarray, width: int) -> np.ndarray:
    """Mean of each window of ``width`` consecutive values (shorter at the start)."""
    sums = np.cumsum(np.r_[0.0, values])
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(0, idx - width)
    return (sums[idx] - sums[lo]) / (idx - lo)
