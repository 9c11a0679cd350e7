"""The benchmarks stay runnable: a tiny run of each (no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_quick_run(tmp_path):
    out = tmp_path / "engine.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_engine.py"), "--quick", "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=300)
    rows = json.loads(out.read_text())["rows"]
    assert [r["n"] for r in rows] == [1000, 10000]
    assert all(r["patient_days_per_s"] > 0 and r["peak_rss_mib"] > 0 for r in rows)
