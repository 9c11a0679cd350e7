"""Golden outputs: every case of scripts/golden.py gives today exactly the results recorded in
tests/golden/*.json (JSON summaries float for float, stored tables hash for hash).

A failure means results changed. If the change is a deliberate model change, regenerate with
``python scripts/golden.py --update`` and commit the new files with it (docs/golden.md).
"""

import copy
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "golden.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("painsim_golden_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


golden = _load_script()


@pytest.mark.parametrize("case", list(golden.CASES))
def test_results_are_identical_to_the_golden_files(case, tmp_path):
    lines = golden.compare(case, golden.run_case(case, tmp_path))
    assert not lines, golden.diff_report(case, lines)


def test_one_thread_gives_the_golden_results_of_two(tmp_path):
    lines = golden.compare("api_simulate", golden.run_case("api_simulate", tmp_path, n_jobs=1))
    assert not lines, golden.diff_report("api_simulate", lines)


def test_a_changed_value_or_hash_is_reported_by_case_and_place():
    record = golden.load_golden("natural_history")
    changed = copy.deepcopy(record)
    share = changed["summary"]["chronic_share_by_loop_off"]["wind_up"]
    changed["summary"]["chronic_share_by_loop_off"]["wind_up"] = share + 1e-15 if share else 1e-15
    column = changed["tables"]["file:natural_history.csv"]["columns"]["pain_mean"]
    column["sha256"] = "0" * 64
    del changed["summary"]["n"]
    lines = golden.differences(record, changed)
    assert len(lines) == 3
    assert any(line.startswith(".summary.chronic_share_by_loop_off.wind_up: expected") for line in lines)
    assert any(line.startswith(".tables.file:natural_history.csv.columns.pain_mean.sha256") for line in lines)
    assert any(line.startswith(".summary.n: missing") for line in lines)


def test_floats_compare_exactly_and_by_type():
    assert golden.differences({"x": 0.1 + 0.2}, {"x": 0.3})
    assert golden.differences({"x": 1}, {"x": 1.0})
    assert golden.differences({"x": 0.0}, {"x": -0.0})
    assert not golden.differences({"x": float("nan")}, {"x": float("nan")})


def test_table_hash_sees_values_dtypes_names_and_index():
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"a": np.arange(3, dtype=np.float64), "b": ["x", "y", "z"]})
    base = golden.frame_digest(frame)
    assert golden.frame_digest(frame.copy()) == base
    nudged = frame.copy()
    nudged.loc[1, "a"] = np.nextafter(1.0, 2.0)
    variants = [nudged, frame.astype({"a": np.float32}), frame.rename(columns={"b": "c"}),
                frame.set_axis([1, 2, 3]), frame.assign(b=["x", "y", "w"])]
    for variant in variants:
        assert golden.frame_digest(variant) != base
