"""Peak memory of `painsim run` and `painsim trial` beside painsim.limits' estimate
(docs/scenarios.md and docs/trials.md, "Limits").

    python scripts/memory_model.py [--quick]

Runs each case in a fresh process under ``/usr/bin/time -f %M`` (peak resident set) and
prints a Markdown table: case, measured MiB, estimated MiB. Takes about 15 minutes on two
shared cores (``--quick``: the two smallest cases).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAINSIM = Path(sys.executable).with_name("painsim")

TWO_ARMS = """name = "{name}"
n = {n}
horizon_days = 56
[population]
entry = "acute"
[record]
patients = 0
[arms.a]
{care}
[arms.b]
{care}
"""

RECORDED = """name = "{name}"
n = 20000
horizon_days = 365
[population]
entry = "acute"
[record]
variables = ["pain", "disability", "pain_worst"]
every = 1
patients = {n}
[arms.none]
"""

TRIAL = """name = "{name}"
seed = 3
[arms.massage]
n = 20000
massage = {{ schedule = {{ count = 10, every_days = 7 }} }}
[arms.usual_care]
n = 20000
usual_care = {{}}
[randomisation]
scheme = "complete"
[visits]
weeks = [10, 26, 52]
[analysis]
missing = "mi"
imputations = {n}
"""

MASSAGE = "massage = { schedule = { count = 50, every_days = 1 } }"


def cases(folder: Path, quick: bool) -> list[tuple[str, str, Path, int | None]]:
    """(label, command, file, n override) of every case."""
    out = []

    def write(name: str, text: str) -> Path:
        path = folder / f"{name}.toml"
        path.write_text(text)
        return path

    flagship = ROOT / "examples/massage_question.toml"
    out += [(f"flagship --n {n:,}", "run", flagship, n) for n in (25_000, 100_000)]
    for care, label in (("", "no care"), (MASSAGE, "50 massage sessions")):
        for n in (200_000, 400_000):
            name = f"two_arms_{'massage' if care else 'none'}_{n}"
            out.append((f"2 arms x {n:,} acute, {label}", "run", write(name, TWO_ARMS.format(name=name, n=n,
                                                                                               care=care)), None))
    for n in (0, 20_000):
        out.append((f"20,000 acute, {n:,} recorded daily", "run", write(f"recorded_{n}", RECORDED.format(
            name=f"recorded_{n}", n=n)), None))
    for m in (2, 20):
        out.append((f"trial 2 x 20,000, MI {m} imputations", "trial", write(f"trial_m{m}", TRIAL.format(
            name=f"trial_m{m}", n=m)), None))
    return out[:2] if quick else out


def estimate(command: str, path: Path, n: int | None) -> int:
    if command == "trial":
        from painsim.trials import load_trial

        return load_trial(path).cost().memory_bytes
    from painsim.scenario import load_scenario

    return load_scenario(path).cost(n).memory_bytes


def measure(command: str, path: Path, n: int | None, folder: Path) -> int:
    args = [str(PAINSIM), command, str(path), "--out", str(folder / "out"), "--json"]
    if command == "run":
        args += ["--store", str(folder / "store")] + (["--n", str(n)] if n else [])
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *args], capture_output=True, text=True, check=True)
    return int(done.stderr.strip().splitlines()[-1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    print("| case | measured (MiB) | estimated (MiB) |\n|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="painsim-memory-") as tmp:
        folder = Path(tmp)
        for label, command, path, n in cases(folder, quick):
            measured = measure(command, path, n, folder)
            print(f"| {label} | {measured / 2**20:,.0f} | {estimate(command, path, n) / 2**20:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
