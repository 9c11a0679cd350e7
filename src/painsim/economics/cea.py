"""Cost-effectiveness decision analysis: incremental analysis, net benefit, CEAC, CEAF and EVPI.

Pure numerics on arrays of costs and effects (QALYs, or any effect measure where more is
better); nothing here knows about the engine. The inputs are of two kinds:

* **means** per strategy, shape ``(k,)``: :func:`incremental_analysis`;
* **probabilistic sensitivity analysis (PSA) draws**, shape ``(draws, k)``, one row per
  draw of the uncertain parameters and one column per strategy, costs and effects of the
  same draw in the same row: :func:`net_monetary_benefit`, :func:`incremental_nmb`,
  :func:`ceac`, :func:`ceaf`, :func:`evpi` (and :func:`painsim.economics.voi.evppi`).

Willingness to pay (``wtp``, money per unit of effect) is a scalar or a 1-D grid that is
finite, non-negative and strictly increasing; results carry the grid as their first axis
(a scalar counts as a grid of one). Formulas and references: docs/economics.md, "Decision
analysis".

References
----------
Drummond MF, Sculpher MJ, Claxton K, Stoddart GL, Torrance GW. *Methods for the Economic
Evaluation of Health Care Programmes*, 4th ed. Oxford University Press, 2015 (ICERs, net
benefit, decision uncertainty). Cohen DJ, Reynolds MR. Interpreting the results of
cost-effectiveness studies. *J Am Coll Cardiol* 2008;52:2119-26 (strict and extended
dominance, the efficiency frontier). Fenwick E, Claxton K, Sculpher M. Representing
uncertainty: the role of cost-effectiveness acceptability curves. *Health Econ*
2001;10:779-87 (CEAC, CEAF). Claxton K. The irrelevance of inference. *J Health Econ*
1999;18:341-64 (EVPI per decision).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DOMINATED",
    "EXTENDEDLY_DOMINATED",
    "FRONTIER",
    "MAX_WTP_POINTS",
    "EconomicsInputError",
    "Frontier",
    "IncrementalRow",
    "IncrementalTable",
    "ceac",
    "ceaf",
    "evpi",
    "incremental_analysis",
    "incremental_nmb",
    "net_monetary_benefit",
    "wtp_grid",
]

#: Status of a strategy in the incremental analysis.
FRONTIER = "frontier"
DOMINATED = "dominated"
EXTENDEDLY_DOMINATED = "extendedly dominated"

#: Most points a willingness-to-pay grid may have (a typo such as ``0:100000:1`` would
#: otherwise ask for 100 001 evaluations of every draw).
MAX_WTP_POINTS = 10_001


class EconomicsInputError(ValueError):
    """Input that the decision analysis cannot use; the message names the argument and what is allowed."""


# --------------------------------------------------------------------------- validation


def _finite_array(values: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EconomicsInputError(f"{name}: must be numbers ({exc})") from None
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise EconomicsInputError(
            f"{name}: {int(bad.sum())} value(s) are NaN or infinite (first at index {where}); "
            "costs, effects and willingness to pay must be finite")
    return array


def _means(costs: ArrayLike, effects: ArrayLike, n_strategies: int) -> tuple[NDArray, NDArray]:
    cost = _finite_array(costs, "costs")
    effect = _finite_array(effects, "effects")
    for name, array in (("costs", cost), ("effects", effect)):
        if array.shape != (n_strategies,):
            raise EconomicsInputError(
                f"{name}: expected one mean per strategy, shape ({n_strategies},), got shape {array.shape}")
    return cost, effect


def _draws(costs: ArrayLike, effects: ArrayLike, min_strategies: int = 2) -> tuple[NDArray, NDArray]:
    """PSA draws as two float arrays of shape (draws, k), checked."""
    cost = _finite_array(costs, "costs")
    effect = _finite_array(effects, "effects")
    for name, array in (("costs", cost), ("effects", effect)):
        if array.ndim != 2:
            raise EconomicsInputError(
                f"{name}: expected PSA draws of shape (draws, strategies), got {array.ndim}-D shape {array.shape} "
                "(for one set of means use values.reshape(1, -1))")
    if cost.shape != effect.shape:
        raise EconomicsInputError(
            f"costs and effects: shapes differ, {cost.shape} and {effect.shape}; "
            "both must be (draws, strategies) with the same draw in the same row")
    draws, k = cost.shape
    if draws < 1:
        raise EconomicsInputError("costs and effects: no draws (need at least one row)")
    if k < min_strategies:
        raise EconomicsInputError(
            f"costs and effects: {k} strategy column(s); a decision needs at least {min_strategies} strategies")
    return cost, effect


def _wtp(wtp: ArrayLike) -> NDArray[np.float64]:
    """Willingness to pay as a 1-D grid: finite, non-negative, strictly increasing."""
    grid = np.atleast_1d(_finite_array(wtp, "wtp"))
    if grid.ndim != 1:
        raise EconomicsInputError(f"wtp: expected a number or a 1-D grid, got shape {grid.shape}")
    if grid.size == 0:
        raise EconomicsInputError("wtp: the willingness-to-pay grid is empty")
    if grid.size > MAX_WTP_POINTS:
        raise EconomicsInputError(f"wtp: {grid.size} points; at most {MAX_WTP_POINTS} are allowed")
    if (grid < 0).any():
        raise EconomicsInputError(f"wtp: willingness to pay must be >= 0, got {grid[grid < 0][0]:g}")
    if grid.size > 1 and not (np.diff(grid) > 0).all():
        i = int(np.argmax(np.diff(grid) <= 0))
        raise EconomicsInputError(
            f"wtp: the grid must be strictly increasing; value {i + 1} ({grid[i + 1]:g}) "
            f"follows {grid[i]:g}")
    return grid


def _strategy_names(strategies: Sequence[str] | None, k: int | None) -> tuple[str, ...]:
    """Unique names, ``k`` of them when ``k`` is given (default names when none are given)."""
    if strategies is None:
        return tuple(f"strategy {i}" for i in range(k or 0))
    if isinstance(strategies, str):
        raise EconomicsInputError("strategies: expected a sequence of names, got one string")
    names = tuple(str(s) for s in strategies)
    if k is not None and len(names) != k:
        raise EconomicsInputError(f"strategies: {len(names)} names for {k} strategies")
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise EconomicsInputError(f"strategies: names must be unique, repeated: {', '.join(duplicates)}")
    return names


# --------------------------------------------------------------------------- incremental analysis


@dataclass(frozen=True)
class IncrementalRow:
    """One strategy of an incremental analysis.

    ``incremental_cost``, ``incremental_effect`` and ``icer`` compare a frontier strategy
    with ``reference``, the previous (next cheaper) frontier strategy; they are ``None`` for
    the cheapest frontier strategy and for dominated strategies. ``dominated_by`` names the
    strategy that dominates a dominated strategy, or the two frontier strategies whose mix
    extendedly dominates an extendedly dominated one (empty on the frontier).
    """

    strategy: str
    cost: float
    effect: float
    incremental_cost: float | None
    incremental_effect: float | None
    icer: float | None
    status: str
    reference: str | None
    dominated_by: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        record = dict(vars(self))
        record["dominated_by"] = list(self.dominated_by)
        return record


@dataclass(frozen=True)
class IncrementalTable:
    """The result of :func:`incremental_analysis`: rows in order of cost, and the frontier."""

    rows: tuple[IncrementalRow, ...]

    @property
    def frontier(self) -> tuple[str, ...]:
        """The strategies on the efficiency frontier, cheapest first."""
        return tuple(row.strategy for row in self.rows if row.status == FRONTIER)

    def row(self, strategy: str) -> IncrementalRow:
        """The row of one strategy (KeyError naming the known strategies otherwise)."""
        for row in self.rows:
            if row.strategy == strategy:
                return row
        raise KeyError(f"no strategy {strategy!r}; known: {', '.join(r.strategy for r in self.rows)}")

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (``None`` where a value does not apply)."""
        return [row.to_record() for row in self.rows]

    def to_frame(self):
        """The rows as a pandas DataFrame indexed by strategy (NaN where a value does not apply)."""
        import pandas as pd

        frame = pd.DataFrame.from_records(self.to_records()).set_index("strategy")
        for column in ("incremental_cost", "incremental_effect", "icer"):
            frame[column] = frame[column].astype("float64")
        return frame


def incremental_analysis(strategies: Sequence[str], costs: ArrayLike, effects: ArrayLike) -> IncrementalTable:
    """Incremental cost-effectiveness analysis of mutually exclusive strategies.

    The strategies are sorted by cost (ties: the more effective first, then input order).
    A strategy is **dominated** (strict dominance) when another is no more costly and at
    least as effective, and better in one of the two; of exact duplicates the first keeps
    its place. Of the rest, a strategy is **extendedly dominated** when its ICER against
    the previous frontier strategy is higher than the ICER of the next more effective
    strategy against it: a mix of its two neighbours would give more effect for the same
    cost. The remaining strategies form the efficiency frontier (the lower convex hull of
    the cost-effectiveness plane); each frontier strategy's ICER is
    ``(C_j - C_i) / (E_j - E_i)`` against the previous frontier strategy ``i``, and the
    ICERs increase along the frontier. Strategies on one straight line segment (equal
    ICERs) all stay on the frontier.

    Args:
        strategies: unique names, one per strategy.
        costs: mean cost of each strategy, shape ``(k,)``; any finite value (negative
            when costs are counted against a baseline).
        effects: mean effect of each strategy (e.g. QALYs), shape ``(k,)``.

    Returns:
        :class:`IncrementalTable` with one :class:`IncrementalRow` per strategy, in order
        of cost, and ``.frontier``.

    Raises:
        EconomicsInputError: fewer than 2 strategies, repeated names, shapes that do not
            match, or a NaN or infinite value.

    Example (B's ICER against A, 100 000, is above C's against B, 33 333: B is extendedly
    dominated, and C's ICER is taken against A, 4000 / 0.1):

        >>> t = incremental_analysis(["A", "B", "C"], [0, 1000, 4000], [0.0, 0.01, 0.1])
        >>> t.frontier, t.row("B").status, round(t.row("C").icer)
        (('A', 'C'), 'extendedly dominated', 40000)

    References: Drummond et al. 2015, ch. 4; Cohen & Reynolds 2008 (J Am Coll Cardiol 52:2119).
    """
    names = _strategy_names(strategies, None)
    k = len(names)
    if k < 2:
        raise EconomicsInputError(f"strategies: {k} given; an incremental analysis needs at least 2")
    cost, effect = _means(costs, effects, k)
    order = sorted(range(k), key=lambda i: (cost[i], -effect[i], i))
    status: dict[int, str] = {}
    dominated_by: dict[int, tuple[str, ...]] = {}

    # strict dominance: in this order, i is dominated iff an earlier strategy has at least its effect
    best_so_far: int | None = None
    candidates: list[int] = []
    for i in order:
        if best_so_far is not None and effect[best_so_far] >= effect[i]:
            status[i] = DOMINATED
            dominated_by[i] = (names[best_so_far],)
            continue
        candidates.append(i)
        best_so_far = i

    # extended dominance: keep the lower convex hull of the candidates (costs rise, effects rise)
    hull: list[int] = []
    for j in candidates:
        while len(hull) >= 2 and _icer(cost, effect, hull[-2], hull[-1]) > _icer(cost, effect, hull[-1], j):
            status[hull.pop()] = EXTENDEDLY_DOMINATED
        hull.append(j)
    for i in hull:
        status[i] = FRONTIER
    hull_effects = [effect[h] for h in hull]
    for i in candidates:
        if status[i] == EXTENDEDLY_DOMINATED:
            above = next(pos for pos, e in enumerate(hull_effects) if e > effect[i])
            dominated_by[i] = (names[hull[above - 1]], names[hull[above]])

    previous = {hull[pos]: hull[pos - 1] for pos in range(1, len(hull))}
    rows = []
    for i in order:
        ref = previous.get(i)
        rows.append(IncrementalRow(
            strategy=names[i], cost=float(cost[i]), effect=float(effect[i]),
            incremental_cost=None if ref is None else float(cost[i] - cost[ref]),
            incremental_effect=None if ref is None else float(effect[i] - effect[ref]),
            icer=None if ref is None else _icer(cost, effect, ref, i),
            status=status[i], reference=None if ref is None else names[ref],
            dominated_by=dominated_by.get(i, ())))
    return IncrementalTable(rows=tuple(rows))


def _icer(cost: NDArray, effect: NDArray, cheaper: int, dearer: int) -> float:
    """ICER of ``dearer`` against ``cheaper``; the effect difference is positive by construction."""
    return float((cost[dearer] - cost[cheaper]) / (effect[dearer] - effect[cheaper]))


# --------------------------------------------------------------------------- net benefit


def net_monetary_benefit(costs: ArrayLike, effects: ArrayLike, wtp: ArrayLike) -> NDArray[np.float64]:
    """Net monetary benefit ``NMB = wtp * E - C`` of every draw and strategy at every wtp.

    Args:
        costs: PSA draws, shape ``(draws, k)``.
        effects: PSA draws, shape ``(draws, k)``, the same draw in the same row.
        wtp: willingness to pay per unit of effect, a number or a strictly increasing grid.

    Returns:
        Array of shape ``(len(wtp), draws, k)``.

    Example:
        >>> net_monetary_benefit([[100.0, 10100.0]], [[1.0, 1.5]], [0, 20000])[:, 0, :].tolist()
        [[-100.0, -10100.0], [19900.0, 19900.0]]

    Reference: Stinnett AA, Mullahy J. Net health benefits. *Med Decis Making* 1998;18:S68-80;
    Drummond et al. 2015, ch. 4.
    """
    cost, effect = _draws(costs, effects, min_strategies=1)
    grid = _wtp(wtp)
    return grid[:, None, None] * effect[None, :, :] - cost[None, :, :]


def incremental_nmb(costs: ArrayLike, effects: ArrayLike, wtp: ArrayLike, reference: int = 0) -> NDArray[np.float64]:
    """Mean incremental net monetary benefit of each strategy against ``reference``.

    ``INMB_k(wtp) = mean over draws of [wtp * (E_k - E_ref) - (C_k - C_ref)]``; a strategy
    with positive INMB is cost-effective against the reference at that wtp (the reference's
    own column is 0).

    Args:
        costs, effects: PSA draws, shape ``(draws, k)`` (one row for deterministic means).
        wtp: a number or a strictly increasing grid.
        reference: column index of the comparator.

    Returns:
        Array of shape ``(len(wtp), k)``.

    Example:
        >>> incremental_nmb([[100.0, 10100.0]], [[1.0, 1.5]], [0, 20000, 50000]).tolist()
        [[0.0, -10000.0], [0.0, 0.0], [0.0, 15000.0]]

    Reference: Drummond et al. 2015, ch. 4 (net benefit framework).
    """
    cost, effect = _draws(costs, effects)
    grid = _wtp(wtp)
    k = cost.shape[1]
    if isinstance(reference, bool) or not isinstance(reference, (int, np.integer)) or not 0 <= reference < k:
        raise EconomicsInputError(f"reference: must be a strategy index 0..{k - 1}, got {reference!r}")
    delta_cost = (cost - cost[:, [reference]]).mean(axis=0)
    delta_effect = (effect - effect[:, [reference]]).mean(axis=0)
    return grid[:, None] * delta_effect[None, :] - delta_cost[None, :]


# --------------------------------------------------------------------------- decision uncertainty


def ceac(costs: ArrayLike, effects: ArrayLike, wtp: ArrayLike) -> NDArray[np.float64]:
    """Cost-effectiveness acceptability curves: the probability that each strategy is best.

    At each wtp, the share of PSA draws in which the strategy has the highest net monetary
    benefit; each row sums to 1. A draw in which two strategies tie counts for the first
    of them (ties have probability 0 for continuous draws).

    Args:
        costs, effects: PSA draws, shape ``(draws, k)``, k >= 2.
        wtp: a number or a strictly increasing grid.

    Returns:
        Array of shape ``(len(wtp), k)``.

    Example:
        >>> ceac([[0.0, 10.0], [0.0, 10.0]], [[0.0, 1.0], [0.0, -1.0]], [0, 100])
        array([[1. , 0. ],
               [0.5, 0.5]])

    Reference: Fenwick, Claxton & Sculpher 2001 (Health Econ 10:779); van Hout BA et al.
    Costs, effects and C/E-ratios alongside a clinical trial. *Health Econ* 1994;3:309-19.
    """
    cost, effect = _draws(costs, effects)
    grid = _wtp(wtp)
    draws, k = cost.shape
    curves = np.empty((grid.size, k))
    for row, lam in enumerate(grid):
        best = np.argmax(lam * effect - cost, axis=1)
        curves[row] = np.bincount(best, minlength=k) / draws
    return curves


@dataclass(frozen=True)
class Frontier:
    """The cost-effectiveness acceptability frontier (:func:`ceaf`), one entry per wtp.

    ``optimal[i]`` is the column index of the strategy with the highest expected net
    monetary benefit at ``wtp[i]`` (the decision), ``probability[i]`` the probability that
    it is cost-effective (its CEAC value), ``expected_nmb[i]`` its expected NMB, and
    ``strategy[i]`` its name.
    """

    wtp: NDArray[np.float64]
    optimal: NDArray[np.int64]
    probability: NDArray[np.float64]
    expected_nmb: NDArray[np.float64]
    strategies: tuple[str, ...]

    @property
    def strategy(self) -> tuple[str, ...]:
        return tuple(self.strategies[i] for i in self.optimal)

    def switch_points(self) -> list[tuple[float, str]]:
        """Where the decision changes: (first wtp of the grid with the new decision, its strategy)."""
        points = [(float(self.wtp[0]), self.strategies[self.optimal[0]])]
        for i in range(1, self.wtp.size):
            if self.optimal[i] != self.optimal[i - 1]:
                points.append((float(self.wtp[i]), self.strategies[self.optimal[i]]))
        return points

    def to_records(self) -> list[dict[str, Any]]:
        return [{"wtp": float(w), "strategy": self.strategies[o], "probability": float(p), "expected_nmb": float(n)}
                for w, o, p, n in zip(self.wtp, self.optimal, self.probability, self.expected_nmb, strict=True)]


def ceaf(costs: ArrayLike, effects: ArrayLike, wtp: ArrayLike,
         strategies: Sequence[str] | None = None) -> Frontier:
    """Cost-effectiveness acceptability frontier: the decision and how sure it is, per wtp.

    At each wtp the optimal strategy is the one with the highest **expected** net monetary
    benefit (not the one most often best: with skewed net benefit the two can differ, and
    then the frontier lies below the highest acceptability curve). The frontier reports
    that strategy's acceptability-curve value. Ties in expected NMB go to the first strategy.

    Args:
        costs, effects: PSA draws, shape ``(draws, k)``, k >= 2.
        wtp: a number or a strictly increasing grid.
        strategies: names of the k strategies (default ``"strategy 0"``, ...).

    Returns:
        :class:`Frontier`.

    Example:
        >>> f = ceaf([[0.0, 10.0], [0.0, 10.0]], [[0.0, 1.0], [0.0, 0.0]], [0, 100], ["A", "B"])
        >>> f.strategy, f.probability.tolist()
        (('A', 'B'), [1.0, 0.5])

    Reference: Fenwick, Claxton & Sculpher 2001 (Health Econ 10:779), the CEAF.
    """
    cost, effect = _draws(costs, effects)
    grid = _wtp(wtp)
    names = _strategy_names(strategies, cost.shape[1])
    curves = ceac(cost, effect, grid)
    expected = grid[:, None] * effect.mean(axis=0)[None, :] - cost.mean(axis=0)[None, :]
    optimal = np.argmax(expected, axis=1).astype(np.int64)
    rows = np.arange(grid.size)
    return Frontier(wtp=grid, optimal=optimal, probability=curves[rows, optimal],
                    expected_nmb=expected[rows, optimal], strategies=names)


def evpi(costs: ArrayLike, effects: ArrayLike, wtp: ArrayLike) -> NDArray[np.float64]:
    """Expected value of perfect information per decision (per patient when inputs are per patient).

    ``EVPI(wtp) = E[max_k NB_k] - max_k E[NB_k]``, expectations over the PSA draws: what a
    decision maker would pay, at most, to remove all uncertainty before choosing. It is
    computed as the mean loss of the expected-optimal strategy ``k*``,
    ``mean over draws of (max_k NB_k - NB_k*)``, which is the same number without the
    cancellation of two large means, and never negative.

    Args:
        costs, effects: PSA draws, shape ``(draws, k)``, k >= 2.
        wtp: a number or a strictly increasing grid.

    Returns:
        Array of shape ``(len(wtp),)``, in money per decision (multiply by the population
        that the decision concerns for the population EVPI).

    Example:
        >>> evpi([[0.0, 5.0], [0.0, 5.0]], [[0.0, 1.0], [0.0, -1.0]], [10.0])
        array([2.5])

    References: Claxton 1999 (J Health Econ 18:341); Drummond et al. 2015, ch. 11;
    Briggs A, Claxton K, Sculpher M. *Decision Modelling for Health Economic Evaluation*,
    Oxford 2006, ch. 7.
    """
    cost, effect = _draws(costs, effects)
    grid = _wtp(wtp)
    values = np.empty(grid.size)
    for row, lam in enumerate(grid):
        nb = lam * effect - cost
        chosen = int(np.argmax(nb.mean(axis=0)))
        values[row] = float(np.mean(nb.max(axis=1) - nb[:, chosen]))
    return values


# --------------------------------------------------------------------------- the --wtp option

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"


def wtp_grid(spec: str) -> NDArray[np.float64]:
    """The willingness-to-pay grid of a ``--wtp`` option.

    ``"START:STOP:STEP"`` gives ``START, START+STEP, ...`` up to and including ``STOP``
    when it falls on the grid (``0:100000:1000`` has 101 values); ``"30000"`` gives one
    value; ``"20000,30000,50000"`` a list (strictly increasing).

    Raises:
        EconomicsInputError (a ValueError) naming what is wrong: not numbers, negative
        values, STEP <= 0, STOP < START, an empty or unsorted grid, or more than
        :data:`MAX_WTP_POINTS` points.

    Example:
        >>> wtp_grid("0:100000:25000").tolist()
        [0.0, 25000.0, 50000.0, 75000.0, 100000.0]
    """
    if not isinstance(spec, str):
        raise EconomicsInputError(f"--wtp: expected text such as '0:100000:1000', got {type(spec).__name__}")
    text = spec.strip().replace("_", "")
    hint = "use START:STOP:STEP (e.g. 0:100000:1000), one value, or a comma-separated list"
    if not text:
        raise EconomicsInputError(f"--wtp: empty; {hint}")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3 or not all(re.fullmatch(_NUMBER, p.strip()) for p in parts):
            raise EconomicsInputError(f"--wtp {spec!r}: not START:STOP:STEP with three numbers; {hint}")
        start, stop, step = (float(p) for p in parts)
        if step <= 0:
            raise EconomicsInputError(f"--wtp {spec!r}: STEP must be > 0, got {step:g}")
        if stop < start:
            raise EconomicsInputError(f"--wtp {spec!r}: STOP ({stop:g}) is below START ({start:g}); the grid is empty")
        count = math.floor((stop - start) / step * (1 + 1e-12) + 1e-9) + 1
        if count > MAX_WTP_POINTS:
            raise EconomicsInputError(
                f"--wtp {spec!r}: {count} points; at most {MAX_WTP_POINTS} (use a larger STEP)")
        values = start + step * np.arange(count, dtype=np.float64)
    else:
        parts = [p.strip() for p in text.split(",")]
        if not all(re.fullmatch(_NUMBER, p) for p in parts):
            raise EconomicsInputError(f"--wtp {spec!r}: not numbers; {hint}")
        values = np.array([float(p) for p in parts])
    try:
        return _wtp(values)
    except EconomicsInputError as exc:
        raise EconomicsInputError(f"--wtp {spec!r}: {str(exc).removeprefix('wtp: ')}") from None
