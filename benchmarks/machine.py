"""The machine a benchmark ran on, and the load average beside each measurement."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages (other work on the machine skews every figure)."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, object]:
    """CPU model, cores, memory, OS and Python of this machine."""
    cpu = platform.processor() or platform.machine()
    mem_gib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem_gib, "system": platform.system(),
            "machine": platform.machine(), "python": platform.python_version(), "vectors": vectors()}


def vectors() -> str:
    """The widest float64 vectors the kernels compile to here (``engine.vkernel.host_vector_isa``)."""
    from painsim.engine.vkernel import host_vector_isa

    isa = host_vector_isa()
    name = {"zmm": "AVX-512", "ymm": "AVX2", "xmm": "SSE2"}[isa.register]
    return f"{name} ({isa.float64_lanes} float64 lanes; 64-bit multiply {isa.int64_multiply})"
