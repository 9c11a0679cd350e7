"""Show that the vector kernel's loops over patients compile to packed AVX-512 (or AVX2) instructions.

    python benchmarks/vector_asm.py            # instruction counts of each lane loop
    python benchmarks/vector_asm.py --errors   # and the measured maximum errors of engine.vmath

For each lane loop of ``painsim.engine.vkernel`` (compiled afresh as the kernel is, by
``vkernel.lane_loop_asm``) it counts the instructions on 512-bit (zmm), 256-bit (ymm) and
scalar (``...sd``) float64 registers, the packed float64 arithmetic, the packed 64-bit integer
multiplies of the counter-based hash (``vpmullq`` with AVX-512DQ; ``vpmuludq`` with AVX2,
three per 64-bit multiply) and the divisions, in the whole function and in its hottest basic
block (the one with the most instructions on the host's widest vector registers,
``vkernel.host_vector_isa()``: the vectorised loop body). tests/engine/test_vkernel.py
asserts the same of the compiled code.
"""

from __future__ import annotations

import argparse
import json
import re

import numpy as np

from painsim.engine import vkernel, vmath


def counts(asm: str) -> dict[str, int]:
    """Instruction counts of one piece of assembly (see the module docstring)."""
    lines = [line.strip() for line in asm.splitlines() if line.startswith("\t") and not line.startswith("\t.")]
    return {"instructions": len(lines), "zmm": sum("zmm" in x for x in lines), "ymm": sum("ymm" in x for x in lines),
            "scalar_sd": sum(bool(re.match(r"v\w+sd\s", x)) for x in lines),
            "packed_pd_arith": sum(bool(re.match(r"v(?:mul|add|sub|fmadd\w*|div|max|min)pd\s.*%[yz]mm", x))
                                   for x in lines),
            "vpmullq": sum(x.startswith("vpmullq") for x in lines),
            "vpmuludq": sum(x.startswith("vpmuludq") for x in lines),
            "vdivpd": sum(x.startswith("vdivpd") for x in lines),
            "calls": sum(x.startswith("call") for x in lines)}


def report() -> dict[str, dict[str, dict[str, int]]]:
    """Counts of every lane loop, whole function and hottest block."""
    out = {}
    register = vkernel.host_vector_isa().register
    for name in vkernel.LANE_LOOPS:
        asm = vkernel.lane_loop_asm(name)
        hot = max(re.split(r"\n(?=\.LBB\d+_\d+:)", asm), key=lambda block: block.count(register))
        out[name] = {"function": counts(asm), "hot_block": counts(hot)}
    return out


def errors(n: int = 2_000_000, seed: int = 17) -> dict[str, float]:
    """Measured maximum errors of engine.vmath against numpy (libm)."""
    draws = np.random.default_rng(seed)
    x = np.concatenate([draws.uniform(-708.0, 709.0, n), draws.uniform(-5.0, 5.0, n)])
    u = np.concatenate([draws.random(n), np.exp(draws.uniform(-37.0, 0.0, n))])

    def ulp(got, want):
        return float(np.max(np.abs(got - want) / np.spacing(np.abs(want))))

    return {"exp_ulp": ulp(vmath.exp_array(x), np.exp(x)), "log_ulp": ulp(vmath.log_array(u), np.log(u)),
            "cos2pi_abs": float(np.max(np.abs(vmath.cos2pi_array(u) - np.cos(2 * np.pi * u))))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="also measure engine.vmath's maximum errors")
    args = parser.parse_args()
    isa = vkernel.host_vector_isa()
    out: dict[str, object] = {"isa": {"register": isa.register, "float64_lanes": isa.float64_lanes,
                                      "int64_multiply": isa.int64_multiply},
                              "lanes": vkernel.LANES, "vector_width": vkernel.VECTOR_WIDTH,
                              "interleave": vkernel.VECTOR_INTERLEAVE, "loops": report()}
    if args.errors:
        out["vmath_errors"] = errors()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
