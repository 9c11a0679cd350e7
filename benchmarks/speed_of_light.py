"""Speed-of-light estimate of the engine kernel: its work per patient-day x the machine's cost per operation.

Work per patient-day (counted by hand from ``src/painsim/engine/kernel.py``, the no-care path
with summaries only, i.e. what ``bench_engine.py`` runs; rare branches such as re-injury
with probability 0.0017 a day are left out):

* shocks: 5 Bernoulli draws (re-injury, stress event, bad-sleep spell, short flare, minor
  strain; the spell draw is skipped on the ~7 % of days inside a spell) and two Box-Muller
  normals (good/bad-day fluctuation, measurement noise), each 2 uniforms + log + sqrt + cos:
  ~8.9 uniform hashes,
  2 log, 2 sqrt, 2 cos;
* pain: exp of the fluctuation, the saturating pain curve (1 exp, 1 division), disability
  (1 division);
* loops: the wind-up logistic (1 exp, 2 divisions), pain/10 and the smoothed pain
  (2 divisions);
* arithmetic: every +, -, x, min and max of sections 2-4 of the kernel counted term by term
  (activity 7, nociception 13, gain 3, inhibition 8, pain 4 + noise 4, disability 8,
  the 18 state updates of the loops 129, shocks and AR(1) 6, bookkeeping 13: 206 in all,
  loop-invariant products such as ``g_windup * sensitization_pain`` counted once per day
  anyway), plus ~15 comparisons/branches and 7 accumulations into the summaries and daily
  sums (read-modify-write in L1), counted at the cost of an add.

Cost per operation (measured here, single core, numba, no fastmath like the kernel): each
micro-kernel runs ``n`` iterations of 4 independent scalar dependency chains (the kernel
keeps ~20 state variables in registers whose updates are independent within a day, so 4
chains is a modest assumption of instruction-level parallelism), and the time per call is
the loop time / (n x 4). Arithmetic chains mix mul, add, sub, min and max and differ from
each other so that LLVM cannot turn them into SIMD. Uniforms are ``painsim.engine.rng.uniform``
itself (the SplitMix64 finaliser twice).

The estimate is the sum over operation classes of count x cost: a lower bound for a scalar
kernel that does this arithmetic, assuming no overlap between classes beyond what the
4-chain measurement already captures.
"""

from __future__ import annotations

import time

import numba as nb
import numpy as np

from painsim.engine import rng, vmath

# operations per patient-day (see the module docstring)
COUNTS = {"arith": 206 + 15 + 7, "div": 6, "exp": 3, "log": 2, "sqrt": 2, "cos": 2, "uniform": 8.93}


@nb.njit(nogil=True)
def _arith(n):
    a = b = c = d = 0.5
    for i in range(n):
        x = i * 1e-12
        a = a * 0.999 + 0.001 + x  # 3 ops
        b = min(1.0, b * 1.001 - 0.0005) + x  # 4 ops
        c = max(0.0, 0.9 * c + 0.05) - x  # 4 ops
        d = (1.0 - d) * 0.3 + d * 0.5 + x  # 5 ops
    return a + b + c + d


ARITH_OPS_PER_ITER = 16  # the i * 1e-12 and the int->float conversion are left as overhead for free


@nb.njit(nogil=True)
def _div(n):
    a = b = c = d = 0.5
    for _ in range(n):
        a = 1.0 / (1.0 + a)
        b = 0.7 / (b + 0.5)
        c = (c + 1.0) / 3.0
        d = 2.0 / (d + 2.0)
    return a + b + c + d


@nb.njit(nogil=True)
def _exp(n):
    a = b = c = d = 0.5
    for _ in range(n):
        a = np.exp(-a)
        b = np.exp(-0.5 * b)
        c = np.exp(-c - 0.1)
        d = np.exp(-0.7 * d)
    return a + b + c + d


@nb.njit(nogil=True)
def _log(n):
    a = b = c = d = 0.5
    for _ in range(n):
        a = np.log(a + 2.0)
        b = np.log(b + 3.0)
        c = np.log(c + 1.5)
        d = np.log(d + 2.5)
    return a + b + c + d


@nb.njit(nogil=True)
def _sqrt(n):
    a = b = c = d = 0.5
    for _ in range(n):
        a = np.sqrt(a + 1.0)
        b = np.sqrt(b + 2.0)
        c = np.sqrt(c + 0.5)
        d = np.sqrt(d + 3.0)
    return a + b + c + d


@nb.njit(nogil=True)
def _cos(n):
    a = b = c = d = 0.5
    for _ in range(n):
        a = np.cos(a)
        b = np.cos(b + 0.1)
        c = np.cos(0.9 * c)
        d = np.cos(d - 0.2)
    return a + b + c + d


@nb.njit(nogil=True)
def _uniform(n):
    key = rng.patient_key(np.uint64(1), 7)
    s = 0.0
    for day in range(n):
        s += rng.uniform(key, 1, day) + rng.uniform(key, 3, day) + rng.uniform(key, 5, day) \
            + rng.uniform(key, 7, day)
    return s


KERNELS = {"arith": (_arith, ARITH_OPS_PER_ITER), "div": (_div, 4), "exp": (_exp, 4), "log": (_log, 4),
           "sqrt": (_sqrt, 4), "cos": (_cos, 4), "uniform": (_uniform, 4)}


def measure_costs(n: int = 20_000_000, repeat: int = 3) -> dict[str, float]:
    """Nanoseconds per operation of each class (best of ``repeat``)."""
    costs = {}
    for name, (fn, per_iter) in KERNELS.items():
        fn(10)  # compile
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(n)
            best = min(best, time.perf_counter() - t0)
        costs[name] = best / (n * per_iter) * 1e9
    return costs


@nb.njit(fastmath={"contract"}, nogil=True)
def _vector_fma(x, reps):
    # element-wise and independent across i, so LLVM vectorises it (SIMD, fused multiply-add);
    # "contract" allows FMA but no reassociation, so the 8 steps cannot be folded into one
    for _ in range(reps):
        for i in range(x.size):
            v = x[i]
            for _ in range(8):
                v = v * 0.999 + 0.001
            x[i] = v
    return x


def measure_vector_peak(reps: int = 200_000, repeat: int = 5) -> float:
    """Single-core SIMD floating-point throughput (float64 GFLOP/s) on an L1-resident array.

    The bound a kernel vectorised across patients could approach for its arithmetic; the
    engine's kernel is a per-patient recurrence over days, i.e. scalar (see
    docs/performance.md)."""
    x = np.full(512, 0.5)
    _vector_fma(x, 1)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        _vector_fma(x, reps)
        best = min(best, time.perf_counter() - t0)
    return x.size * reps * 16 / best / 1e9


def estimate(costs: dict[str, float]) -> dict[str, object]:
    """Speed-of-light time per patient-day (ns) and its breakdown by operation class."""
    parts = {name: COUNTS[name] * costs[name] for name in COUNTS}
    total = sum(parts.values())
    return {"counts": COUNTS, "ns_per_op": costs, "ns_per_patient_day_by_class": parts,
            "ns_per_patient_day": total, "patient_days_per_s": 1e9 / total,
            "gflops_arith": 1.0 / costs["arith"]}


# --- The vector kernel (issue 17): the same work per patient-day, in SIMD lanes ------------
#
# Counted from src/painsim/engine/vkernel.py (no care, summaries only, slow spells off as by
# default): the arithmetic of the scalar count plus ~12 compares and selects of the
# branch-free shocks and tallies; 6 divisions of the model plus one in each log; 3 exp; the
# log of the flare size and of the two Box-Muller normals; 2 sqrt; 2 cos(2 pi u); 10 uniform
# hashes (4 rare-event draws, the flare and its size every day, 2 x 2 for the normals). The
# sizes of rare events (about 2 % of patient-days, one lane at a time) and the loads and
# stores of the block's rows (L1, on their own ports) are left out.
VECTOR_COUNTS = {"arith": 206 + 15 + 7 + 12, "div": 9, "exp": 3, "log": 3, "sqrt": 2, "cos": 2, "uniform": 10}
_LANES = 512  # elements of the L1-resident arrays the vector micro-kernels sweep


@nb.njit(nogil=True, error_model="numpy")
def _v_arith(x, reps):
    for _ in range(reps):
        for i in range(x.size):
            a = x[i]
            a = a * 0.999 + 0.001
            a = min(1.0, a * 1.001 - 0.0005)
            a = max(0.0, 0.9 * a + 0.05)
            a = (1.0 - a) * 0.3 + a * 0.5
            x[i] = a
    return x


@nb.njit(nogil=True, error_model="numpy")
def _v_div(x, reps):
    for _ in range(reps):
        for i in range(x.size):
            x[i] = 2.0 / (x[i] + 2.0)
    return x


@nb.njit(nogil=True, error_model="numpy")
def _v_exp(x, reps):
    for _ in range(reps):
        for i in range(x.size):
            x[i] = vmath.exp(-0.7 * x[i])
    return x


@nb.njit(nogil=True, error_model="numpy")
def _v_log(x, reps):
    for _ in range(reps):
        for i in range(x.size):
            x[i] = vmath.log(x[i] + 1.5)
    return x


@nb.njit(nogil=True, error_model="numpy")
def _v_sqrt(x, reps):
    for _ in range(reps):
        for i in range(x.size):
            x[i] = np.sqrt(x[i] + 0.5)
    return x


@nb.njit(nogil=True, error_model="numpy")
def _v_cos(x, reps):
    for _ in range(reps):
        for i in range(x.size):
            x[i] = 0.5 + 0.4 * vmath.cos2pi(x[i])
    return x


@nb.njit(nogil=True, error_model="numpy")
def _v_uniform(x, reps):
    keys = np.empty(x.size, dtype=np.uint64)
    for i in range(x.size):
        keys[i] = rng.patient_key(np.uint64(1), i)
    for day in range(reps):
        for i in range(x.size):
            x[i] = rng.uniform(keys[i], 3, day)
    return x


V_KERNELS = {"arith": (_v_arith, 16), "div": (_v_div, 1), "exp": (_v_exp, 1), "log": (_v_log, 1),
             "sqrt": (_v_sqrt, 1), "cos": (_v_cos, 1), "uniform": (_v_uniform, 1)}


def measure_vector_costs(reps: int = 20_000, repeat: int = 3) -> dict[str, float]:
    """Nanoseconds per operation and lane of each class in vectorised loops over an
    L1-resident array (best of ``repeat``; thread CPU time): what an operation costs a
    patient-day when the patients are in SIMD lanes."""
    from painsim.engine.vkernel import wide_vectors

    costs = {}
    for name, (fn, per_elem) in V_KERNELS.items():
        x = np.full(_LANES, 0.5)
        with wide_vectors():  # compiled as the vector kernel is: 8 lanes x 4 vectors in flight
            fn.compile((nb.typeof(x), nb.int64))
        best = float("inf")
        for _ in range(repeat):
            x[:] = 0.5
            t0 = time.thread_time()
            fn(x, reps)
            best = min(best, time.thread_time() - t0)
        costs[name] = best / (_LANES * reps * per_elem) * 1e9
    return costs


def vector_estimate(costs: dict[str, float]) -> dict[str, object]:
    """Speed of light of the vector kernel (ns per patient-day) and its breakdown."""
    parts = {name: VECTOR_COUNTS[name] * costs[name] for name in VECTOR_COUNTS}
    total = sum(parts.values())
    return {"counts": VECTOR_COUNTS, "ns_per_op": costs, "ns_per_patient_day_by_class": parts,
            "ns_per_patient_day": total, "patient_days_per_s": 1e9 / total}


if __name__ == "__main__":
    import json

    print(json.dumps({"scalar": estimate(measure_costs()), "vector": vector_estimate(measure_vector_costs()),
                      "vector_gflops_f64": measure_vector_peak()}, indent=2))
