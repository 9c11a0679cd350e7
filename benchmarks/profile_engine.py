"""Profile the engine at the level of the Python driver with py-spy (the kernel is one native frame).

A typical workflow: build a chronic cohort (screening simulates acute episodes), simulate it
for a year with weekly recording, summarise it. ``python benchmarks/profile_engine.py``
runs it under ``py-spy record`` and prints the share of samples per function (self and
total); run with ``--work`` to run the workload alone.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def work(n: int, days: int) -> None:
    import painsim as ps

    ps.simulate(ps.Cohort.build("acute", n=64, seed=0), 2, ps.Record.summaries())  # load the kernel
    cohort = ps.Cohort.build("chronic", n=n, seed=1)
    result = ps.simulate(cohort, days, ps.Record.weekly("pain", "disability"))
    result.summary()
    result.daily()


def py_spy() -> str | None:
    """The py-spy executable: on PATH or beside this Python (a virtual environment's bin/)."""
    return shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))


def profile(n: int, days: int, rate: int = 200) -> dict[str, object]:
    """Run ``work`` under py-spy; shares of samples by function (leaf = self, any frame = total)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.txt"
        subprocess.run([py_spy(), "record", "--native", "-r", str(rate), "-f", "raw", "-o", str(raw), "--",
                        sys.executable, __file__, "--work", "--n", str(n), "--days", str(days)],
                       check=True, capture_output=True, text=True)
        by_python: collections.Counter[str] = collections.Counter()
        native_leaf: collections.Counter[str] = collections.Counter()
        total_count: collections.Counter[str] = collections.Counter()
        samples = 0
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            c = int(count)
            frames = stack.split(";")
            samples += c
            python = [f for f in frames if ".py:" in f]
            by_python[_short(python[-1]) if python else "(native only)"] += c
            leaf = frames[-1].split(" (")[0]
            native_leaf["libm " + leaf if leaf in LIBM else
                        ("JIT code (no symbol)" if leaf.startswith("0x") else "other")] += c
            for f in {_short(f) for f in python}:
                total_count[f] += c
    share = {k: round(v / samples, 3) for k, v in by_python.most_common(12)}
    return {"samples": samples, "deepest_python_frame": share,
            "native_leaf": {k: round(v / samples, 3) for k, v in native_leaf.most_common()},
            "total": {k: round(v / samples, 3) for k, v in total_count.most_common(60)}}


LIBM = {"exp", "log", "cos", "sin", "__exp", "__log", "__cos", "__sin", "__ieee754_exp", "__ieee754_log",
        "__exp_finite", "__log_finite", "__cos_fma", "__exp1", "__cos_avx2", "__exp_fma", "__log_fma"}


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", action="store_true")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    if args.work:
        work(args.n, args.days)
        return
    import json

    print(json.dumps(profile(args.n, args.days), indent=2))


if __name__ == "__main__":
    main()
