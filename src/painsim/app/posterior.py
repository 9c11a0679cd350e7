"""A stored ABC-SMC posterior (``painsim calibrate --method abc-smc``): the job behind
``painsim posterior ID`` (docs/calibration.md), written once for every face.

>>> from painsim.app.posterior import posterior_of_run   # doctest: +SKIP
>>> from painsim.store import Store                      # doctest: +SKIP
>>> post = posterior_of_run(Store().get("20261202"))     # doctest: +SKIP
>>> post.table().loc["heal_rate", "mean"]                # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.app.errors import AppInputError

if TYPE_CHECKING:  # pragma: no cover
    from painsim.store import StoredRun

#: The name prefix of a stored posterior run (``posterior:<targets name>``).
POSTERIOR_RUN_PREFIX = "posterior:"


@dataclass(frozen=True)
class StoredPosterior:
    """Weighted draws of a stored posterior, its generations and its priors (low, high, log)."""

    run_id: str
    targets_name: str
    draws: pd.DataFrame
    weights: np.ndarray
    generations: pd.DataFrame
    priors: dict[str, tuple[float, float, bool]]
    holdout: list[str]
    predictive: pd.DataFrame | None = None
    """The posterior predictive check of every target (painsim.calibration.abc_smc.predictive_check)."""

    @property
    def ess(self) -> float:
        """Effective sample size of the draws (Kish)."""
        from painsim.calibration.abc_smc import kish_ess

        return kish_ess(self.weights)

    def table(self) -> pd.DataFrame:
        """One row per parameter: prior bounds, posterior mean, SD, 5/50/95% quantiles."""
        from painsim.calibration.abc_smc import weighted_table

        table = weighted_table(self.draws, self.weights)
        table.insert(0, "prior_low", [self.priors[p][0] for p in table.index])
        table.insert(1, "prior_high", [self.priors[p][1] for p in table.index])
        return table


def posterior_of_run(stored: StoredRun) -> StoredPosterior:
    """The posterior a stored run holds; :class:`AppInputError` if it holds none."""
    from painsim.calibration import TargetsError, parse_targets

    name = stored.metadata.get("name") or ""
    if not name.startswith(POSTERIOR_RUN_PREFIX) or "draws" not in stored.tables:
        raise AppInputError(f"run {stored.run_id} is not a posterior (it is {name or 'unnamed'!r}); a posterior is "
                            "made by `painsim calibrate TARGETS --method abc-smc`")
    try:
        targets = parse_targets(stored.scenario_text, f"run {stored.run_id}")
    except TargetsError as err:
        raise AppInputError(f"run {stored.run_id}: its targets file no longer reads: {err}") from None
    draws = stored.table("draws")
    weights = draws.pop("weight").to_numpy(dtype=float)
    unknown = sorted(set(draws.columns) - set(targets.parameters))
    if unknown:
        raise AppInputError(f"run {stored.run_id}: draws of {', '.join(unknown)}, which its targets file does not name")
    priors = {p: (r.low, r.high, r.log) for p, r in targets.parameters.items() if p in draws.columns}
    holdout = list(stored.summary.get("holdout", []))
    predictive = stored.table("predictive") if "predictive" in stored.tables else None
    return StoredPosterior(stored.run_id, targets.name, draws, weights / weights.sum(), stored.table("generations"),
                           priors, holdout, predictive)


def save_posterior_figure(post: StoredPosterior, path: Path) -> Path:
    """Marginals against the priors and pairwise scatter of the draws (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from painsim.calibration.plots import pair_plot

    figure = pair_plot(post.draws, post.weights, post.priors,
                       title=f"Posterior of {post.targets_name} (run {post.run_id}; ESS {post.ess:.0f})")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def parameters_json(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """A posterior table (one row per parameter) as ``{parameter: {column: value}}``."""
    return {p: {k: float(v) for k, v in row.items()} for p, row in table.iterrows()}


def posterior_json(post: StoredPosterior) -> dict[str, Any]:
    """The posterior's summary as plain JSON."""
    return {"run_id": post.run_id, "targets": post.targets_name, "ess": round(post.ess, 1),
            "draws": len(post.draws), "holdout": post.holdout, "parameters": parameters_json(post.table()),
            "generations": post.generations.to_dict(orient="records"),
            "predictive_check": None if post.predictive is None else post.predictive.to_dict(orient="records")}
