"""Golden outputs: painsim's results recorded bit for bit, so that any change of results is caught.

    python scripts/golden.py --check            # run every case, compare with tests/golden/*.json
    python scripts/golden.py --update           # rewrite tests/golden/*.json (after a deliberate model change)
    python scripts/golden.py --check --case demo   # one case (repeatable)

Each case runs a command (through the CLI in this process) or the Python API on small
cohorts, in a temporary store and output folder, and records:

* ``summary``: the command's ``--json`` output with the volatile fields (run ids, paths,
  durations) removed; floats are compared exactly (JSON keeps ``repr``, which round-trips);
* ``stored``: for every run the command kept in the store, its summary and metadata;
* ``tables``: for every table the run stored (read back from the store as a DataFrame), every
  CSV it wrote (its cells as text) and every array the API returned:
  rows, and per column (the index first) the dtype and a SHA-256 of its values. Parquet file
  bytes are never hashed: they carry writer metadata.

tests/test_golden.py runs the same cases with these functions. docs/golden.md says when to
regenerate (only with a deliberate model change, reviewed in the same commit).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

import painsim  # noqa: F401  (before numpy: pins the BLAS kernels the files are recorded with, painsim._blas)

# isort: split
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "tests" / "golden"
SCENARIO = ROOT / "src" / "painsim" / "data" / "massage_question.toml"
CHERKIN = ROOT / "examples" / "trials" / "cherkin2011.toml"
MAX_DIFF_LINES = 40
JOBS = "2"  # threads / workers: results must not depend on it (the API case also checks n_jobs=1)

Record = dict[str, Any]


# ---------------------------------------------------------------------------------------
# Canonical hashes of tables


def _column_bytes(values: Any) -> bytes:
    array = np.asarray(values)
    if array.dtype.kind in "biufcmM":
        return np.ascontiguousarray(array).tobytes()
    # strings, objects, categoricals, nullable dtypes: the repr of each Python value
    return "\x1f".join(repr(v) for v in pd.Series(values).tolist()).encode()


def column_digest(name: str, values: Any, dtype: Any) -> dict[str, str]:
    """dtype and SHA-256 of a column's name, dtype and values."""
    digest = hashlib.sha256()
    for part in (str(name).encode(), str(dtype).encode(), _column_bytes(values)):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return {"dtype": str(dtype), "sha256": digest.hexdigest()}


def frame_digest(frame: pd.DataFrame) -> Record:
    """Rows, and per column (index levels first, as ``index:NAME``) its dtype and hash."""
    columns: dict[str, Any] = {}
    index = frame.index
    for level in range(index.nlevels):
        values = index.get_level_values(level)
        name = f"index:{values.name if values.name is not None else level}"
        columns[name] = column_digest(name, values.to_numpy(), values.dtype)
    for position, name in enumerate(frame.columns):
        series = frame.iloc[:, position]
        columns[str(name)] = column_digest(str(name), series.to_numpy(), series.dtype)
    return {"rows": len(frame), "columns": columns}


def array_digest(array: np.ndarray) -> Record:
    """Shape, and dtype and hash of an array's values (C order)."""
    return {"rows": list(array.shape), "columns": {"values": column_digest("values", array, array.dtype)}}


def read_csv_exactly(path: Path) -> pd.DataFrame:
    """A CSV's cells as written (text): no float parsing can blur a difference."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# ---------------------------------------------------------------------------------------
# Running a case


@contextlib.contextmanager
def isolated_store(store: Path) -> Iterator[None]:
    """PAINSIM_STORE points at ``store`` while the case runs (never the user's store)."""
    previous = os.environ.get("PAINSIM_STORE")
    os.environ["PAINSIM_STORE"] = str(store)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PAINSIM_STORE", None)
        else:
            os.environ["PAINSIM_STORE"] = previous


def run_cli(args: list[str]) -> Any:
    """Run ``painsim ARGS`` in this process; return its JSON output."""
    from typer.testing import CliRunner

    from painsim.cli import app

    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise RuntimeError(f"painsim {' '.join(args)} exited with {result.exit_code}:\n{result.output}"
                           f"{result.exception!r}")
    return json.loads(result.stdout)


def without(summary: dict[str, Any], volatile: tuple[str, ...]) -> dict[str, Any]:
    """``summary`` without its volatile keys (each of which must be there: the shape is checked too)."""
    missing = [key for key in volatile if key not in summary]
    if missing:
        raise KeyError(f"volatile keys {missing} are no longer in the output; update scripts/golden.py")
    return {key: value for key, value in summary.items() if key not in volatile}


def stored_runs(store: Path, volatile: tuple[str, ...] = ()) -> tuple[list[Record], dict[str, Record]]:
    """Summary and metadata of every run in ``store`` (oldest first), and a digest of each stored table."""
    from painsim.store import Store

    runs, tables = [], {}
    listing = Store(store).runs()
    for position, run_id in enumerate(reversed(listing["run_id"].tolist())):
        run = Store(store).get(run_id)
        meta = run.metadata
        label = f"run{position}:{meta['name']}"
        runs.append({
            "label": label, "name": meta["name"], "seed": meta["seed"], "scenario_hash": meta["scenario_hash"],
            "tables": list(run.tables),
            "meta": {k: v for k, v in (meta.get("meta") or {}).items() if k != "painsim_version"},
            "summary": without(run.summary, volatile) if volatile else run.summary,
        })
        for table in run.tables:
            tables[f"{label}/{table}"] = frame_digest(run.table(table))
    return runs, tables


def case_demo(work: Path) -> Record:
    """`painsim demo --n 300`: the flagship scenario, all 8 arms (every care module but sham and usual care)."""
    store, out = work / "store", work / "out"
    summary = run_cli(["demo", "--n", "300", "--draws", "0", "--jobs", JOBS, "--json", "--out", str(out),
                       "--store", str(store)])
    runs, tables = stored_runs(store)
    written = Path(summary["figure"]).with_suffix(".json")  # named after the scenario and the run (docs/cli.md)
    tables["file:massage_question.json"] = {"json": json.loads(written.read_text())}
    return {"summary": without(summary, ("run_id", "figure")), "stored": runs, "tables": tables}


def case_natural_history(work: Path) -> Record:
    """`painsim natural-history --n 500 --days 365`: untreated chronic cohort, each loop switched off."""
    out = work / "out"
    summary = run_cli(["natural-history", "--n", "500", "--days", "365", "--seed", "1", "--jobs", JOBS, "--json",
                       "--out", str(out)])
    tables = {"file:natural_history.csv": frame_digest(read_csv_exactly(out / "natural_history.csv"))}
    return {"summary": without(summary, ("figure", "daily_csv")), "tables": tables}


def _trial_case(spec_path: Path, work: Path) -> Record:
    from painsim.trials import analyse, load_trial, run_trial

    summary = run_cli(["trial", "run", str(spec_path), "--jobs", JOBS, "--json", "--out", str(work / "out")])
    result = analyse(run_trial(load_trial(spec_path), n_jobs=int(JOBS)))
    tables = {"api:participants": frame_digest(result.data.frame),
              "api:comparisons": frame_digest(result.comparisons),
              "api:responders": frame_digest(result.responders),
              "api:means": frame_digest(result.means)}
    return {"summary": without(summary, ("figure",)), "tables": tables}


def case_trial_cherkin2011(work: Path) -> Record:
    """`painsim trial run examples/trials/cherkin2011.toml` (401 participants, MI with 20 imputations), and the
    same trial through the API (run_trial + analyse) for its participant-level tables."""
    return _trial_case(CHERKIN, work)


def case_trial_massage_vs_sham(work: Path) -> Record:
    """`painsim trial run examples/trials/massage_vs_sham.toml` (3 x 100 participants: massage, sham, usual care),
    and the same trial through the API for its participant-level tables."""
    return _trial_case(ROOT / "examples" / "trials" / "massage_vs_sham.toml", work)


def case_trial_power(work: Path) -> Record:
    """`painsim trial power cherkin2011.toml --n 20,40 --reps 3 --scheduler serial`."""
    out, store = work / "out", work / "store"
    summary = run_cli(["trial", "power", str(CHERKIN), "--n", "20,40", "--reps", "3", "--scheduler", "serial",
                       "--json", "--out", str(out), "--store", str(store), "--results", str(work / "results")])
    runs, tables = stored_runs(store)
    tables["file:cherkin2011_power.csv"] = frame_digest(read_csv_exactly(out / "cherkin2011_power.csv"))
    return {"summary": without(summary, ("replicates_csv", "results")), "stored": runs, "tables": tables}


SWEEP_VOLATILE = ("seconds", "csv", "results")


def case_sweep(work: Path) -> Record:
    """`painsim sweep massage_question.toml --grid loop.sleep=0.5,1.5 --grid massage_nociception=0.2,0.28
    --n 50 --scheduler serial`: 4 grid points x 8 arms."""
    out, store = work / "out", work / "store"
    summary = run_cli(["sweep", str(SCENARIO), "--grid", "loop.sleep=0.5,1.5", "--grid", "massage_nociception=0.2,0.28",
                       "--n", "50", "--scheduler", "serial", "--json", "--out", str(out), "--store", str(store),
                       "--results", str(work / "results")])
    runs, tables = stored_runs(store, SWEEP_VOLATILE)
    tables["file:massage_question_sweep.csv"] = frame_digest(read_csv_exactly(Path(summary["csv"])))
    return {"summary": without(summary, (*SWEEP_VOLATILE, "run_id")), "stored": runs, "tables": tables}


def api_plans() -> dict[str, tuple[Any, dict[str, float] | None]]:
    """Care plans covering every care module and relationship setting, and loop switches."""
    from painsim.care import (
        CarePlan,
        Education,
        Exercise,
        Massage,
        Relationship,
        Schedule,
        Sham,
        SleepStressCare,
        UsualCare,
    )

    everything = CarePlan(
        massage=Massage(schedule=Schedule(count=6, every_days=7), dose=1.5, cost_per_session=70.0),
        exercise=Exercise(start_day=7, weeks=8, sessions_per_week=3, supervised=False, adherence=0.6),
        sleep_stress=SleepStressCare(start_day=14, weeks=6, retention=0.4),
        education=Education(schedule=Schedule(days=(0, 10, 30))),
        relationship=Relationship(alliance=0.3, framing="fix"),
    )
    return {
        "no_care": (CarePlan(), None),
        "everything": (everything, None),
        "sham_usual_care": (CarePlan(sham=Sham(), usual_care=UsualCare(),
                                     relationship=Relationship(alliance=0.9)), None),
        "exercise_supervised": (CarePlan(exercise=Exercise()), None),
        "massage_wind_up_off": (CarePlan(massage=Massage()), {"wind_up": 0.0}),
        "loops_mixed": (everything, {"sleep": 0.5, "guarding": 1.5, "fear_avoidance": 0.0, "strain": 1.2}),
    }


def simulation_digests(label: str, result: Any) -> dict[str, Record]:
    tables = {f"{label}/summary": frame_digest(result.summary()),
              f"{label}/daily": frame_digest(result.daily()),
              f"{label}/trajectories": frame_digest(result.to_frame()),
              f"{label}/state_end": array_digest(result.cohort.state),
              f"{label}/modifiers_end": array_digest(result.cohort.modifiers)}
    if result.care_outcomes.shape[0]:
        from painsim.outcomes.care_outcomes import care_summary

        tables[f"{label}/care_summary"] = frame_digest(care_summary(result))
    if result.session_days.size:
        tables[f"{label}/session_relief"] = array_digest(result.session_relief)
    return tables


def case_api(work: Path, n_jobs: int = 2) -> Record:
    """`painsim.Cohort.build` + `painsim.simulate` (n_jobs=2): chronic n=300 for 182 days under six plans (every
    care module, loop switches), and an acute cohort n=300 for 120 days."""
    import painsim as ps
    from painsim.engine.variables import RECORDABLE

    del work  # nothing is stored
    chronic = ps.Cohort.build("chronic", n=300, seed=7)
    record = ps.Record.weekly(*RECORDABLE)
    summary: dict[str, Any] = {}
    tables: dict[str, Record] = {"chronic/cohort_traits": array_digest(chronic.traits),
                                 "chronic/cohort_state": array_digest(chronic.state)}
    for name, (plan, loops) in api_plans().items():
        result = ps.simulate(chronic, days=182, record=record, loops=loops, n_jobs=n_jobs, care=plan)
        summary[name] = {"chronic_share": result.chronic_share(), "day": result.cohort.day}
        tables.update(simulation_digests(f"chronic:{name}", result))
    acute = ps.Cohort.build("acute", n=300, seed=11)
    result = ps.simulate(acute, days=120, record=ps.Record.daily("pain", "disability"), n_jobs=n_jobs)
    summary["acute"] = {"chronic_share": result.chronic_share(), "day": result.cohort.day}
    tables["acute/cohort_traits"] = array_digest(acute.traits)
    tables.update(simulation_digests("acute", result))
    return {"summary": summary, "tables": tables}


CASES: dict[str, Callable[[Path], Record]] = {
    "demo": case_demo,
    "natural_history": case_natural_history,
    "trial_cherkin2011": case_trial_cherkin2011,
    "trial_massage_vs_sham": case_trial_massage_vs_sham,
    "trial_power": case_trial_power,
    "sweep": case_sweep,
    "api_simulate": case_api,
}


def run_case(name: str, work: Path | None = None, **options: Any) -> Record:
    """Run golden case ``name`` in ``work`` (default: a fresh temporary folder); return its record."""
    case = CASES[name]
    with contextlib.ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"painsim-golden-{name}-")))
        stack.enter_context(isolated_store(work / "store"))
        record = case(work, **options)
    return {"case": name, "about": " ".join((case.__doc__ or "").split()), **record}


# ---------------------------------------------------------------------------------------
# Files and comparison


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def to_json(record: Record) -> str:
    return json.dumps(record, indent=1, allow_nan=True) + "\n"


def canonical(record: Record) -> Any:
    """The record as it reads back from its file (tuples become lists, numpy scalars numbers)."""
    return json.loads(json.dumps(record, allow_nan=True, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_golden(name: str) -> Record:
    path = golden_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no golden file {path.relative_to(ROOT)}; run: python scripts/golden.py --update")
    return json.loads(path.read_text())


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if type(a) is not type(b):
            return False
        return repr(a) == repr(b) or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``expected``, as ``path: expected X, got Y``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in expected:
            if key not in actual:
                lines.append(f"{where}.{key}: missing (expected {_short(expected[key])})")
            else:
                lines += differences(expected[key], actual[key], f"{where}.{key}")
        lines += [f"{where}.{key}: unexpected new entry {_short(actual[key])}" for key in actual if key not in expected]
        if not lines and list(expected) != list(actual):
            lines.append(f"{where}: order changed: expected {list(expected)}, got {list(actual)}")
        return lines
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: length {len(actual)}, expected {len(expected)}: got {_short(actual)}"]
        return [line for k, (e, a) in enumerate(zip(expected, actual, strict=True))
                for line in differences(e, a, f"{where}[{k}]")]
    if isinstance(expected, dict | list) or isinstance(actual, dict | list) or not _same_scalar(expected, actual):
        return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, allow_nan=True) if not isinstance(value, float) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare(name: str, actual: Record) -> list[str]:
    """Readable differences between case ``name``'s golden file and ``actual`` (empty: identical)."""
    # "about" only describes the case: rewording it changes no result
    expected = {k: v for k, v in load_golden(name).items() if k != "about"}
    actual = {k: v for k, v in canonical(actual).items() if k != "about"}
    lines = [f"{name}: {line.removeprefix('.')}" for line in differences(expected, actual)]
    if not lines:
        return []
    tables = [table for table in {**expected.get("tables", {}), **actual.get("tables", {})}
              if differences(expected.get("tables", {}).get(table), actual.get("tables", {}).get(table))]
    fields = sum(not line.startswith(f"{name}: tables.") for line in lines)
    headline = f"{name}: {fields} difference(s) outside the tables; tables that differ: {', '.join(tables) or 'none'}"
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"{name}: ... and {len(lines) - MAX_DIFF_LINES} more differences"]
    return [headline, *lines]


def diff_report(name: str, lines: list[str]) -> str:
    return (f"golden case {name!r} differs from {golden_path(name).relative_to(ROOT)} "
            f"(results changed; if deliberate, run: python scripts/golden.py --update and review the diff):\n"
            + "\n".join(f"  {line}" for line in lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare with tests/golden/*.json (exit 1 on a difference)")
    mode.add_argument("--update", action="store_true", help="rewrite tests/golden/*.json")
    parser.add_argument("--case", action="append", choices=list(CASES), help="only this case (repeatable)")
    args = parser.parse_args(argv)
    failed = []
    for name in args.case or CASES:
        record = run_case(name)
        if args.update:
            GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
            golden_path(name).write_text(to_json(canonical(record)))
            print(f"{name}: wrote {golden_path(name).relative_to(ROOT)}")
            continue
        lines = compare(name, record)
        if lines:
            failed.append(name)
            print(diff_report(name, lines))
        else:
            print(f"{name}: identical")
    if failed:
        print(f"{len(failed)} golden case(s) differ: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
