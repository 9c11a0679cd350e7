"""Sweeps as application jobs: the results folder a command resumes from, a scenario at every
point of a parameter grid, and keeping a finished sweep as a run of the store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from painsim.scenario import Scenario
    from painsim.sweeps import ResultsFolder, SweepOutcome

Progress = Callable[[int, int], None]


def sweep_results_folder(results: Path | None, store: Path | None, kind: str, name: str, key: str) -> ResultsFolder:
    """``results`` if given, else ``sweeps/<kind>-<name>-<hash of key>`` in the store, with
    the name made safe (painsim.outputs.output_stem): the same job finds the same folder
    again, which is what makes a rerun resume."""
    from painsim.outputs import output_stem
    from painsim.store import default_root
    from painsim.sweeps import ResultsFolder

    if results is not None:
        return ResultsFolder(results)
    root = Path(store).expanduser() if store is not None else default_root()
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return ResultsFolder(root / "sweeps" / f"{kind}-{output_stem(name)}-{digest}")


def run_grid_sweep(scenario: Scenario, grid: Mapping[str, Sequence[float]], results: ResultsFolder, client: Any,
                   *, n: int | None = None, seed: int | None = None,
                   progress: Progress | None = None) -> tuple[pd.DataFrame, SweepOutcome]:
    """Run ``scenario`` at every point of ``grid`` (model or care parameters, ``loop.NAME``
    gains) as a resumable sweep on ``client``; one row per point. Raise SweepError."""
    from painsim.sweeps import grid_sweep

    return grid_sweep(scenario, grid, results, client, n=n, seed=seed, progress=progress)


def store_tables_run(store: Path | None, text: str, seed: int, name: str, meta: Mapping[str, Any],
                     tables: Mapping[str, pd.DataFrame], summary: dict | Callable[[str], dict]) -> str:
    """Keep a finished job (a sweep, a calibration) as a run of the store: its input text,
    tables and summary, atomically; return the run id. ``summary`` may be a function of the
    new run's id (for file names that carry it). Raise StoreError or OSError."""
    from painsim.store import Store

    with Store(store).new_run(text, seed=seed, name=name, meta=dict(meta)) as run:
        for table_name, frame in tables.items():
            run.write_table(table_name, frame)
        run.set_summary(summary(run.run_id) if callable(summary) else summary)
    return run.run_id
