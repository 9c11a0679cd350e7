"""A stored ABC-SMC posterior (``painsim calibrate --method abc-smc``): the job behind
``painsim posterior ID`` (docs/calibration.md), written once for every face.

>>> from painsim.app.posterior import posterior_of_run   # doctest: +SKIP
>>> from painsim.store import Store                      # doctest: +SKIP
>>> post = posterior_of_run(Store().get("20261202"))     # doctest: +SKIP
>>> post.table().loc["heal_rate", "mean"]                # doctest: +SKIP
"""

from __future__ import annotations

import json
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
#: The id that names the posterior shipped with painsim (``--posterior default``).
DEFAULT_POSTERIOR = "default"
#: Where the shipped posterior lives in the package, and the one command that remakes it.
DEFAULT_POSTERIOR_FILE = "data/default_posterior.json"
DEFAULT_POSTERIOR_COMMAND = "python scripts/default_posterior.py"


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
    model_version: str | None = None
    """The model version it was calibrated on (painsim.calibration.model_version); None: not recorded."""

    @property
    def ess(self) -> float:
        """Effective sample size of the draws (Kish)."""
        from painsim.calibration.abc_smc import kish_ess

        return kish_ess(self.weights)

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        """``n`` equally weighted parameter sets (one row each), by systematic resampling of
        the weighted draws (Kitagawa 1996): every draw appears floor(n w) or ceil(n w) times,
        the least added noise of the resampling schemes; rows in a seeded random order.

        >>> post = StoredPosterior("r", "t", pd.DataFrame({"a": [1.0, 2.0]}), np.array([0.25, 0.75]),
        ...                        pd.DataFrame(), {"a": (0.0, 3.0, False)}, [])
        >>> sorted(post.sample(4, seed=0)["a"])
        [1.0, 2.0, 2.0, 2.0]
        """
        if n < 1:
            raise AppInputError(f"draws: at least 1 parameter set is needed (given {n})")
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5A3]))
        positions = (rng.random() + np.arange(n)) / n
        picked = np.minimum(np.searchsorted(np.cumsum(self.weights), positions), len(self.weights) - 1)
        return self.draws.iloc[rng.permutation(picked)].reset_index(drop=True)

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
                           priors, holdout, predictive, stored.metadata.get("meta", {}).get("model_version"))


def load_posterior(ref: str, store: Path | None = None) -> StoredPosterior:
    """The posterior ``ref`` names: ``"default"`` (the one shipped with painsim) or the id (or
    a unique prefix) of a stored posterior run. :class:`AppInputError` when there is none."""
    if ref == DEFAULT_POSTERIOR:
        return shipped_posterior()
    from painsim.store import Store, StoreError

    try:
        stored = Store(store).get(ref)
        stored.verify()
    except StoreError as err:
        raise AppInputError(f"posterior {ref!r}: {err}") from None
    return posterior_of_run(stored)


def check_model_version(post: StoredPosterior) -> None:
    """:class:`AppInputError` unless ``post`` was calibrated on the model this painsim runs:
    draws of another model's parameters would give answers of that other model."""
    from painsim.calibration.model_version import model_version

    current = model_version()
    if post.model_version == current:
        return
    remake = (DEFAULT_POSTERIOR_COMMAND if post.run_id == DEFAULT_POSTERIOR
              else f"painsim calibrate TARGETS --method abc-smc (the targets of {post.targets_name})")
    made = f"model version {post.model_version}" if post.model_version else "a model version it did not record"
    raise AppInputError(f"posterior {post.run_id} was calibrated on {made}; this painsim's model is version "
                        f"{current}, so its draws describe another model. Make a new posterior: {remake}")


def default_posterior_note() -> str | None:
    """None when the posterior shipped with painsim can be used as it is, else why not (it
    is missing, or of another model version), for the faces that use it unasked (``painsim
    demo``) and say so instead of failing."""
    try:
        check_model_version(shipped_posterior())
    except AppInputError as err:
        return str(err)
    return None


def shipped_posterior() -> StoredPosterior:
    """The default posterior that ships with painsim (``src/painsim/data/default_posterior.json``)."""
    from importlib import resources

    resource = resources.files("painsim").joinpath(DEFAULT_POSTERIOR_FILE)
    if not resource.is_file():
        raise AppInputError(f"no default posterior ships with this painsim ({DEFAULT_POSTERIOR_FILE} is missing); "
                            f"make it with {DEFAULT_POSTERIOR_COMMAND}")
    return posterior_from_json(json.loads(resource.read_text()))


def posterior_file_json(post: StoredPosterior, settings: dict[str, Any]) -> dict[str, Any]:
    """Everything a posterior needs to be used elsewhere (the shipped file's content): draws,
    weights, priors, generations, the predictive check, model version and how it was made."""
    return {"targets": post.targets_name, "model_version": post.model_version, "settings": settings,
            "priors": {p: list(v) for p, v in post.priors.items()}, "holdout": post.holdout,
            "draws": {p: post.draws[p].tolist() for p in post.draws.columns}, "weights": post.weights.tolist(),
            "generations": post.generations.to_dict(orient="records"),
            "predictive": None if post.predictive is None else post.predictive.to_dict(orient="records")}


def posterior_from_json(data: dict[str, Any], run_id: str = DEFAULT_POSTERIOR) -> StoredPosterior:
    """The inverse of :func:`posterior_file_json`."""
    weights = np.asarray(data["weights"], dtype=float)
    predictive = None if data.get("predictive") is None else pd.DataFrame(data["predictive"])
    return StoredPosterior(run_id, data["targets"], pd.DataFrame(data["draws"]), weights / weights.sum(),
                           pd.DataFrame(data["generations"]),
                           {p: (float(v[0]), float(v[1]), bool(v[2])) for p, v in data["priors"].items()},
                           list(data["holdout"]), predictive, data.get("model_version"))


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
