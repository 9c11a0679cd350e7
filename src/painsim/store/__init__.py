"""The embedded results store: DuckDB for run metadata, Parquet for per-run tables.

>>> from painsim.store import Store                                   # doctest: +SKIP
>>> store = Store()                    # $PAINSIM_STORE, else the user data folder
>>> with store.new_run(scenario_text, seed=1, name="baseline") as run:  # doctest: +SKIP
...     run.write_table("trajectories", df)
...     run.set_summary({"pain_mean": 5.2})
>>> store.get(run.run_id[:12]).table("trajectories")                  # doctest: +SKIP
>>> store.check().ok          # every table against its SHA-256 checksum    # doctest: +SKIP
>>> store.rebuild()           # restore painsim.duckdb from the run folders  # doctest: +SKIP

``fsync_file`` and ``fsync_dir`` are the durable-write steps the store uses (temporary
file, fsync, rename, fsync of the folder), public for other crash-safe writers (the sweeps).

See docs/store.md.
"""

from painsim.store._fs import fsync_dir, fsync_file
from painsim.store.errors import (
    AmbiguousRunError,
    DamagedIndexError,
    DamagedRunError,
    DamagedStoreError,
    DamagedTableError,
    MissingIndexError,
    RunNotFoundError,
    StoreError,
    StoreInputError,
    StoreNotFoundError,
)
from painsim.store.integrity import CheckReport, Problem, RebuildReport
from painsim.store.store import EXPORT_FORMATS, RunWriter, Store, StoredRun, default_root, new_run_id, scenario_hash

__all__ = [
    "EXPORT_FORMATS",
    "AmbiguousRunError",
    "CheckReport",
    "DamagedIndexError",
    "DamagedRunError",
    "DamagedStoreError",
    "DamagedTableError",
    "MissingIndexError",
    "Problem",
    "RebuildReport",
    "RunNotFoundError",
    "RunWriter",
    "Store",
    "StoreError",
    "StoreInputError",
    "StoreNotFoundError",
    "StoredRun",
    "default_root",
    "fsync_dir",
    "fsync_file",
    "new_run_id",
    "scenario_hash",
]
