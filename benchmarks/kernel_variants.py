"""Variants of the care kernel against each other, in one process (docs/performance.md).

    python benchmarks/kernel_variants.py 10000 365 3 SRC_A SRC_B [SRC_C ...]

Each SRC is a source tree holding ``src/painsim/engine/kernel.py`` and ``care_phases.py``
(a checkout or a copy of this repository, edited); its two modules are loaded under their
own names, so every variant is compiled apart while the rest of painsim is shared. The
cohort is cut into slices of 500 patients and every slice runs on every variant, in an
order that rotates with the slice and the pass, timed by the thread's CPU time; printed:
whether each variant's summaries equal the first's, and each variant's speed relative to
the first (total time of the first / total time of the variant, > 1: faster) with a 95%
bootstrap interval over the slices. Two copies of the same tree show the spread that code
placement alone gives (1.024 [0.998, 1.051] on 2026-12-02).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import kernel_ab as ab
import painsim as ps
from painsim.engine import kernel


def load_variant(tag: str, root: Path, into: Path):
    """The care kernel of the tree ``root`` as module ``kernel_<tag>`` (with its own care phases)."""
    engine = root / "src" / "painsim" / "engine"
    missing = [name for name in ("kernel.py", "care_phases.py") if not (engine / name).is_file()]
    if missing:
        sys.exit(f"{root}: no {' or '.join(missing)} under {engine} (give a source tree of painsim)")
    (into / f"care_phases_{tag}.py").write_text((engine / "care_phases.py").read_text())
    source = (engine / "kernel.py").read_text()
    (into / f"kernel_{tag}.py").write_text(source.replace("from painsim.engine.care_phases import",
                                                          f"from care_phases_{tag} import"))
    return importlib.import_module(f"kernel_{tag}")


def main(n: int, days: int, passes: int, roots: list[Path]) -> None:
    into = Path(tempfile.mkdtemp(prefix="painsim-variants-"))
    sys.path.insert(0, str(into))
    variants = [load_variant(f"v{j}", root, into) for j, root in enumerate(roots)]
    runs = []
    for part in ps.Cohort.build("acute", n=n, seed=1).split(max(1, round(n / ab.SLICE))):
        row = []
        for variant in variants:  # engine_run reads the kernel from painsim.engine.kernel
            kernel.simulate_with_care = variant.simulate_with_care
            row.append(ab.engine_run(part, days, ab.COMBINED))
        runs.append(row)
    first = [row[0]().copy() for row in runs]
    for j in range(1, len(variants)):
        equal = all(np.array_equal(f, row[j]()) for f, row in zip(first, runs, strict=True))
        print(f"{roots[j]}: summaries equal the first's: {equal}")
    times = np.zeros((len(variants), passes * len(runs)))
    for p in range(passes):
        for i, row in enumerate(runs):
            for k in range(len(variants)):
                j = (k + p + i) % len(variants)
                t0 = time.thread_time()
                row[j]()
                times[j, p * len(runs) + i] = time.thread_time() - t0
    draws = np.random.default_rng(0).integers(0, times.shape[1], (2000, times.shape[1]))
    for j in range(1, len(variants)):
        boot = times[0][draws].sum(axis=1) / times[j][draws].sum(axis=1)
        print(f"{roots[j]} vs {roots[0]}: {times[0].sum() / times[j].sum():.3f} "
              f"[{np.percentile(boot, 2.5):.3f}, {np.percentile(boot, 97.5):.3f}]")


if __name__ == "__main__":
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), [Path(a) for a in sys.argv[4:]])
