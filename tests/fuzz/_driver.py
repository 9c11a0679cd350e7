"""Runs fuzz cases through the painsim CLI in ONE process, under a memory limit, and reports
each case's outcome as JSON (used by tests/fuzz/test_cli_fuzz.py; not a test module).

    python _driver.py CASES.json RESULTS.json

CASES.json: ``{"sandbox": DIR, "memory_bytes": N, "timeout_s": S, "setup": [...], "warmup": [argv, ...],
"cases": [...]}`` (warm-up commands run first, without the alarm, so that compiling the kernels
after a change of the engine does not count against a case's time).
Each case: ``{"id", "argv", "files": {relative path: latin-1 text of the bytes}, "store_from"
(a setup store to copy in, or null), "damage": [...], "store_readonly": bool}``.
Every case runs in its own folder ``SANDBOX/CASE_ID`` (``cwd/``, ``in/``, ``out/``, ``store/``);
``@CASE@`` in argv and files is replaced by that folder, ``@SANDBOX@`` by the sandbox and
``@RUN@`` by the run id a setup step stored. The driver records for each case the exit code,
the output, whether an exception escaped the CLI, a timeout, every path created, changed or
removed in the sandbox (and ``/tmp/x*``), and the SHA-256 of the store before and after.

Importing painsim takes seconds, so one process runs many cases; painsim is imported only
after the memory limit is set, so the limit covers everything.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import resource
import shutil
import signal
import sys
import time
from pathlib import Path


class CaseTimeout(BaseException):
    """Raised by the alarm when a case runs too long (a BaseException: no `except Exception` swallows it)."""


def _on_alarm(signum, frame):
    raise CaseTimeout()


def tree_state(root: Path) -> dict[str, list]:
    """Every path under ``root`` with its type, size and modification time."""
    state: dict[str, list] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            kind = "d" if path.is_dir() and not path.is_symlink() else "f"
            state[str(path.relative_to(root))] = [kind, 0 if kind == "d" else info.st_size,
                                                  0 if kind == "d" else info.st_mtime_ns]
    return state


def store_digest(store: Path) -> str | None:
    """SHA-256 over the names and contents of every file of a store (index and run folders)."""
    if not store.exists():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in store.rglob("*") if p.is_file() and p.name != "painsim.lock"):
        digest.update(str(path.relative_to(store)).encode("utf-8", "surrogateescape"))
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _substitute(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _damage(store: Path, damage: list[dict]) -> None:
    """Damages a copied store: overwrite bytes of, truncate or remove one of its files."""
    for step in damage:
        matches = sorted(store.glob(step["glob"]))
        if not matches:
            continue
        target = matches[0]
        if step["kind"] == "remove":
            target.unlink()
        elif step["kind"] == "truncate":
            data = target.read_bytes()
            target.write_bytes(data[: int(len(data) * step["fraction"])])
        elif step["kind"] == "overwrite":
            data = bytearray(target.read_bytes())
            new = step["bytes"].encode("latin-1")
            at = int(len(data) * step["fraction"])
            data[at: at + len(new)] = new
            target.write_bytes(bytes(data))
        elif step["kind"] == "replace":
            target.write_bytes(step["bytes"].encode("latin-1"))


def run_case(app, runner, case: dict, sandbox: Path, values: dict[str, str], timeout_s: float) -> dict:
    """One case: set up its folder, snapshot, invoke the CLI under an alarm, snapshot again."""
    folder = sandbox / case["id"]
    for sub in ("cwd", "in", "out"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    values = {**values, "@CASE@": str(folder)}
    store = folder / "store"
    if case.get("store_from"):
        shutil.copytree(sandbox / case["store_from"] / "store", store, ignore=shutil.ignore_patterns("painsim.lock"))
        _damage(store, case.get("damage", []))
    for relative, text in case.get("files", {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(_substitute(text, values).encode("latin-1"))
    argv = [_substitute(arg, values) for arg in case["argv"]]
    before, tmp_before = tree_state(sandbox), set(glob.glob("/tmp/x*"))
    store_before = store_digest(store)
    os.chdir(folder / "cwd")
    outcome: dict = {"id": case["id"], "argv": argv, "timeout": False, "exception": None}
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        result = runner.invoke(app, argv, env={"PAINSIM_STORE": str(store), "COLUMNS": "80",
                                               "PAINSIM_DEBUG": None})
        signal.setitimer(signal.ITIMER_REAL, 0)
        outcome["exit_code"] = result.exit_code
        outcome["output"] = result.output[-4000:]
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            outcome["exception"] = f"{type(result.exception).__name__}: {result.exception}"[:2000]
    except CaseTimeout:
        outcome.update(timeout=True, exit_code=None, output="")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        os.chdir(sandbox)
    outcome["seconds"] = round(time.monotonic() - started, 3)
    outcome["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # so far
    after = tree_state(sandbox)
    outcome["changed"] = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    outcome["tmp_x_created"] = sorted(set(glob.glob("/tmp/x*")) - tmp_before)
    outcome["store_before"], outcome["store_after"] = store_before, store_digest(store)
    return outcome


def run_setup(app, runner, step: dict, sandbox: Path, values: dict[str, str]) -> None:
    """A setup step (e.g. store a small run to read back); it must succeed."""
    folder = sandbox / step["id"]
    (folder / "in").mkdir(parents=True, exist_ok=True)
    for relative, text in step.get("files", {}).items():
        (folder / relative).write_bytes(text.encode("latin-1"))
    argv = [_substitute(arg, {**values, "@CASE@": str(folder)}) for arg in step["argv"]]
    result = runner.invoke(app, argv, env={"PAINSIM_STORE": str(folder / "store")})
    if result.exit_code != 0:
        raise SystemExit(f"setup {step['id']} failed ({result.exit_code}): {result.output}")
    if step.get("run_id_key"):
        values["@RUN@"] = json.loads(result.stdout)[step["run_id_key"]]


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    limit = int(spec["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _on_alarm)
    os.environ.setdefault("MPLBACKEND", "Agg")

    from typer.testing import CliRunner

    from painsim.cli import app

    sandbox = Path(spec["sandbox"])
    values = {"@SANDBOX@": str(sandbox)}
    runner = CliRunner()
    for step in spec.get("setup", []):
        run_setup(app, runner, step, sandbox, values)
    for argv in spec.get("warmup", []):  # compile the kernels (numba) before the per-case alarm runs
        warm = sandbox / "warmup"
        warm.mkdir(exist_ok=True)
        runner.invoke(app, [_substitute(arg, {**values, "@CASE@": str(warm)}) for arg in argv],
                      env={"PAINSIM_STORE": str(warm / "store")})
        shutil.rmtree(warm, ignore_errors=True)
    outcomes = [run_case(app, runner, case, sandbox, values, float(spec["timeout_s"])) for case in spec["cases"]]
    Path(sys.argv[2]).write_text(json.dumps({"values": values, "outcomes": outcomes}, indent=1))


if __name__ == "__main__":
    main()
