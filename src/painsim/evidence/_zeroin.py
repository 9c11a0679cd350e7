"""Brent–Dekker root finding with the exact stopping rule of R's ``uniroot``.

metafor finds the Paule–Mandel estimate and the Q-profile confidence limits
with ``uniroot(..., tol = .Machine$double.eps^0.25)``.  That tolerance is
loose (about 1.2e-4), so the root metafor reports depends on the precise
sequence of iterates.  To reproduce metafor's numbers (not just the exact
root) this module implements the same algorithm as R's ``zeroin.c``
(Brent 1973, *Algorithms for Minimization without Derivatives*, ch. 4): the
same bracket updates, interpolation acceptance tests and termination test
``|c - b| / 2 <= 2 * eps * |b| + tol / 2``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_EPS = float(np.finfo(float).eps)
R_UNIROOT_TOL = _EPS**0.25


@dataclass(frozen=True)
class RootResult:
    """Result of :func:`uniroot`."""

    root: float
    f_root: float
    iterations: int
    converged: bool


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    tol: float = R_UNIROOT_TOL,
    maxiter: int = 1000,
    f_lower: float | None = None,
    f_upper: float | None = None,
) -> RootResult:
    """Find a root of ``f`` in ``[lower, upper]`` like R's ``uniroot``.

    Parameters
    ----------
    f
        Continuous function with ``f(lower)`` and ``f(upper)`` of opposite sign.
    lower, upper
        Bracket.
    tol
        Absolute tolerance on the root (R's default ``eps^0.25``).
    maxiter
        Maximum number of iterations.
    f_lower, f_upper
        Optional precomputed function values at the bracket ends.

    Returns
    -------
    RootResult

    Raises
    ------
    ValueError
        If the bracket does not contain a sign change.

    Examples
    --------
    >>> round(uniroot(lambda x: x * x - 2.0, 0.0, 2.0, tol=1e-12).root, 10)
    1.4142135624
    """
    fa = f(lower) if f_lower is None else f_lower
    fb = f(upper) if f_upper is None else f_upper
    if fa * fb > 0:
        raise ValueError("f() values at end points not of opposite sign")
    a, b = float(lower), float(upper)
    c, fc = a, fa
    if fa == 0.0:
        return RootResult(a, fa, 0, True)
    if fb == 0.0:
        return RootResult(b, fb, 0, True)
    maxit = maxiter + 1
    used = 0
    while maxit > 0:
        maxit -= 1
        used += 1
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * _EPS * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        if abs(new_step) <= tol_act or fb == 0.0:
            return RootResult(b, fb, used - 1, True)
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return RootResult(b, fb, maxiter, False)
