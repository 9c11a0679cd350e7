"""Value of information: EVPPI of a parameter group by the regression metamodel of Strong et al. 2014.

The expected value of partial perfect information of a group of parameters ``phi`` is

    EVPPI(wtp) = E_phi[ max_k E(NB_k | phi) ] - max_k E(NB_k)

(what learning ``phi`` exactly is worth before deciding). Strong, Oakley & Brennan (2014)
estimate the inner conditional expectation from the PSA draws themselves: the net benefit of
each draw is the conditional mean plus noise, so a flexible regression of net benefit on
``phi`` recovers ``g_k(phi) = E(NB_k | phi)``, and

    EVPPI ~ (1/N) sum_n max_k g_k(phi_n) - max_k (1/N) sum_n g_k(phi_n).

Here each strategy's incremental effect and incremental cost against strategy 0 are
regressed on ``phi`` separately; net benefit is linear in them, so
``g_k = wtp * gE_k - gC_k`` at every wtp of the grid with no further fitting.

Two smoothers (``method``):

* ``"gam"`` (default, 1 to 4 parameters): a penalised regression spline (P-spline, Eilers &
  Marx 1996): cubic B-splines with equally spaced knots over each parameter's range,
  tensor products of the margins for 2-4 parameters (as mgcv's ``te()``), a
  second-difference penalty on each margin with its own smoothing parameter, chosen by
  generalised cross-validation (GCV, the default criterion of mgcv's ``gam``).
  The constant lies in the penalty's null space, so the fitted values keep the draws' mean.
* ``"gp"`` (any number of parameters): Gaussian-process regression (scikit-learn,
  squared-exponential kernel with one length scale per parameter plus white noise,
  hyperparameters by maximum marginal likelihood), fitted on at most ``gp_max_fit`` draws
  and evaluated at all of them.

Bias: the estimator is biased upwards when the regression follows noise (fitted values
vary more than the true conditional means; the bias falls like 1/N) and downwards when it
smooths away real structure. With the GCV-chosen penalty and a few thousand draws both are
small against the Monte Carlo error of the PSA itself; :func:`evppi_fit` reports the fit
(R², effective degrees of freedom) so that a poor metamodel can be seen. ``evppi_fit(...,
se_samples=200)`` adds a standard error from the regressions' noise (docs/economics.md,
"Decision analysis").

Reference: Strong M, Oakley JE, Brennan A. Estimating multiparameter partial expected value
of perfect information from a probabilistic sensitivity analysis sample: a nonparametric
regression approach. *Med Decis Making* 2014;34:311-26. Eilers PHC, Marx BD. Flexible
smoothing with B-splines and penalties. *Stat Sci* 1996;11:89-121.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import linalg, optimize
from scipy.interpolate import BSpline
from threadpoolctl import threadpool_limits

from painsim.economics.cea import EconomicsInputError, _draws, _finite_array, _wtp

__all__ = ["EVPPI_METHODS", "GAM_MAX_PARAMETERS", "EVPPIResult", "evppi", "evppi_fit", "min_draws"]

#: The smoothers of :func:`evppi`.
EVPPI_METHODS = ("gam", "gp")
#: Most parameters in one group for the spline smoother (a tensor product grows as m^p).
GAM_MAX_PARAMETERS = 4
#: B-spline basis functions per margin, by group size (p=1: 16; p=2: 10 x 10 = 100; p=3: 216; p=4: 256).
_BASIS_PER_MARGIN = {1: 16, 2: 10, 3: 6, 4: 4}
_DEGREE = 3


def min_draws(n_parameters: int, method: str = "gam") -> int:
    """Fewest PSA draws :func:`evppi` accepts for a group of ``n_parameters``.

    For ``"gam"`` twice the number of spline coefficients and at least 200 (a regression
    with about as many coefficients as draws follows the noise); 200 for ``"gp"``.

    Example:
        >>> min_draws(1), min_draws(2), min_draws(4)
        (200, 200, 512)
    """
    if method == "gam" and 1 <= n_parameters <= GAM_MAX_PARAMETERS:
        return max(200, 2 * _BASIS_PER_MARGIN[n_parameters] ** n_parameters)
    return 200


@dataclass(frozen=True)
class EVPPIResult:
    """EVPPI per wtp and how well the metamodel fitted (one entry per regression).

    ``regressions`` names each regression (``"effect 1 - 0"``, ``"cost 1 - 0"``, ...);
    ``r_squared`` and ``edf`` (effective degrees of freedom; ``None`` for ``"gp"``) follow
    the same order. A low R² for a strategy whose net benefit depends on the group means
    the group explains little of it (or the metamodel missed it). ``standard_error`` is the
    spread of the estimate that the regressions' noise causes (``None`` when not asked for,
    or for ``"gp"``); see :func:`evppi_fit`.
    """

    wtp: NDArray[np.float64]
    evppi: NDArray[np.float64]
    method: str
    n_draws: int
    n_parameters: int
    regressions: tuple[str, ...]
    r_squared: tuple[float, ...]
    edf: tuple[float | None, ...]
    standard_error: NDArray[np.float64] | None = None


def evppi(costs: ArrayLike, effects: ArrayLike, parameters: ArrayLike, wtp: ArrayLike, *,
          method: str = "gam", seed: int = 0, gp_max_fit: int = 500) -> NDArray[np.float64]:
    """EVPPI per decision of one parameter group at each wtp (Strong, Oakley & Brennan 2014).

    Args:
        costs, effects: PSA draws, shape ``(draws, k)``, k >= 2.
        parameters: the group's parameter values in the same draws, shape ``(draws, p)``
            (or ``(draws,)`` for one parameter).
        wtp: a number or a strictly increasing grid.
        method: ``"gam"`` (penalised regression spline, p <= 4) or ``"gp"`` (Gaussian process).
        seed: which draws the Gaussian process is fitted on when there are more than
            ``gp_max_fit``.
        gp_max_fit: most draws the Gaussian process is fitted on (its cost grows as the cube).

    Returns:
        Array of shape ``(len(wtp),)``, money per decision, never negative.

    Raises:
        EconomicsInputError: shapes that do not match, NaN, a constant parameter, an unknown
            method, too many parameters for ``"gam"``, fewer draws than :func:`min_draws`.

    Example (net benefit of the new strategy = phi, phi ~ N(0, 1): EVPPI = E[max(0, phi)]
    = 1/sqrt(2 pi) = 0.399):

        >>> rng = np.random.default_rng(1)
        >>> phi = rng.normal(size=4000)
        >>> costs = np.zeros((4000, 2))
        >>> effects = np.column_stack([np.zeros(4000), phi + rng.normal(size=4000)])
        >>> bool(abs(evppi(costs, effects, phi, 1.0)[0] - 1 / np.sqrt(2 * np.pi)) < 0.03)
        True
    """
    return evppi_fit(costs, effects, parameters, wtp, method=method, seed=seed, gp_max_fit=gp_max_fit).evppi


def evppi_fit(costs: ArrayLike, effects: ArrayLike, parameters: ArrayLike, wtp: ArrayLike, *,
              method: str = "gam", seed: int = 0, gp_max_fit: int = 500,
              se_samples: int = 0) -> EVPPIResult:
    """:func:`evppi` with the metamodel's fit statistics and, if asked, a standard error.

    ``se_samples`` > 0 (``"gam"`` only) estimates the standard error that the noise in the
    regressions causes (as Strong et al. 2014 sample the fitted values of the GAM): the residuals'
    covariance across the 2(k-1) regressions is estimated, ``se_samples`` noise vectors
    with that covariance are passed through the same linear smoothers (smoothing parameters
    held at their chosen values), and the standard deviation of the EVPPI recomputed from
    the perturbed fitted values is reported. It describes the estimate given the draws of
    the group, not the variation from drawing the group again.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> phi = rng.normal(size=1000)
        >>> fit = evppi_fit(np.zeros((1000, 2)), np.column_stack([np.zeros(1000), phi]), phi, [0.5, 1.0])
        >>> fit.regressions, round(fit.r_squared[0], 3)
        (('effect 1 - 0', 'cost 1 - 0'), 1.0)
    """
    cost, effect = _draws(costs, effects)
    grid = _wtp(wtp)
    phi = _parameter_matrix(parameters, cost.shape[0])
    n, p = phi.shape
    if method not in EVPPI_METHODS:
        raise EconomicsInputError(f"method: {method!r} is not one of {', '.join(EVPPI_METHODS)}")
    if method == "gam" and p > GAM_MAX_PARAMETERS:
        raise EconomicsInputError(
            f"parameters: {p} in the group; the spline metamodel ('gam') takes at most {GAM_MAX_PARAMETERS} "
            "(use method='gp' for larger groups)")
    needed = min_draws(p, method)
    if n < needed:
        raise EconomicsInputError(
            f"costs and effects: {n} draws; EVPPI of {p} parameter(s) by '{method}' needs at least {needed}")
    if isinstance(gp_max_fit, bool) or not isinstance(gp_max_fit, int) or gp_max_fit < 50:
        raise EconomicsInputError(f"gp_max_fit: must be an integer >= 50, got {gp_max_fit!r}")
    if isinstance(se_samples, bool) or not isinstance(se_samples, int) or se_samples < 0:
        raise EconomicsInputError(f"se_samples: must be an integer >= 0, got {se_samples!r}")
    if se_samples and method != "gam":
        raise EconomicsInputError("se_samples: the standard error is computed for method='gam' only")

    # one BLAS thread: the many small solves of the smoothing search run ~20x faster than with
    # threads contending for 2 cores (measured, docs/economics.md)
    with threadpool_limits(limits=1):
        return _evppi(cost, effect, phi, grid, method, seed, gp_max_fit, se_samples)


def _evppi(cost: NDArray, effect: NDArray, phi: NDArray, grid: NDArray, method: str, seed: int,
           gp_max_fit: int, se_samples: int) -> EVPPIResult:
    n, p = phi.shape
    smoother = _PSpline(phi) if method == "gam" else _GaussianProcess(phi, seed, gp_max_fit)
    k = cost.shape[1]
    fitted_effect = np.zeros((n, k))
    fitted_cost = np.zeros((n, k))
    names, r_squared, edf, residuals, operators = [], [], [], [], []
    for j in range(1, k):
        for label, response, out in (("effect", effect, fitted_effect), ("cost", cost, fitted_cost)):
            y = response[:, j] - response[:, 0]
            out[:, j], fit_edf, operator = smoother.fit(y)
            names.append(f"{label} {j} - 0")
            r_squared.append(_r_squared(y, out[:, j]))
            edf.append(fit_edf)
            residuals.append(y - out[:, j])
            operators.append(operator)
    values = _evppi_of_fitted(fitted_effect, fitted_cost, grid)
    standard_error = None
    if se_samples:
        standard_error = _standard_error(fitted_effect, fitted_cost, grid, np.column_stack(residuals),
                                         operators, edf, se_samples, seed)
    return EVPPIResult(wtp=grid, evppi=values, method=method, n_draws=n, n_parameters=p,
                       regressions=tuple(names), r_squared=tuple(r_squared), edf=tuple(edf),
                       standard_error=standard_error)


def _evppi_of_fitted(fitted_effect: NDArray, fitted_cost: NDArray, grid: NDArray) -> NDArray[np.float64]:
    values = np.empty(grid.size)
    for row, lam in enumerate(grid):
        g = lam * fitted_effect - fitted_cost
        values[row] = max(0.0, float(np.mean(g.max(axis=1)) - np.max(g.mean(axis=0))))
    return values


def _standard_error(fitted_effect: NDArray, fitted_cost: NDArray, grid: NDArray, residuals: NDArray,
                    operators: list, edf: list, samples: int, seed: int) -> NDArray[np.float64]:
    """SD of EVPPI when noise with the residuals' covariance goes through the same smoothers.

    Regressions alternate effect, cost for strategies 1..k-1 (the order of ``_evppi``).
    """
    n = residuals.shape[0]
    dof = max(n - float(np.mean([e for e in edf if e is not None])), 1.0)
    covariance = residuals.T @ residuals / dof
    root = _psd_root(covariance)
    rng = np.random.default_rng(seed)
    estimates = np.empty((samples, grid.size))
    for s in range(samples):
        noise = rng.standard_normal((n, root.shape[0])) @ root.T
        effect_s, cost_s = fitted_effect.copy(), fitted_cost.copy()
        for r, operator in enumerate(operators):
            j, is_cost = 1 + r // 2, r % 2 == 1
            target = cost_s if is_cost else effect_s
            target[:, j] += operator(noise[:, r])
        estimates[s] = _evppi_of_fitted(effect_s, cost_s, grid)
    return estimates.std(axis=0, ddof=1)


def _psd_root(covariance: NDArray) -> NDArray:
    """A matrix L with L L' = covariance (eigen-decomposition: a regression without noise gives a zero row)."""
    values, vectors = linalg.eigh(covariance)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def _parameter_matrix(parameters: ArrayLike, n_draws: int) -> NDArray[np.float64]:
    phi = _finite_array(parameters, "parameters")
    if phi.ndim == 1:
        phi = phi[:, None]
    if phi.ndim != 2 or phi.shape[0] != n_draws:
        raise EconomicsInputError(
            f"parameters: expected shape ({n_draws}, p), one row per PSA draw, got shape {phi.shape}")
    if phi.shape[1] == 0:
        raise EconomicsInputError("parameters: the group is empty (need at least one column)")
    constant = [j for j in range(phi.shape[1]) if np.ptp(phi[:, j]) == 0]
    if constant:
        raise EconomicsInputError(
            f"parameters: column(s) {constant} do not vary across the draws; a constant parameter has no EVPPI")
    return phi


def _r_squared(y: NDArray, fitted: NDArray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0.0:
        return 1.0
    return 1.0 - float(np.sum((y - fitted) ** 2)) / total


class _PSpline:
    """Tensor-product P-spline, smoothing parameters by GCV; the design is shared by every regression.

    One parameter: one smoothing parameter, GCV on a whitened eigenbasis (each trial value costs
    O(q)). Two to four: one smoothing parameter per margin (anisotropic, as mgcv's ``te()``),
    GCV minimised by Nelder-Mead from the best common value.
    """

    def __init__(self, phi: NDArray[np.float64]) -> None:
        n, p = phi.shape
        m = _BASIS_PER_MARGIN[p]
        margins = [self._basis(phi[:, j], m) for j in range(p)]
        design = margins[0]
        for basis in margins[1:]:  # row-wise Kronecker product: the tensor-product basis
            design = (design[:, :, None] * basis[:, None, :]).reshape(n, -1)
        difference = np.diff(np.eye(m), n=2, axis=0)
        margin_penalty = difference.T @ difference
        identity = np.eye(m)
        self.penalties = []
        for j in range(p):
            term = np.ones((1, 1))
            for i in range(p):
                term = np.kron(term, margin_penalty if i == j else identity)
            self.penalties.append(term)
        self.design = design
        gram = design.T @ design
        # a tiny ridge keeps the system positive definite when a basis function has (almost) no draws
        self.gram = gram + 1e-10 * np.trace(gram) / gram.shape[0] * np.eye(gram.shape[0])
        self._chol = linalg.cholesky(self.gram, lower=False)  # gram = R'R
        total = sum(self.penalties)
        whitened = linalg.solve_triangular(self._chol, linalg.solve_triangular(self._chol, total, trans="T").T,
                                           trans="T")  # R^-T S R^-1
        d, u = linalg.eigh((whitened + whitened.T) / 2)
        self._d = np.clip(d, 0.0, None)
        self._u = u
        self._scale = float(np.median(self._d[self._d > 1e-12 * self._d.max()]))

    @staticmethod
    def _basis(x: NDArray[np.float64], m: int) -> NDArray[np.float64]:
        low, high = float(x.min()), float(x.max())
        step = (high - low) / (m - _DEGREE)
        knots = np.linspace(low - _DEGREE * step, high + _DEGREE * step, m + _DEGREE + 1)
        # extrapolate: the end knots are computed, and the largest draw may fall a rounding error outside
        return BSpline.design_matrix(x, knots, _DEGREE, extrapolate=True).toarray()

    def fit(self, y: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, Callable]:
        """Fitted values at the GCV-optimal smoothing, their effective degrees of freedom, and the
        linear smoother at that smoothing (a function of a response vector)."""
        n = y.size
        if np.ptp(y) == 0.0:
            return y.copy(), 1.0, np.zeros_like
        xty = self.design.T @ y
        yy = float(y @ y)
        c = self._u.T @ linalg.solve_triangular(self._chol, xty, trans="T")

        def gcv_common(log_lambda: float) -> float:
            shrink = 1.0 / (1.0 + np.exp(log_lambda) * self._scale * self._d)
            rss = yy - float(np.sum(c**2 * (2 * shrink - shrink**2)))
            return n * max(rss, 0.0) / (n - float(shrink.sum())) ** 2

        grid = np.linspace(-12.0, 12.0, 49)
        start = grid[int(np.argmin([gcv_common(g) for g in grid]))]
        common = optimize.minimize_scalar(gcv_common, bounds=(start - 0.5, start + 0.5), method="bounded").x
        if len(self.penalties) == 1:
            shrink = 1.0 / (1.0 + np.exp(common) * self._scale * self._d)

            def smooth_common(z: NDArray) -> NDArray:
                cz = self._u.T @ linalg.solve_triangular(self._chol, self.design.T @ z, trans="T")
                return self.design @ linalg.solve_triangular(self._chol, self._u @ (shrink * cz))

            coefficients = linalg.solve_triangular(self._chol, self._u @ (shrink * c))
            return self.design @ coefficients, float(shrink.sum()), smooth_common

        def factorise(log_lambdas: NDArray):
            lambdas = np.exp(np.clip(log_lambdas, -14.0, 14.0)) * self._scale
            return linalg.cho_factor(self.gram + sum(lam * s for lam, s in zip(lambdas, self.penalties, strict=True)))

        def solve(log_lambdas: NDArray) -> tuple[NDArray, float, float]:
            factor = factorise(log_lambdas)
            beta = linalg.cho_solve(factor, xty)
            rss = yy - 2 * float(beta @ xty) + float(beta @ self.gram @ beta)
            edf = float(np.trace(linalg.cho_solve(factor, self.gram)))
            return beta, max(rss, 0.0), edf

        def gcv(log_lambdas: NDArray) -> float:
            _, rss, edf = solve(log_lambdas)
            return n * rss / (n - edf) ** 2

        p = len(self.penalties)
        best = optimize.minimize(gcv, np.full(p, common), method="Nelder-Mead",
                                 options={"xatol": 0.05, "fatol": 1e-10, "maxfev": 60 * p}).x
        beta, _, edf = solve(best)
        factor = factorise(best)

        def smooth_tensor(z: NDArray) -> NDArray:
            return self.design @ linalg.cho_solve(factor, self.design.T @ z)

        return self.design @ beta, edf, smooth_tensor


class _GaussianProcess:
    """Gaussian-process regression on a subsample, evaluated at every draw."""

    def __init__(self, phi: NDArray[np.float64], seed: int, max_fit: int) -> None:
        self.phi = (phi - phi.mean(axis=0)) / phi.std(axis=0)
        n = phi.shape[0]
        rng = np.random.default_rng(seed)
        self.subset = np.sort(rng.choice(n, size=max_fit, replace=False)) if n > max_fit else np.arange(n)

    def fit(self, y: NDArray[np.float64]) -> tuple[NDArray[np.float64], None, None]:
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        if np.ptp(y) == 0.0:
            return y.copy(), None, None
        p = self.phi.shape[1]
        kernel = ConstantKernel(1.0, (1e-4, 1e4)) * RBF(np.ones(p), (1e-2, 1e3)) + WhiteKernel(0.5, (1e-8, 1e2))
        model = GaussianProcessRegressor(kernel=kernel, normalize_y=True, random_state=0)
        model.fit(self.phi[self.subset], y[self.subset])
        return model.predict(self.phi), None, None
