"""The vector kernel: days outer, a block of patients in SIMD lanes inner (no care).

The scalar kernel (:mod:`painsim.engine.kernel`) walks one patient through all its days with
the state in registers: a recurrence over days, one patient per instruction. Patients do
not interact, so the same day of :data:`LANES` patients can run side by side in the lanes of
the vector unit. This kernel holds a block of patients' state in a small array (rows:
variables, columns: lanes; a few KiB, in the L1 cache), and for each day runs loops over the
lanes that LLVM compiles to packed AVX-512 or AVX2 instructions (whichever the CPU has:
:func:`host_vector_isa`):

* the shocks without branches: every stream's uniform is drawn and each event's effect
  selected (the counter-based draws of :mod:`painsim.engine.rng` depend only on the
  patient, process and day, so drawing one that the scalar kernel skips changes nothing);
* exp, log and the Box-Muller cosine from :mod:`painsim.engine.vmath` (no libm calls), the
  random-number hash in 64-bit integer lanes;
* the phases :func:`~painsim.engine.phases.observe`, :func:`~painsim.engine.phases.bookkeeping`,
  :func:`~painsim.engine.phases.summaries` and :func:`~painsim.engine.phases.loops`, the same
  inlined functions as the scalar kernel (their branches become selects);
* the cohort's daily sums as integer reductions over the lanes, the recorded period means
  in a per-lane accumulator (rounded to float32 each day, as the scalar kernel's record).

Each lane computes exactly what the scalar kernel computes for its patient, in the same
order, so the two kernels agree bit for bit and a patient's results do not depend on its
block, chunk or thread (tests/engine/test_vkernel.py). The last block of a range is padded
with copies of its last patient, whose results are discarded. Care runs use the scalar
kernel (the care phases walk a calendar per patient); :func:`painsim.engine.cohort.simulate`
picks the kernel.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass

import llvmlite.binding as llvm
import numba as nb
import numpy as np
from numba.core.compiler_lock import global_compiler_lock

from painsim.engine import rng, vmath
from painsim.engine.loops import L_FEAR, L_GUARD, L_SLEEP, L_STRAIN, L_WINDUP
from painsim.engine.phases import (
    OWN_KNOWLEDGE_BASE,
    OWN_KNOWLEDGE_RESOURCES,
    bookkeeping,
    healing_factor,
    loops,
    observe,
    reinjury_probability,
    summaries,
    trait_factor,
    windup_factor,
)
from painsim.engine.variables import (
    D_DIS,
    D_HIGH,
    D_PAIN,
    D_REC,
    FIXED_POINT_SCALE,
    M_ACT,
    M_COND,
    M_FEAR,
    M_GUARD,
    M_INHIB,
    M_NOCI,
    M_SE,
    M_SLEEP,
    M_STRESS,
    M_THREAT,
    Q_DIS,
    Q_DIS28,
    Q_FIRST,
    Q_HIGH,
    Q_NREC,
    Q_PAIN,
    Q_PAIN28,
    Q_WORST,
    RECORD_WORST_PAIN,
    S_A,
    S_ACT,
    S_C,
    S_D,
    S_E,
    S_F,
    S_FIRST,
    S_G,
    S_H,
    S_I,
    S_K,
    S_N,
    S_NREC,
    S_P,
    S_PO,
    S_PS,
    S_REC,
    S_RUN,
    S_S,
    S_SPELL,
    S_T,
    S_U,
    S_V,
    S_VS,
    S_W,
    S_X,
    S_Z,
    STATE,
    TR_CARE,
    TR_CAT,
    TR_HEAL,
    TR_RES,
    TR_SE,
    TR_SENS,
    TR_SLEEPV,
    TR_STRESSR,
    TR_SUPPORT,
    TR_VULN,
    TR_WORK,
)  # fmt: skip

LANES = 32
"""Patients per block: four AVX-512 vectors of float64, or eight AVX2 vectors (the block's
state, 32 lanes x 63 rows x 8 bytes = 16 KiB, stays in the L1 cache)."""
VECTOR_WIDTH = 8
"""float64 lanes per vector instruction asked of LLVM (8: one AVX-512 register, or two AVX2
registers; see :func:`simulate_vector`)."""
VECTOR_INTERLEAVE = 4
"""Vectors in flight per lane loop iteration asked of LLVM (4 x 8 = the block's 32 lanes): a
day's work for one patient is a long chain of dependent operations (hash, log, exp, the
loops), and four independent chains let the core overlap them (1.0 of the time with 1
vector, ~0.8 with 4, measured by ``python benchmarks/bench_vector.py``)."""


@dataclass(frozen=True)
class VectorISA:
    """The widest float64 vectors of the host CPU, as the kernel's compiled code uses them."""

    register: str
    """the assembly name of its vector registers: ``"zmm"`` (AVX-512), ``"ymm"`` (AVX2) or
    ``"xmm"`` (SSE2)"""
    float64_lanes: int
    """float64 values per register: 8, 4 or 2"""
    int64_multiply: str
    """the instruction the counter-based hash's 64-bit multiplies compile to: ``"vpmullq"``
    (AVX-512DQ), else ``"vpmuludq"`` (32 x 32 -> 64-bit products, three per multiply)"""


def host_vector_isa() -> VectorISA:
    """The :class:`VectorISA` of this machine (LLVM's reading of the CPU, as numba compiles
    for it). The kernel's results do not depend on it (each lane computes the scalar kernel's
    operations in the same order), only its speed: docs/performance.md.

    Examples
    --------
    >>> host_vector_isa().register in ("zmm", "ymm", "xmm")
    True
    """
    features = llvm.get_host_cpu_features()
    has = {name: bool(features[name]) if name in features else False for name in ("avx512f", "avx512dq", "avx2")}
    multiply = "vpmullq" if has["avx512dq"] else "vpmuludq"
    if has["avx512f"]:
        return VectorISA("zmm", 8, multiply)
    if has["avx2"]:
        return VectorISA("ymm", 4, multiply)
    return VectorISA("xmm", 2, "pmuludq")


# Rows of the block array after the state rows (which keep their engine.variables index).
_NS = len(STATE)
(B_PAIN, B_PAIN28, B_DIS, B_DIS28, B_HIGH, B_WORST, B_QFIRST, B_QNREC, B_WEEKMAX,
 B_SENS, B_SLEEPV, B_STRESSR, B_CAT, B_SE0, B_SUPPORT0, B_WORK0, B_MONEY, B_RESIL, B_CARE0, B_FLOOR,
 B_WINDUPK, B_KNOW0, B_REINJ,
 B_MNOCI, B_MGUARD, B_MINHIB, B_MTHREAT, B_MFEAR, B_MSLEEP, B_MSTRESS, B_MACT, B_MSE, B_MCOND,
 B_MINOR, B_RARE, B_ROWS) = range(_NS, _NS + 36)  # fmt: skip

# The block is one flat array, row r of lane j at r * LANES + j: with constant offsets LLVM
# sees that rows never overlap, so the lane loops need no run-time alias checks.
_T, _G, _C, _H, _I, _S, _K = (r * LANES for r in (S_T, S_G, S_C, S_H, S_I, S_S, S_K))
_A, _F, _E, _X, _N, _W, _U, _Z = (r * LANES for r in (S_A, S_F, S_E, S_X, S_N, S_W, S_U, S_Z))
_SPELL, _V, _VS, _P, _PO, _D, _ACT = (r * LANES for r in (S_SPELL, S_V, S_VS, S_P, S_PO, S_D, S_ACT))
_PS, _RUN, _REC, _NREC, _FIRST = (r * LANES for r in (S_PS, S_RUN, S_REC, S_NREC, S_FIRST))
_PAIN, _PAIN28, _DIS, _DIS28, _HIGH, _WORST = (r * LANES for r in (B_PAIN, B_PAIN28, B_DIS, B_DIS28, B_HIGH,
                                                                  B_WORST))
_QFIRST, _QNREC, _WEEKMAX, _MINOR, _RARE = (r * LANES for r in (B_QFIRST, B_QNREC, B_WEEKMAX, B_MINOR, B_RARE))
_SENS, _SLEEPV, _STRESSR, _CAT, _SE0, _SUPPORT0 = (r * LANES for r in (B_SENS, B_SLEEPV, B_STRESSR, B_CAT, B_SE0,
                                                                        B_SUPPORT0))
_WORK0, _MONEY, _RESIL, _CARE0, _FLOOR, _WINDUPK, _KNOW0, _REINJ = (
    r * LANES for r in (B_WORK0, B_MONEY, B_RESIL, B_CARE0, B_FLOOR, B_WINDUPK, B_KNOW0, B_REINJ))
_MNOCI, _MGUARD, _MINHIB, _MTHREAT, _MFEAR = (r * LANES for r in (B_MNOCI, B_MGUARD, B_MINHIB, B_MTHREAT, B_MFEAR))
_MSLEEP, _MSTRESS, _MACT, _MSE, _MCOND = (r * LANES for r in (B_MSLEEP, B_MSTRESS, B_MACT, B_MSE, B_MCOND))


def simulate_blocks(cohort, p, loop_gain, seed, day0, ndays, start, stop, rec, summ, daily, prog=None,
                    care_out_t=None):  # fmt: skip
    """Advance patients ``start:stop`` of ``cohort`` by ``ndays`` days, in place, without care.

    The arguments are those of :func:`painsim.engine.kernel.simulate_natural` (``prog`` and
    ``care_out_t`` are accepted and ignored: a run with care uses the scalar kernel); the
    results are the same, bit for bit.
    """
    state, traits, mods, ids = cohort
    g = (loop_gain[L_WINDUP], loop_gain[L_SLEEP], loop_gain[L_FEAR], loop_gain[L_STRAIN], loop_gain[L_GUARD])
    rec_vars, rec_every, rec_slot, rec_out = rec
    n_rec = rec_vars.shape[0]
    persistence = np.exp(-1.0 / p.fluctuation_days)
    innovation = p.fluctuation_sd * np.sqrt(1.0 - persistence * persistence)
    slow_persistence = np.exp(-1.0 / p.slow_fluctuation_days)
    slow_innovation = p.slow_fluctuation_sd * np.sqrt(1.0 - slow_persistence * slow_persistence)
    has_slow = slow_innovation > 0.0
    b = np.empty(B_ROWS * LANES)  # rows x lanes, flat (see above)
    keys = np.empty(LANES, dtype=np.uint64)
    acc = np.zeros((max(n_rec, 1), LANES), dtype=np.float32)
    for first_i in range(start, stop, LANES):
        nv = min(LANES, stop - first_i)
        rec_any = False
        for j in range(LANES):
            i = first_i + min(j, nv - 1)
            rec_any |= rec_slot[i] >= 0 and j < nv
            keys[j] = rng.patient_key(seed, ids[i])
            for v in range(_NS):
                b[v * LANES + j] = np.float64(state[v, i])
            b[_PAIN + j], b[_PAIN28 + j], b[_DIS + j] = summ[Q_PAIN, i], summ[Q_PAIN28, i], summ[Q_DIS, i]
            b[_DIS28 + j], b[_HIGH + j], b[_WORST + j] = summ[Q_DIS28, i], summ[Q_HIGH, i], summ[Q_WORST, i]
            b[_QFIRST + j], b[_QNREC + j], b[_WEEKMAX + j] = summ[Q_FIRST, i], summ[Q_NREC, i], 0.0
            b[_SENS + j] = p.sensitivity_base + p.sensitivity_range * traits[TR_SENS, i]
            b[_SLEEPV + j] = trait_factor(traits[TR_SLEEPV, i])
            b[_STRESSR + j] = trait_factor(traits[TR_STRESSR, i])
            b[_CAT + j] = trait_factor(traits[TR_CAT, i])
            b[_SE0 + j] = np.float64(traits[TR_SE, i])
            b[_SUPPORT0 + j] = np.float64(traits[TR_SUPPORT, i])
            b[_WORK0 + j] = np.float64(traits[TR_WORK, i])
            b[_MONEY + j] = 1.5 - traits[TR_RES, i]
            b[_RESIL + j] = healing_factor(p, np.float64(traits[TR_HEAL, i]))
            b[_CARE0 + j] = np.float64(traits[TR_CARE, i])
            b[_FLOOR + j] = p.tissue_floor * traits[TR_VULN, i]
            b[_WINDUPK + j] = windup_factor(p, np.float64(traits[TR_SENS, i]))
            b[_KNOW0 + j] = OWN_KNOWLEDGE_BASE + OWN_KNOWLEDGE_RESOURCES * np.float64(traits[TR_RES, i])
            b[_REINJ + j] = reinjury_probability(p, np.float64(traits[TR_VULN, i]))
            b[_MNOCI + j], b[_MGUARD + j] = np.float64(mods[M_NOCI, i]), np.float64(mods[M_GUARD, i])
            b[_MINHIB + j], b[_MTHREAT + j] = np.float64(mods[M_INHIB, i]), np.float64(mods[M_THREAT, i])
            b[_MFEAR + j], b[_MSLEEP + j] = np.float64(mods[M_FEAR, i]), np.float64(mods[M_SLEEP, i])
            b[_MSTRESS + j], b[_MACT + j] = np.float64(mods[M_STRESS, i]), np.float64(mods[M_ACT, i])
            b[_MSE + j], b[_MCOND + j] = np.float64(mods[M_SE, i]), np.float64(mods[M_COND, i])
        rec_any = rec_any and n_rec > 0
        acc[:] = 0.0
        for d in range(ndays):
            day = day0 + d
            if lanes_events(b, keys, p, day):
                lanes_rare(b, keys, p, day)
            if has_slow:
                lanes_slow(b, keys, day, slow_persistence, slow_innovation)
            s_pain, s_dis, s_high, s_rec = lanes_observe(b, keys, p, d, day, ndays, nv, persistence, innovation)
            daily[d, D_PAIN] += s_pain
            daily[d, D_DIS] += s_dis
            daily[d, D_HIGH] += s_high
            daily[d, D_REC] += s_rec
            if rec_any:
                _record_block(b, acc, d, ndays, rec_vars, rec_every, rec_slot, rec_out, first_i, nv)
            lanes_loops(b, p, g)
        for j in range(nv):
            i = first_i + j
            for v in range(_NS):
                state[v, i] = b[v * LANES + j]
            summ[Q_PAIN, i], summ[Q_PAIN28, i], summ[Q_DIS, i] = b[_PAIN + j], b[_PAIN28 + j], b[_DIS + j]
            summ[Q_DIS28, i], summ[Q_HIGH, i], summ[Q_WORST, i] = b[_DIS28 + j], b[_HIGH + j], b[_WORST + j]
            summ[Q_FIRST, i], summ[Q_NREC, i] = b[_QFIRST + j], b[_QNREC + j]


@nb.njit(inline="always", error_model="numpy")
def lanes_events(b, keys, p, day):
    """Phase 1, shocks, part 1 (:func:`painsim.engine.phases.shocks`): the day's Bernoulli
    draws of the rare events (re-injury, stress event, start of a bad-sleep spell, minor
    strain) in one vectorised loop; each lane's events are marked in row ``B_RARE`` and
    :func:`lanes_rare` draws their sizes. Counts down running sleep spells and clears the day's
    strain. Returns whether any lane had an event. The events are rare (about 2% of
    patient-days), so drawing their sizes only when they happen saves four hashes and four
    logs per patient-day over drawing every size and selecting."""
    any_rare = False
    for j in range(LANES):
        key = keys[j]
        spell = b[_SPELL + j]
        injury = rng.uniform(key, rng.REINJURY, day) < b[_REINJ + j]
        stress = rng.uniform(key, rng.STRESS_EVENT, day) < p.stress_event_rate
        sleep = (spell <= 0.0) & (rng.uniform(key, rng.SLEEP_SPELL, day) < p.sleep_spell_rate)
        strain = rng.uniform(key, rng.STRAIN, day) < p.minor_strain_rate
        b[_RARE + j] = ((1.0 if injury else 0.0) + (2.0 if stress else 0.0) + (4.0 if sleep else 0.0)
                        + (8.0 if strain else 0.0))
        b[_SPELL + j] = spell - 1.0 if spell > 0.0 else spell
        b[_MINOR + j] = 0.0
        any_rare |= injury | stress | sleep | strain
    return any_rare


@nb.njit(inline="always", error_model="numpy")
def lanes_rare(b, keys, p, day):
    """Phase 1, shocks, part 2: the sizes of the rare events that :func:`lanes_events` marked
    (row ``B_RARE``: 1 re-injury, 2 stress event, 4 bad-sleep spell, 8 minor strain), one
    lane at a time, as :func:`painsim.engine.phases.shocks` computes them."""
    for j in range(LANES):
        events = np.int64(b[_RARE + j])
        if events == 0:
            continue
        key = keys[j]
        if events & 1:
            b[_T + j] = min(1.0, b[_T + j] - p.reinjury_size * vmath.log(rng.uniform(key, rng.REINJURY_SIZE, day)))
        if events & 2:
            b[_Z + j] -= p.stress_event_size * vmath.log(rng.uniform(key, rng.STRESS_SIZE, day))
        if events & 4:
            b[_SPELL + j] = np.ceil(-vmath.log(rng.uniform(key, rng.SLEEP_SPELL_LENGTH, day)) * p.sleep_spell_days)
        if events & 8:
            b[_MINOR + j] = -p.minor_strain_size * vmath.log(rng.uniform(key, rng.STRAIN_SIZE, day))


@nb.njit(inline="always", error_model="numpy")
def lanes_slow(b, keys, day, slow_persistence, slow_innovation):
    """Phase 1, shocks (cont.): the slow spells' AR(1) step, for a run that has them
    (``slow_fluctuation_sd`` > 0; by default they are off and this loop is skipped)."""
    for j in range(LANES):
        b[_VS + j] = slow_persistence * b[_VS + j] + slow_innovation * rng.fast_normal(
            keys[j], rng.SLOW_FLUCTUATION_A, rng.SLOW_FLUCTUATION_B, day)


@nb.njit(inline="always", error_model="numpy")
def lanes_observe(b, keys, p, d, day, ndays, nv, persistence, innovation):
    """Phases 1 (good and bad days, flares) to 5 for every lane of block ``b``: the fast AR(1)
    step, the day's flare (branch-free: its size drawn on every day and selected),
    observation, bookkeeping and summaries, in one vectorised loop over the lanes; returns
    the day's sums over the ``nv`` lanes that hold patients (pain, disability, high-pain
    days, recovered; int64 fixed point, as :func:`painsim.engine.phases.tally`)."""
    no_care = -0.0
    s_pain, s_dis, s_high, s_rec = np.int64(0), np.int64(0), np.int64(0), np.int64(0)
    for j in range(LANES):
        key = keys[j]
        V = persistence * b[_V + j] + innovation * rng.fast_normal(key, rng.FLUCTUATION_A, rng.FLUCTUATION_B, day)
        hit = rng.uniform(key, rng.FLARE, day) < p.flare_rate
        f_new = 1.0 - p.flare_gain * vmath.log(rng.uniform(key, rng.FLARE_SIZE, day))
        flare = f_new if hit else 1.0
        act, P, PO, D = observe(key, day, p, b[_SENS + j], b[_T + j], b[_G + j], b[_C + j], b[_I + j], b[_S + j],
                                b[_K + j], b[_A + j], b[_F + j], b[_E + j], V + b[_VS + j], flare, b[_MINOR + j],
                                b[_MACT + j], no_care, b[_MNOCI + j], b[_MINHIB + j], no_care)
        PS, run, recovered, n_recur, first, q_first, q_nrec = bookkeeping(
            p, d, day, PO, b[_PS + j], b[_RUN + j], b[_REC + j], b[_NREC + j], b[_FIRST + j], b[_QFIRST + j],
            b[_QNREC + j])
        sums = (b[_PAIN + j], b[_PAIN28 + j], b[_DIS + j], b[_DIS28 + j], b[_HIGH + j], b[_WORST + j])
        sums, week_max, high = summaries(p, d, ndays, PO, D, sums, b[_WEEKMAX + j])
        counted = j < nv
        s_pain += np.int64(np.round(PO * FIXED_POINT_SCALE)) if counted else np.int64(0)
        s_dis += np.int64(np.round(D * FIXED_POINT_SCALE)) if counted else np.int64(0)
        s_high += np.int64(high) if counted else np.int64(0)
        s_rec += np.int64(recovered) if counted else np.int64(0)
        b[_V + j], b[_ACT + j], b[_P + j], b[_PO + j], b[_D + j] = V, act, P, PO, D
        b[_PS + j], b[_RUN + j], b[_REC + j], b[_NREC + j], b[_FIRST + j] = PS, run, recovered, n_recur, first
        b[_QFIRST + j], b[_QNREC + j], b[_WEEKMAX + j] = q_first, q_nrec, week_max
        b[_PAIN + j], b[_PAIN28 + j], b[_DIS + j], b[_DIS28 + j], b[_HIGH + j], b[_WORST + j] = sums
    return s_pain, s_dis, s_high, s_rec


@nb.njit(inline="always", error_model="numpy")
def lanes_loops(b, p, g):
    """Phase 6 (:func:`painsim.engine.phases.loops`) for every lane of block ``b``: every
    state toward tomorrow's target, in one vectorised loop over the lanes."""
    no_care = -0.0
    for j in range(LANES):
        levers = (b[_MGUARD + j], b[_MTHREAT + j], b[_MFEAR + j], b[_MSTRESS + j], b[_MCOND + j], b[_MSLEEP + j],
                  no_care, b[_MSE + j], no_care)
        traits_t = (b[_SLEEPV + j], b[_STRESSR + j], b[_CAT + j], b[_SE0 + j], b[_SUPPORT0 + j], b[_WORK0 + j],
                    b[_MONEY + j], b[_RESIL + j], b[_CARE0 + j], b[_FLOOR + j], b[_WINDUPK + j], b[_KNOW0 + j])
        T, G, C, H, I, S, K, A, F, E, X, W, U, Z, N = loops(
            p, g, b[_P + j], b[_T + j], b[_G + j], b[_C + j], b[_H + j], b[_I + j], b[_S + j], b[_K + j],
            b[_A + j], b[_F + j], b[_E + j], b[_X + j], b[_W + j], b[_U + j], b[_Z + j], b[_N + j],
            b[_SPELL + j], b[_ACT + j], traits_t, levers)
        b[_T + j], b[_G + j], b[_C + j], b[_H + j], b[_I + j], b[_S + j], b[_K + j] = T, G, C, H, I, S, K
        b[_A + j], b[_F + j], b[_E + j], b[_X + j], b[_W + j], b[_U + j], b[_Z + j], b[_N + j] = A, F, E, X, W, U, Z, N


@nb.njit(inline="always")
def _record_block(b, acc, d, ndays, rec_vars, rec_every, rec_slot, rec_out, first_i, nv):
    """Add the day to the recorded period means (or maxima) of the block's recorded patients,
    as :func:`painsim.engine.phases.record` does: the day's float32 state divided by the
    period's length, added in float32; written out at the period's end."""
    period = d // rec_every
    length = min(rec_every, ndays - period * rec_every)
    last = d == ndays - 1 or d % rec_every == rec_every - 1
    for k in range(rec_vars.shape[0]):
        var = rec_vars[k]
        if var == RECORD_WORST_PAIN:
            for j in range(LANES):
                acc[k, j] = max(acc[k, j], b[_PO + j])
        else:
            for j in range(LANES):
                acc[k, j] += np.float32(b[var * LANES + j]) / length
        if last:
            for j in range(nv):
                slot = rec_slot[first_i + j]
                if slot >= 0:
                    rec_out[k, period, slot] = acc[k, j]
                acc[k, j] = 0.0


@contextlib.contextmanager
def _llvm_remarks_dropped():
    """Drop LLVM's "loop not vectorized" remarks (written to file descriptor 2 while a loop
    vectoriser option is forced); anything else written meanwhile is passed on."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            kept = [line for line in tmp.read().decode(errors="replace").splitlines(keepends=True)
                    if "loop not vectorized" not in line]
            if kept:
                sys.stderr.write("".join(kept))


_compiled = nb.njit(cache=True, nogil=True, error_model="numpy")(simulate_blocks)
_ready: set = set()


@contextlib.contextmanager
def wide_vectors():
    """LLVM's loop vectoriser forced to :data:`VECTOR_WIDTH` x :data:`VECTOR_INTERLEAVE`
    while inside (numba's compiler lock held, the remarks dropped), its defaults after."""
    with global_compiler_lock, _llvm_remarks_dropped():
        llvm.set_option("", f"-force-vector-width={VECTOR_WIDTH}")
        llvm.set_option("", f"-force-vector-interleave={VECTOR_INTERLEAVE}")
        try:
            yield
        finally:
            llvm.set_option("", "-force-vector-width=0")
            llvm.set_option("", "-force-vector-interleave=0")


def lane_loop_asm(name: str) -> str:
    """The assembly of one lane loop (``"events"``, ``"observe"`` or ``"loops"``), compiled
    afresh as the kernel compiles it (numba shows no assembly for cached code): for
    tests/engine/test_vkernel.py and ``python benchmarks/vector_asm.py``, which check that
    the loops over patients run in packed vector instructions."""
    from painsim.engine.kernel import kernel_params
    from painsim.engine.params import ModelParams

    p = kernel_params(ModelParams())
    b = np.full(B_ROWS * LANES, 0.5)
    keys = np.arange(LANES, dtype=np.uint64)
    fn, args = {"events": (lanes_events, (b, keys, p, 3)),
                "observe": (lanes_observe, (b, keys, p, 3, 3, 10, LANES, 0.9, 0.1)),
                "loops": (lanes_loops, (b, p, (1.0,) * 5))}[name]
    fresh = nb.njit(error_model="numpy")(fn.py_func)
    with wide_vectors():
        fresh.compile(tuple(nb.typeof(a) for a in args))
    return fresh.inspect_asm(fresh.signatures[0])


def simulate_vector(*args) -> None:
    """The vector kernel (:func:`simulate_blocks` compiled), as :func:`painsim.engine.kernel.simulate_natural`.

    LLVM's cost model for this CPU prefers 256-bit vectors (4 float64 lanes) even where
    AVX-512 registers hold 8, and one vector in flight per loop iteration; the lane loops
    run about twice as fast with 8 lanes and 4 vectors in flight (docs/performance.md). So
    the kernel is compiled, once per argument types, with LLVM's ``-force-vector-width``
    and ``-force-vector-interleave`` set only while numba's compiler lock is held (no other
    function is compiled meanwhile) and reset to their defaults (0: the cost model's
    choice) right after; LLVM's remarks about the loops it leaves scalar (the day loop, the
    block's setup) are dropped. Vector width and interleaving change no result: each lane
    computes the same operations in the same order."""
    sig = tuple(nb.typeof(a) for a in args)
    if sig not in _ready:
        with wide_vectors():
            _compiled.compile(sig)
        _ready.add(sig)
    _compiled(*args)
