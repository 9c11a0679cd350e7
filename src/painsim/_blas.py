"""The same numbers on every x86-64 machine: pin OpenBLAS's kernels before numpy loads it.

numpy and scipy ship OpenBLAS built for many CPUs (``DYNAMIC_ARCH``): when it loads, it picks
the kernels of the CPU it finds, and kernels written for different CPUs round differently.
A trial's analysis goes through LAPACK (regressions, multiple imputation), so the same
scenario and seed gave results that differ in the 14th significant digit between an AVX-512
machine (SkylakeX kernels) and an AVX2 one (Haswell kernels): the Cherkin trial's mean
difference -1.9735397376199688 on one, -1.9735397376199622 on the other. Pinning the Haswell
kernels (AVX2 and FMA: every x86-64 CPU since 2013) gives every such machine the same digits.

The pin is set only where it can work and where nobody has chosen otherwise: on Linux
x86-64 with ``avx2`` and ``fma``, when ``OPENBLAS_CORETYPE`` is unset, and before numpy is
imported (OpenBLAS reads the variable once, when it loads). :data:`PINNED` says whether it
was set by this import; docs/user-guide.md ("Same results on every machine") explains it.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping

#: The OpenBLAS kernels painsim pins (``OPENBLAS_CORETYPE``).
CORETYPE = "Haswell"
REQUIRED_FLAGS = frozenset({"avx2", "fma"})


def should_pin(environ: Mapping[str, str], machine: str, cpu_flags: frozenset[str],
               numpy_loaded: bool) -> bool:
    """Whether to set ``OPENBLAS_CORETYPE``: unset by the user, an x86-64 CPU with AVX2 and
    FMA (the pinned kernels' instructions), and numpy not yet loaded.

    Examples
    --------
    >>> should_pin({}, "x86_64", frozenset({"avx2", "fma", "avx512f"}), numpy_loaded=False)
    True
    >>> should_pin({"OPENBLAS_CORETYPE": "Zen"}, "x86_64", frozenset({"avx2", "fma"}), numpy_loaded=False)
    False
    >>> should_pin({}, "aarch64", frozenset(), numpy_loaded=False)
    False
    """
    return ("OPENBLAS_CORETYPE" not in environ and machine in ("x86_64", "AMD64")
            and cpu_flags >= REQUIRED_FLAGS and not numpy_loaded)


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``; empty where there is none)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def pin_openblas_kernels() -> bool:
    """Set ``OPENBLAS_CORETYPE`` to :data:`CORETYPE` if :func:`should_pin`; return whether it did."""
    if should_pin(os.environ, platform.machine(), cpu_flags(), numpy_loaded="numpy" in sys.modules):
        os.environ["OPENBLAS_CORETYPE"] = CORETYPE
        return True
    return False


PINNED = pin_openblas_kernels()
