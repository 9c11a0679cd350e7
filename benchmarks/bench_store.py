"""What the store's SHA-256 checksums cost: writing, reading, exporting and checking a run.

One run with one table of ``--rows`` rows (day, patient, pain, rmdq, state: the shape of a
recorded trajectory table) is written into a fresh store; each operation is timed as the
median of ``--repeats`` repeats, with and without the checksum work it includes:

* commit: ``write_table`` + commit (the checksum is computed in ``write_table``), against
  ``DataFrame.to_parquet`` of the same frame alone;
* read: ``StoredRun.table(name)`` (verifies the checksum) against ``table(name, verify=False)``;
* ``Store.check()`` (hashes every table) and ``StoredRun.export("parquet", ...)`` (hashes while copying).

    python benchmarks/bench_store.py              # 5,000,000 rows (~65 MB of Parquet)
    python benchmarks/bench_store.py --rows 200000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from painsim.store import Store


def _median(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "day": np.arange(rows, dtype=np.int32) % 365, "patient": np.arange(rows, dtype=np.int32) // 365,
        "pain": rng.uniform(0, 10, rows), "rmdq": rng.integers(0, 25, rows, dtype=np.int16),
        "state": pd.Categorical(rng.choice(["acute", "subacute", "chronic"], rows)),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    df = frame(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")

        def commit() -> str:
            with store.new_run("n = 1\n", seed=1) as run:
                run.write_table("trajectories", df)
            return run.run_id

        plain = _median(lambda: df.to_parquet(Path(tmp) / "plain.parquet", engine="pyarrow"), args.repeats)
        committed = _median(commit, args.repeats)
        stored = store.get(commit())
        size = (stored.path / "trajectories.parquet").stat().st_size
        verified = _median(lambda: stored.table("trajectories"), args.repeats)
        unverified = _median(lambda: stored.table("trajectories", verify=False), args.repeats)
        check = _median(store.check, args.repeats)
        runs = len(store)
        export = _median(lambda: stored.export("parquet", Path(tmp) / "export"), args.repeats)
    print(f"{args.rows:,} rows, {size / 1e6:.1f} MB of Parquet, median of {args.repeats}")
    print(f"  to_parquet alone        {plain * 1e3:8.0f} ms")
    print(f"  write_table + commit    {committed * 1e3:8.0f} ms  (includes the checksum)")
    print(f"  table() verified        {verified * 1e3:8.0f} ms")
    print(f"  table(verify=False)     {unverified * 1e3:8.0f} ms")
    print(f"  export parquet          {export * 1e3:8.0f} ms  (hashes while copying)")
    print(f"  Store.check()           {check * 1e3:8.0f} ms  ({runs} runs of {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
