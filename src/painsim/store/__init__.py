"""The embedded results store: DuckDB for run metadata, Parquet for per-run tables.

>>> from painsim.store import Store                                   # doctest: +SKIP
>>> store = Store()                    # $PAINSIM_STORE, else the user data folder
>>> with store.new_run(scenario_text, seed=1, name="baseline") as run:  # doctest: +SKIP
...     run.write_table("trajectories", df)
...     run.set_summary({"pain_mean": 5.2})
>>> store.get(run.run_id[:12]).table("trajectories")                  # doctest: +SKIP

See docs/store.md.
"""

from painsim.store.errors import (
    AmbiguousRunError,
    DamagedIndexError,
    DamagedRunError,
    DamagedStoreError,
    DamagedTableError,
    MissingIndexError,
    RunNotFoundError,
    StoreError,
)
from painsim.store.store import RunWriter, Store, StoredRun, default_root, new_run_id, scenario_hash

__all__ = [
    "AmbiguousRunError",
    "DamagedIndexError",
    "DamagedRunError",
    "DamagedStoreError",
    "DamagedTableError",
    "MissingIndexError",
    "RunNotFoundError",
    "RunWriter",
    "Store",
    "StoreError",
    "StoredRun",
    "default_root",
    "new_run_id",
    "scenario_hash",
]
