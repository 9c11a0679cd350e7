"""Fuzz every CLI command that reads a file or a name (issue 14, deliverable 7; docs/security.md).

Hypothesis generates the inputs (derandomized: the same cases on every run); each family of
commands runs in ONE subprocess (tests/fuzz/_driver.py) under RLIMIT_AS and a per-case alarm,
through typer's CliRunner on ``painsim.cli.app``. For every case the test asserts: exit code
0 or 2, no traceback, no exception escaping the CLI, no timeout, nothing created or changed
outside the case's output folder (and its store, for commands that store), and the store
unchanged (SHA-256 of the index and run folders) for commands that must not write it.

``PAINSIM_FUZZ_SCALE=4`` runs four times as many cases per family.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from _cases import (
    HOSTILE_NAMES,
    ODD_TEXT,
    collect,
    skeleton,
    study_table,
    to_toml,
    toml_bytes,
)
from hypothesis import strategies as st

DRIVER = Path(__file__).with_name("_driver.py")
MEMORY_BYTES = 3 * 2**30
CASE_TIMEOUT_S = 90
SCALE = float(os.environ.get("PAINSIM_FUZZ_SCALE", "1"))

SCENARIO = skeleton("examples/massage_question.toml")
SMALL_SCENARIO = {"name": "small", "n": 20, "seed": 3, "horizon_days": 60,
                  "population": {"entry": "acute"}, "arms": {"no_care": {}, "massage": {
                      "massage": {"schedule": {"count": 2, "every_days": 7}}}}}
TRIAL = skeleton("examples/trials/short_course.toml")
TRIAL3 = skeleton("examples/trials/massage_vs_sham.toml")
TARGETS = skeleton("data/targets.toml")
SMALL_TRIAL_KEEP = {"arms.massage.n": 12, "arms.usual_care.n": 12}
SMALL_TRIAL3_KEEP = {"arms.massage.n": 10, "arms.sham.n": 10, "arms.usual_care.n": 10,
                     "analysis.missing": "complete_case"}


# The flagship scenario (every kind of care) compiles the simulation kernels (numba; cached
# on disk afterwards).
WARMUP = ["demo", "--n", "2", "--draws", "0", "--out", "@CASE@/out", "--store", "@CASE@/store", "--json"]


def count(base: int) -> int:
    return max(1, int(base * SCALE))


def latin(data: bytes) -> str:
    return data.decode("latin-1")


def case(case_id: str, argv: list[str], files: dict[str, bytes] | None = None, *, writes_store: bool = False,
         store_from: str | None = None, damage: list | None = None) -> dict:
    """One case; files are written into the case folder (e.g. ``in/x.toml``)."""
    return {"id": case_id, "argv": argv, "files": {k: latin(v) for k, v in (files or {}).items()},
            "writes_store": writes_store, "store_from": store_from, "damage": damage or []}


def run_family(tmp_path: Path, cases: list[dict], setup: list[dict] | None = None) -> list[dict]:
    """Runs the cases in one driver process and returns their outcomes."""
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    spec = {"sandbox": str(sandbox), "memory_bytes": MEMORY_BYTES, "timeout_s": CASE_TIMEOUT_S,
            "setup": setup or [], "warmup": [WARMUP] if any(c["argv"][0] != "validate" for c in cases) else [],
            "cases": cases}
    (tmp_path / "cases.json").write_text(json.dumps(spec))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONFAULTHANDLER": "1"}
    env.pop("PAINSIM_DEBUG", None)
    limit = CASE_TIMEOUT_S * len(cases) + 300
    done = subprocess.run([sys.executable, str(DRIVER), str(tmp_path / "cases.json"), str(tmp_path / "out.json")],
                          cwd=sandbox, env=env, capture_output=True, text=True, timeout=limit)
    assert done.returncode == 0, f"the driver failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads((tmp_path / "out.json").read_text())["outcomes"]


def problems(outcome: dict, spec: dict) -> list[str]:
    """What is wrong with one outcome (empty when the case behaved)."""
    found = []
    if outcome["timeout"]:
        found.append(f"no answer within {CASE_TIMEOUT_S} s")
    elif outcome["exit_code"] not in (0, 2):
        found.append(f"exit code {outcome['exit_code']}")
    if outcome["exception"]:
        found.append(f"exception escaped the CLI: {outcome['exception']}")
    if "Traceback" in outcome.get("output", ""):
        found.append("a traceback in the output")
    allowed = [f"{spec['id']}/out"] + ([f"{spec['id']}/store"] if spec["writes_store"] else [])
    outside = [p for p in outcome["changed"]
               if not any(p == a or p.startswith(a + "/") for a in allowed)]
    if outside:
        found.append(f"wrote outside its output folder: {outside[:5]}")
    if outcome["tmp_x_created"]:
        found.append(f"created {outcome['tmp_x_created']}")
    if not spec["writes_store"] and outcome["store_before"] != outcome["store_after"]:
        found.append("changed the store")
    return found


# Misbehaviour already routed to the CLI's owners, each with a strict xfail reproducer in
# test_found_bugs.py: (reproducer, the problem it explains, when it applies).
# (Empty: every routed bug is fixed; its reproducer is a plain regression test.)
KNOWN_ROUTED: list[tuple[str, str, Callable[[dict], bool]]] = []


def unexplained(outcome: dict, wrong: list[str]) -> list[str]:
    """The problems no routed bug explains."""
    return [w for w in wrong if not any(w.startswith(problem) and applies(outcome)
                                        for _, problem, applies in KNOWN_ROUTED)]


def check_family(tmp_path: Path, cases: list[dict], setup: list[dict] | None = None) -> list[dict]:
    outcomes = run_family(tmp_path, cases, setup)
    by_id = {c["id"]: c for c in cases}
    report = []
    for outcome in outcomes:
        wrong = unexplained(outcome, problems(outcome, by_id[outcome["id"]]))
        if wrong:
            files = {k: v[:300] for k, v in by_id[outcome["id"]]["files"].items()}
            report.append(f"{outcome['id']}: {'; '.join(wrong)}\n  argv: {outcome['argv']!r}\n  files: {files!r}"
                          f"\n  output: {outcome.get('output', '')[-600:]!r}")
    assert not report, f"{len(report)} of {len(outcomes)} fuzz cases misbehaved:\n" + "\n".join(report)
    return outcomes


def exits(outcomes: list[dict]) -> set:
    return {o["exit_code"] for o in outcomes}


# --- families ------------------------------------------------------------------------------

def test_validate_reads_any_bytes(tmp_path):
    """painsim validate on mutated scenarios, trial specs and raw or broken bytes: read-only."""
    scenarios = collect(toml_bytes(SCENARIO), count(30))
    trials = collect(st.one_of(toml_bytes(TRIAL), toml_bytes(TRIAL3)), count(25))
    cases = [case(f"v{i}", ["validate", "@CASE@/in/input.toml"], {"in/input.toml": data})
             for i, data in enumerate(scenarios + trials)]
    cases.append(case("v-missing", ["validate", "@CASE@/in/nothing.toml"]))
    cases.append(case("v-folder", ["validate", "@CASE@/in"]))
    outcomes = check_family(tmp_path, cases)
    assert {0, 2} <= exits(outcomes)  # the generator reaches both valid and invalid inputs


RUN_N = ["1", "2", "20", "0", "-1", "10000001", "abc", "", "1.5", "1e3", "nan"]
SEEDS = ["0", "9223372036854775807", "9223372036854775808", "-1", "x", "1e400", "18446744073709551616"]
JOBS = ["1", "2", "0", "-3", "64", "1000000000", "nan"]


@st.composite
def run_case_argv(draw):
    data = draw(toml_bytes(SMALL_SCENARIO, keep={"n": 20, "horizon_days": 60}))
    argv = ["run", "@CASE@/in/s.toml", "--n", draw(st.sampled_from(RUN_N[:3] * 4 + RUN_N)),
            "--out", "@CASE@/out/results", "--store", "@CASE@/store", "--json"]
    if draw(st.booleans()):
        argv += ["--seed", draw(st.sampled_from(SEEDS))]
    if draw(st.booleans()):
        argv += ["--jobs", draw(st.sampled_from(JOBS))]
    return argv, data


def test_run_and_demo_options(tmp_path):
    """painsim run (mutated scenarios, hostile names and options) and demo's options."""
    runs = collect(run_case_argv(), count(25))
    cases = [case(f"r{i}", argv, {"in/s.toml": data}, writes_store=True) for i, (argv, data) in enumerate(runs)]
    for i, name in enumerate(HOSTILE_NAMES):
        document = {**SMALL_SCENARIO, "name": name, "arms": {"no_care": {}}}
        cases.append(case(f"rn{i}", ["run", "@CASE@/in/s.toml", "--out", "@CASE@/out", "--store", "@CASE@/store"],
                          {"in/s.toml": to_toml(document).encode("utf-8", "surrogatepass")}, writes_store=True))
    demos = collect(st.tuples(st.sampled_from(["1", "0", "5000001", "x", "-2"]), st.sampled_from(SEEDS),
                              st.sampled_from(["@CASE@/out", "@CASE@/out/" + "d" * 300, "@CASE@/out/a\x00b",
                                               "@CASE@/out/file.txt/sub"])), count(8))
    for i, (n, seed, out) in enumerate(demos):
        cases.append(case(f"d{i}", ["demo", "--n", n, "--seed", seed, "--draws", "0", "--out", out, "--store",
                                    "@CASE@/store", "--json"], {"out/file.txt": b"x"}, writes_store=True))
    outcomes = check_family(tmp_path, cases)
    assert {0, 2} <= exits(outcomes)


TRIAL_METHODS = ["mi", "mixed", "complete_case", "", "nonsense", "MI"]
POWER_N = ["10,12", "10:12:2", "10:100000000:1", "nan", "1e400", "-5", "12:10:1", "10:20:0", "", ",", "10,,12",
           "9223372036854775808", "2", "10:12:2:3", "１０"]


@st.composite
def trial_case(draw, command: str):
    spec = draw(st.one_of(toml_bytes(TRIAL, keep=SMALL_TRIAL_KEEP), toml_bytes(TRIAL3, keep=SMALL_TRIAL3_KEEP)))
    files = {"in/t.toml": spec}
    if command == "run":
        argv = ["trial", "run", "@CASE@/in/t.toml", "--out", "@CASE@/out", "--json"]
        if draw(st.booleans()):
            argv += ["--method", draw(st.sampled_from(TRIAL_METHODS))]
        if draw(st.booleans()):
            argv += ["--seed", draw(st.sampled_from(SEEDS))]
        return argv, files, False
    if command == "power":
        argv = ["trial", "power", "@CASE@/in/t.toml", "--n", draw(st.sampled_from(POWER_N[:2] * 6 + POWER_N)), "--reps",
                draw(st.sampled_from(["2", "2", "2", "1", "0", "100001", "x"])), "--scheduler", "serial",
                "--store", "@CASE@/store", "--out", "@CASE@/out", "--json"]
        return argv, files, True
    files["in/u.toml"] = draw(toml_bytes(TRIAL, keep=SMALL_TRIAL_KEEP))
    argv = ["trial", "pool", "@CASE@/in/t.toml", "@CASE@/in/u.toml", "--json",
            "--measure", draw(st.sampled_from(["SMD", "MD", "ADJ"] * 3 + ["GEN", ""])),
            "--method", draw(st.sampled_from(["REML", "FE", "DL"] * 3 + ["XX"])),
            "--week", draw(st.sampled_from(["10"] * 6 + ["0", "99999", "x", "26"]))]
    if draw(st.booleans()):
        argv += ["--forest", draw(st.sampled_from(["@CASE@/out/f.png", "@CASE@/out/" + "f" * 300 + ".png"]))]
    return argv, files, False


def test_trial_run_power_pool(tmp_path):
    """painsim trial run / power / pool on mutated specs with hostile options."""
    generated = (collect(trial_case("run"), count(18)) + collect(trial_case("power"), count(8))
                 + collect(trial_case("pool"), count(8)))
    cases = [case(f"t{i}", argv, files, writes_store=writes) for i, (argv, files, writes) in enumerate(generated)]
    for i, name in enumerate(HOSTILE_NAMES[:8]):
        spec = {**TRIAL, "name": name, "arms": {"massage": {**TRIAL["arms"]["massage"], "n": 10},
                                                "usual_care": {"n": 10, "usual_care": {}}}}
        cases.append(case(f"tn{i}", ["trial", "run", "@CASE@/in/t.toml", "--out", "@CASE@/out"],
                          {"in/t.toml": to_toml(spec).encode("utf-8", "surrogatepass")}))
    outcomes = check_family(tmp_path, cases)
    assert {0, 2} <= exits(outcomes)


def sometimes(values: list) -> st.SearchStrategy:
    """None three times in four, else one of ``values``."""
    return st.sampled_from([None] * (3 * len(values)) + values)


META_OPTIONS = st.fixed_dictionaries({
    "--method": st.sampled_from(["REML", "FE", "DL", "PM", "EB", "HE", "SJ", "ML"]),
    "--test": st.sampled_from(["z", "knha"]),
    "--level": st.sampled_from(["95"] * 12 + ["0", "100", "nan", "inf", "-1", "1e400", "99.9999999", "50"]),
    "--subgroup": sometimes(["study", "alloc", "nonexistent", ""]),
    "--forest": sometimes(["@CASE@/out/forest.png", "@CASE@/out/" + "g" * 300 + ".png", "@CASE@/out/x/y.png"]),
    "--funnel": sometimes(["@CASE@/out/funnel.png"]),
    "--leave1out": sometimes([""]), "--trimfill": sometimes([""]),
    "--mods": sometimes(["year", "ablat", "nope", ",", "year,year"]),
})
COMBINE_WITH_MODS = ("--subgroup", "--funnel", "--leave1out", "--trimfill")


def test_meta_reads_any_csv(tmp_path):
    """painsim meta on hostile study tables and options (plots only in the output folder)."""
    generated = collect(st.tuples(study_table(), META_OPTIONS), count(50))
    cases = []
    for i, ((data, measure), options) in enumerate(generated):
        argv = ["meta", "@CASE@/in/studies.csv", "--json", "--measure", measure]
        for option, value in options.items():
            if value is None or (options["--mods"] and option in COMBINE_WITH_MODS):
                continue
            argv += [option] if value == "" and option in ("--leave1out", "--trimfill") else [option, value]
        cases.append(case(f"m{i}", argv, {"in/studies.csv": data}))
    cases.append(case("m-missing", ["meta", "@CASE@/in/none.csv"]))
    outcomes = check_family(tmp_path, cases)
    assert {0, 2} <= exits(outcomes)


GRIDS = ["heal_rate=0.05,0.06", "heal_rate=nan", "heal_rate=1e400", "heal_rate=0:1:1e-9", "loop.nonsense=1",
         "loop.sensitization=0,1", "=", "heal_rate=", "x" * 300 + "=1", "heal_rate=0.05;rm", "heal_rate=inf,1"]


@st.composite
def dask_case(draw, command: str):
    common = ["--scheduler", "serial", "--store", "@CASE@/store", "--json"]
    if command == "calibrate":
        keep = {"fit.n": 20, "fit.seed": 1}
        data = draw(toml_bytes(TARGETS, keep=keep))
        budget = draw(st.sampled_from(["1", "1", "1", "0", "-1", "x"]))
        argv = ["calibrate", "@CASE@/in/t.toml", "--budget", budget, *common]
        if draw(st.booleans()):
            argv += ["--holdout", draw(ODD_TEXT)]
        return argv, data
    data = draw(toml_bytes(SMALL_SCENARIO, keep={"n": 20, "horizon_days": 365}))
    if command == "sweep":
        grids = draw(st.lists(st.sampled_from(GRIDS[:1] * 3 + GRIDS), min_size=1, max_size=2))
        argv = ["sweep", "@CASE@/in/s.toml", "--n", draw(st.sampled_from(["10", "9", "x"])), "--out", "@CASE@/out",
                *common]
        for grid in grids:
            argv += ["--grid", grid]
        return argv, data
    argv = ["sensitivity", "@CASE@/in/s.toml", "--method", draw(st.sampled_from(["morris", "sobol"] * 3 + ["x"])),
            "--budget", draw(st.sampled_from(["2"] * 6 + ["0", "-1", "1000000000"])), "--n", "10",
            "--outputs", draw(st.sampled_from(["chronic_365", "pain_365@no_care"] * 3
                                              + ["nope", "", "chronic_365@zz"])),
            "--loop-max", draw(st.sampled_from(["2"] * 6 + ["nan", "inf", "-1", "0"])),
            "--plot", draw(st.sampled_from(["@CASE@/out/s.png", "@CASE@/out/" + "p" * 300 + ".png"])), *common]
    if draw(st.booleans()):
        argv += ["--params", draw(st.sampled_from(["heal_rate=0.04:0.08", "heal_rate=nan:1", "heal_rate=1:0",
                                                   "nope=0:1", "heal_rate=0:inf"]))]
    return argv, data


def test_sweep_sensitivity_calibrate(tmp_path):
    """painsim sweep, sensitivity and calibrate (serial scheduler) on mutated inputs and options."""
    generated = (collect(dask_case("sweep"), count(8)) + collect(dask_case("sensitivity"), count(8))
                 + collect(dask_case("calibrate"), count(5)))
    cases = [case(f"k{i}", argv, {"in/s.toml" if argv[0] != "calibrate" else "in/t.toml": data}, writes_store=True)
             for i, (argv, data) in enumerate(generated)]
    for i, name in enumerate(["/tmp/x", "../../x", "@SANDBOX@/abs/x", "x" * 300]):
        document = {**SMALL_SCENARIO, "name": name, "arms": {"no_care": {}}}
        cases.append(case(f"kn{i}", ["sweep", "@CASE@/in/s.toml", "--grid", "heal_rate=0.05", "--n", "10",
                                     "--out", "@CASE@/out", "--scheduler", "serial", "--store", "@CASE@/store"],
                          {"in/s.toml": to_toml(document).encode("utf-8", "surrogatepass")}, writes_store=True))
    check_family(tmp_path, cases)


STORE_SETUP = [{"id": "base", "argv": ["run", "@CASE@/in/s.toml", "--store", "@CASE@/store", "--out", "@CASE@/out",
                                       "--json"],
                "files": {"in/s.toml": latin(to_toml({**SMALL_SCENARIO, "arms": {"no_care": {}, "massage": {
                    "massage": {"schedule": {"count": 2, "every_days": 7}}}},
                    "record": {"variables": ["pain"], "every": 7, "patients": 5}}).encode())},
                "run_id_key": "run_id"}]

DAMAGE = st.one_of(
    st.just([]),
    st.builds(lambda g, f, b: [{"kind": "overwrite", "glob": g, "fraction": f, "bytes": latin(b)}],
              st.sampled_from(["runs/*/daily.parquet", "runs/*/patients.parquet", "runs/*/_run.json",
                               "painsim.duckdb", "runs/*/trajectories.parquet"]),
              st.floats(0, 0.99), st.binary(min_size=1, max_size=64)),
    st.builds(lambda g: [{"kind": "remove", "glob": g}],
              st.sampled_from(["painsim.duckdb", "runs/*/_run.json", "runs/*/daily.parquet"])),
    st.builds(lambda g, f: [{"kind": "truncate", "glob": g, "fraction": f}],
              st.sampled_from(["runs/*/sessions.parquet", "runs/*/_run.json", "painsim.duckdb"]), st.floats(0, 0.99)),
    st.builds(lambda b: [{"kind": "replace", "glob": "runs/*/_run.json", "bytes": latin(b)}],
              st.sampled_from([b"{}", b"[]", b"null", b'{"run_id": "../../x"}', b"\xff\xfe", b'{"a": NaN}',
                               b"[" * 100_000])),
)


STORE_COMMANDS = {
    "show": lambda run: ["show", run, "--json"], "show-text": lambda run: ["show", run],
    "export-csv": lambda run: ["export", run, "--format", "csv", "--out", "@CASE@/out/e"],
    "export-parquet": lambda run: ["export", run, "--format", "parquet", "--out", "@CASE@/out/e"],
    "report": lambda run: ["report", run, "--out", "@CASE@/out/r.html"],
    "runs": lambda run: ["runs", "--json"], "store-check": lambda run: ["store", "check", "--json"],
}


@st.composite
def store_case(draw, command: str):
    run = draw(st.sampled_from(["@RUN@"] * 8 + ["20261", *HOSTILE_NAMES]))
    damage = draw(st.one_of(st.just([]), DAMAGE))
    return [*STORE_COMMANDS[command](run), "--store", "@CASE@/store"], damage


def test_store_commands_read_damaged_stores(tmp_path):
    """show, export, report, runs and store check on a damaged store and hostile run names:
    exit 0 or 2, never changing the store."""
    generated = [c for command in STORE_COMMANDS for c in collect(store_case(command), count(7))]
    cases = [case(f"s{i}", argv, store_from="base", damage=damage) for i, (argv, damage) in enumerate(generated)]
    cases.append(case("s-nostore", ["runs", "--store", "@CASE@/in/nothing/here"]))
    cases.append(case("s-file", ["store", "check", "--store", "@CASE@/in/f"], {"in/f": b"x"}))
    outcomes = check_family(tmp_path, cases, STORE_SETUP)
    assert {0, 2} <= exits(outcomes)


@st.composite
def misc_case(draw):
    command = draw(st.sampled_from(["schema", "natural-history"]))
    if command == "schema":
        target = draw(st.sampled_from(["@CASE@/out/s.json", "@CASE@/out/" + "s" * 300, "@CASE@/out/a\x00b",
                                       "@CASE@/out/nope/s.json", "@CASE@/out"]))
        return ["schema", "--out", target] + (["--builtin-only"] if draw(st.booleans()) else [])
    return ["natural-history", "--n", draw(st.sampled_from(["50", "0", "5000001", "x"])),
            "--days", draw(st.sampled_from(["28", "27", "3651", "nan"])), "--seed", draw(st.sampled_from(SEEDS)),
            "--out", draw(st.sampled_from(["@CASE@/out", "@CASE@/out/" + "n" * 300])), "--json"]


def test_schema_and_natural_history_options(tmp_path):
    cases = [case(f"o{i}", argv) for i, argv in enumerate(collect(misc_case(), count(14)))]
    outcomes = check_family(tmp_path, cases)
    assert {0, 2} <= exits(outcomes)
