"""Keep a finished job as a run of the results store: one atomic block for every kind of job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


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
