"""The vector kernel: days outer, a block of patients in SIMD lanes inner, with or without care.

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
with copies of its last patient, whose results are discarded. The block's layout is
:mod:`painsim.engine.vblock`. A run with care compiles in the care phases over the lanes of
:mod:`painsim.engine.vcare` (the scalar kernel's hook functions, lane by lane, in its order
within a day; tests/engine/test_vkernel_care.py): :func:`simulate_vector_with_care`.
:func:`painsim.engine.cohort.simulate` runs :func:`simulate_vector` for a run without care
and :func:`simulate_vector_with_care` for one with care. The scalar kernel
(:mod:`painsim.engine.kernel`) stays as the reference both are tested against.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

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
from painsim.engine.vblock import (
    B_ROWS,
    LANES,
    N_STATE,
    O_A,
    O_ACT,
    O_C,
    O_CACT,
    O_CARE0,
    O_CAT,
    O_CINHIB,
    O_CSE,
    O_CSLEEP,
    O_D,
    O_DIS,
    O_DIS28,
    O_E,
    O_F,
    O_FIRST,
    O_FLOOR,
    O_G,
    O_H,
    O_HIGH,
    O_I,
    O_K,
    O_KNOW0,
    O_LCOND,
    O_LFEAR,
    O_LGUARD,
    O_LNOCI,
    O_LSTRESS,
    O_LTHREAT,
    O_MACT,
    O_MCOND,
    O_MFEAR,
    O_MGUARD,
    O_MINHIB,
    O_MINOR,
    O_MNOCI,
    O_MONEY,
    O_MSE,
    O_MSLEEP,
    O_MSTRESS,
    O_MTHREAT,
    O_N,
    O_NREC,
    O_P,
    O_PAIN,
    O_PAIN28,
    O_PO,
    O_PS,
    O_QFIRST,
    O_QNREC,
    O_RARE,
    O_REC,
    O_REINJ,
    O_RES,
    O_RESIL,
    O_RUN,
    O_S,
    O_SE0,
    O_SENS,
    O_SLEEPV,
    O_SPELL,
    O_STRESSR,
    O_SUPPORT0,
    O_T,
    O_U,
    O_V,
    O_VS,
    O_W,
    O_WEEKMAX,
    O_WINDUPK,
    O_WORK0,
    O_WORST,
    O_X,
    O_Z,
)  # fmt: skip
from painsim.engine.vcare import (
    care_after_observation,
    care_before_observation,
    care_block,
    care_end,
    care_end_of_day,
    care_start,
)  # fmt: skip

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


def _make_blocks(with_care: bool):
    """The block driver, with the care phases compiled in (``with_care``) or out (a constant
    of the closure, as in :func:`painsim.engine.kernel._make_kernel`)."""

    def simulate_blocks(cohort, p, loop_gain, seed, day0, ndays, start, stop, rec, summ, daily, prog, care_out_t):
        """Advance patients ``start:stop`` of ``cohort`` by ``ndays`` days, in place.

        The arguments are those of :func:`painsim.engine.kernel.simulate_natural`; the results
        are the same, bit for bit.
        """
        state = cohort[0]
        g = (loop_gain[L_WINDUP], loop_gain[L_SLEEP], loop_gain[L_FEAR], loop_gain[L_STRAIN], loop_gain[L_GUARD])
        rec_vars, rec_every, rec_slot, rec_out = rec
        n_rec = rec_vars.shape[0]
        persistence = np.exp(-1.0 / p.fluctuation_days)
        innovation = p.fluctuation_sd * np.sqrt(1.0 - persistence * persistence)
        slow_persistence = np.exp(-1.0 / p.slow_fluctuation_days)
        slow_innovation = p.slow_fluctuation_sd * np.sqrt(1.0 - slow_persistence * slow_persistence)
        has_slow = slow_innovation > 0.0
        care = care_block(prog, ndays if with_care else 0)
        session_out, care_out = care_out_t
        b = np.empty(B_ROWS * LANES)  # rows x lanes, flat (engine.vblock)
        keys = np.empty(LANES, dtype=np.uint64)
        acc = np.zeros((max(n_rec, 1), LANES), dtype=np.float32)
        for first_i in range(start, stop, LANES):
            nv = min(LANES, stop - first_i)
            rec_any = _load_block(b, keys, cohort, p, seed, summ, rec_slot, first_i, nv) and n_rec > 0
            if with_care:
                care_start(care, b)
            acc[:] = 0.0
            for d in range(ndays):
                day = day0 + d
                if lanes_events(b, keys, p, day):
                    lanes_rare(b, keys, p, day)
                if has_slow:
                    lanes_slow(b, keys, day, slow_persistence, slow_innovation)
                if with_care:
                    care_before_observation(care, b, keys, d, day)
                s_pain, s_dis, s_high, s_rec = lanes_observe(b, keys, p, d, day, ndays, nv, persistence, innovation,
                                                             with_care)
                daily[d, D_PAIN] += s_pain
                daily[d, D_DIS] += s_dis
                daily[d, D_HIGH] += s_high
                daily[d, D_REC] += s_rec
                if with_care:
                    care_after_observation(care, b, first_i, nv, d, session_out, O_REC)
                if rec_any:
                    _record_block(b, acc, d, ndays, rec_vars, rec_every, rec_slot, rec_out, first_i, nv)
                lanes_loops(b, p, g, with_care)
                if with_care:
                    care_end_of_day(care)
            _store_block(b, state, summ, first_i, nv)
            if with_care:
                care_end(care, first_i, nv, session_out, care_out)

    return simulate_blocks


@nb.njit(inline="always")
def _load_block(b, keys, cohort, p, seed, summ, rec_slot, first_i, nv):
    """Load patients ``first_i : first_i + nv`` into block ``b`` (the last lanes padded with
    copies of the last patient); returns whether any of them is recorded."""
    state, traits, mods, ids = cohort
    rec_any = False
    for j in range(LANES):
        i = first_i + min(j, nv - 1)
        rec_any |= rec_slot[i] >= 0 and j < nv
        keys[j] = rng.patient_key(seed, ids[i])
        for v in range(N_STATE):
            b[v * LANES + j] = np.float64(state[v, i])
        b[O_PAIN + j], b[O_PAIN28 + j], b[O_DIS + j] = summ[Q_PAIN, i], summ[Q_PAIN28, i], summ[Q_DIS, i]
        b[O_DIS28 + j], b[O_HIGH + j], b[O_WORST + j] = summ[Q_DIS28, i], summ[Q_HIGH, i], summ[Q_WORST, i]
        b[O_QFIRST + j], b[O_QNREC + j], b[O_WEEKMAX + j] = summ[Q_FIRST, i], summ[Q_NREC, i], 0.0
        b[O_SENS + j] = p.sensitivity_base + p.sensitivity_range * traits[TR_SENS, i]
        b[O_SLEEPV + j] = trait_factor(traits[TR_SLEEPV, i])
        b[O_STRESSR + j] = trait_factor(traits[TR_STRESSR, i])
        b[O_CAT + j] = trait_factor(traits[TR_CAT, i])
        b[O_SE0 + j] = np.float64(traits[TR_SE, i])
        b[O_SUPPORT0 + j] = np.float64(traits[TR_SUPPORT, i])
        b[O_WORK0 + j] = np.float64(traits[TR_WORK, i])
        b[O_MONEY + j] = 1.5 - traits[TR_RES, i]
        b[O_RES + j] = np.float64(traits[TR_RES, i])
        b[O_RESIL + j] = healing_factor(p, np.float64(traits[TR_HEAL, i]))
        b[O_CARE0 + j] = np.float64(traits[TR_CARE, i])
        b[O_FLOOR + j] = p.tissue_floor * traits[TR_VULN, i]
        b[O_WINDUPK + j] = windup_factor(p, np.float64(traits[TR_SENS, i]))
        b[O_KNOW0 + j] = OWN_KNOWLEDGE_BASE + OWN_KNOWLEDGE_RESOURCES * np.float64(traits[TR_RES, i])
        b[O_REINJ + j] = reinjury_probability(p, np.float64(traits[TR_VULN, i]))
        b[O_MNOCI + j], b[O_MGUARD + j] = np.float64(mods[M_NOCI, i]), np.float64(mods[M_GUARD, i])
        b[O_MINHIB + j], b[O_MTHREAT + j] = np.float64(mods[M_INHIB, i]), np.float64(mods[M_THREAT, i])
        b[O_MFEAR + j], b[O_MSLEEP + j] = np.float64(mods[M_FEAR, i]), np.float64(mods[M_SLEEP, i])
        b[O_MSTRESS + j], b[O_MACT + j] = np.float64(mods[M_STRESS, i]), np.float64(mods[M_ACT, i])
        b[O_MSE + j], b[O_MCOND + j] = np.float64(mods[M_SE, i]), np.float64(mods[M_COND, i])
    return rec_any


@nb.njit(inline="always")
def _store_block(b, state, summ, first_i, nv):
    """Write the block's ``nv`` patients back: state (rounded to float32) and summaries."""
    for j in range(nv):
        i = first_i + j
        for v in range(N_STATE):
            state[v, i] = b[v * LANES + j]
        summ[Q_PAIN, i], summ[Q_PAIN28, i], summ[Q_DIS, i] = b[O_PAIN + j], b[O_PAIN28 + j], b[O_DIS + j]
        summ[Q_DIS28, i], summ[Q_HIGH, i], summ[Q_WORST, i] = b[O_DIS28 + j], b[O_HIGH + j], b[O_WORST + j]
        summ[Q_FIRST, i], summ[Q_NREC, i] = b[O_QFIRST + j], b[O_QNREC + j]


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
        spell = b[O_SPELL + j]
        injury = rng.uniform(key, rng.REINJURY, day) < b[O_REINJ + j]
        stress = rng.uniform(key, rng.STRESS_EVENT, day) < p.stress_event_rate
        sleep = (spell <= 0.0) & (rng.uniform(key, rng.SLEEP_SPELL, day) < p.sleep_spell_rate)
        strain = rng.uniform(key, rng.STRAIN, day) < p.minor_strain_rate
        b[O_RARE + j] = ((1.0 if injury else 0.0) + (2.0 if stress else 0.0) + (4.0 if sleep else 0.0)
                        + (8.0 if strain else 0.0))
        b[O_SPELL + j] = spell - 1.0 if spell > 0.0 else spell
        b[O_MINOR + j] = 0.0
        any_rare |= injury | stress | sleep | strain
    return any_rare


@nb.njit(inline="always", error_model="numpy")
def lanes_rare(b, keys, p, day):
    """Phase 1, shocks, part 2: the sizes of the rare events that :func:`lanes_events` marked
    (row ``B_RARE``: 1 re-injury, 2 stress event, 4 bad-sleep spell, 8 minor strain), one
    lane at a time, as :func:`painsim.engine.phases.shocks` computes them."""
    for j in range(LANES):
        events = np.int64(b[O_RARE + j])
        if events == 0:
            continue
        key = keys[j]
        if events & 1:
            b[O_T + j] = min(1.0, b[O_T + j] - p.reinjury_size * vmath.log(rng.uniform(key, rng.REINJURY_SIZE, day)))
        if events & 2:
            b[O_Z + j] -= p.stress_event_size * vmath.log(rng.uniform(key, rng.STRESS_SIZE, day))
        if events & 4:
            b[O_SPELL + j] = np.ceil(-vmath.log(rng.uniform(key, rng.SLEEP_SPELL_LENGTH, day)) * p.sleep_spell_days)
        if events & 8:
            b[O_MINOR + j] = -p.minor_strain_size * vmath.log(rng.uniform(key, rng.STRAIN_SIZE, day))


@nb.njit(inline="always", error_model="numpy")
def lanes_slow(b, keys, day, slow_persistence, slow_innovation):
    """Phase 1, shocks (cont.): the slow spells' AR(1) step, for a run that has them
    (``slow_fluctuation_sd`` > 0; by default they are off and this loop is skipped)."""
    for j in range(LANES):
        b[O_VS + j] = slow_persistence * b[O_VS + j] + slow_innovation * rng.fast_normal(
            keys[j], rng.SLOW_FLUCTUATION_A, rng.SLOW_FLUCTUATION_B, day)


@nb.njit(inline="always", error_model="numpy")
def lanes_observe(b, keys, p, d, day, ndays, nv, persistence, innovation, care):
    """Phases 1 (good and bad days, flares) to 5 for every lane of block ``b``: the fast AR(1)
    step, the day's flare (branch-free: its size drawn on every day and selected),
    observation, bookkeeping and summaries, in one vectorised loop over the lanes; returns
    the day's sums over the ``nv`` lanes that hold patients (pain, disability, high-pain
    days, recovered; int64 fixed point, as :func:`painsim.engine.phases.tally`)."""
    no_care = -0.0
    s_pain, s_dis, s_high, s_rec = np.int64(0), np.int64(0), np.int64(0), np.int64(0)
    for j in range(LANES):
        key = keys[j]
        V = persistence * b[O_V + j] + innovation * rng.fast_normal(key, rng.FLUCTUATION_A, rng.FLUCTUATION_B, day)
        hit = rng.uniform(key, rng.FLARE, day) < p.flare_rate
        f_new = 1.0 - p.flare_gain * vmath.log(rng.uniform(key, rng.FLARE_SIZE, day))
        flare = f_new if hit else 1.0
        c_act, lv_noci, c_inhib = ((b[O_CACT + j], b[O_LNOCI + j], b[O_CINHIB + j]) if care
                                   else (no_care, b[O_MNOCI + j], no_care))
        act, P, PO, D = observe(key, day, p, b[O_SENS + j], b[O_T + j], b[O_G + j], b[O_C + j], b[O_I + j], b[O_S + j],
                                b[O_K + j], b[O_A + j], b[O_F + j], b[O_E + j], V + b[O_VS + j], flare, b[O_MINOR + j],
                                b[O_MACT + j], c_act, lv_noci, b[O_MINHIB + j], c_inhib)
        PS, run, recovered, n_recur, first, q_first, q_nrec = bookkeeping(
            p, d, day, PO, b[O_PS + j], b[O_RUN + j], b[O_REC + j], b[O_NREC + j], b[O_FIRST + j], b[O_QFIRST + j],
            b[O_QNREC + j])
        sums = (b[O_PAIN + j], b[O_PAIN28 + j], b[O_DIS + j], b[O_DIS28 + j], b[O_HIGH + j], b[O_WORST + j])
        sums, week_max, high = summaries(p, d, ndays, PO, D, sums, b[O_WEEKMAX + j])
        counted = j < nv
        s_pain += np.int64(np.round(PO * FIXED_POINT_SCALE)) if counted else np.int64(0)
        s_dis += np.int64(np.round(D * FIXED_POINT_SCALE)) if counted else np.int64(0)
        s_high += np.int64(high) if counted else np.int64(0)
        s_rec += np.int64(recovered) if counted else np.int64(0)
        b[O_V + j], b[O_ACT + j], b[O_P + j], b[O_PO + j], b[O_D + j] = V, act, P, PO, D
        b[O_PS + j], b[O_RUN + j], b[O_REC + j], b[O_NREC + j], b[O_FIRST + j] = PS, run, recovered, n_recur, first
        b[O_QFIRST + j], b[O_QNREC + j], b[O_WEEKMAX + j] = q_first, q_nrec, week_max
        b[O_PAIN + j], b[O_PAIN28 + j], b[O_DIS + j], b[O_DIS28 + j], b[O_HIGH + j], b[O_WORST + j] = sums
    return s_pain, s_dis, s_high, s_rec


@nb.njit(inline="always", error_model="numpy")
def lanes_loops(b, p, g, care):
    """Phase 6 (:func:`painsim.engine.phases.loops`) for every lane of block ``b``: every
    state toward tomorrow's target, in one vectorised loop over the lanes."""
    no_care = -0.0
    for j in range(LANES):
        if care:
            levers = (b[O_LGUARD + j], b[O_LTHREAT + j], b[O_LFEAR + j], b[O_LSTRESS + j], b[O_LCOND + j],
                      b[O_MSLEEP + j], b[O_CSLEEP + j], b[O_MSE + j], b[O_CSE + j])
        else:
            levers = (b[O_MGUARD + j], b[O_MTHREAT + j], b[O_MFEAR + j], b[O_MSTRESS + j], b[O_MCOND + j],
                      b[O_MSLEEP + j], no_care, b[O_MSE + j], no_care)
        traits_t = (b[O_SLEEPV + j], b[O_STRESSR + j], b[O_CAT + j], b[O_SE0 + j], b[O_SUPPORT0 + j], b[O_WORK0 + j],
                    b[O_MONEY + j], b[O_RESIL + j], b[O_CARE0 + j], b[O_FLOOR + j], b[O_WINDUPK + j], b[O_KNOW0 + j])
        T, G, C, H, I, S, K, A, F, E, X, W, U, Z, N = loops(
            p, g, b[O_P + j], b[O_T + j], b[O_G + j], b[O_C + j], b[O_H + j], b[O_I + j], b[O_S + j], b[O_K + j],
            b[O_A + j], b[O_F + j], b[O_E + j], b[O_X + j], b[O_W + j], b[O_U + j], b[O_Z + j], b[O_N + j],
            b[O_SPELL + j], b[O_ACT + j], traits_t, levers)
        b[O_T + j], b[O_G + j], b[O_C + j], b[O_H + j], b[O_I + j], b[O_S + j], b[O_K + j] = T, G, C, H, I, S, K
        b[O_A + j], b[O_F + j], b[O_E + j], b[O_X + j] = A, F, E, X
        b[O_W + j], b[O_U + j], b[O_Z + j], b[O_N + j] = W, U, Z, N


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
                acc[k, j] = max(acc[k, j], b[O_PO + j])
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


simulate_blocks = _make_blocks(False)
"""The block driver without care (natural history), uncompiled (for inspection)."""
simulate_blocks_with_care = _make_blocks(True)
"""The block driver with the care phases (:mod:`painsim.engine.vcare`), uncompiled."""
_compiled = {False: nb.njit(cache=True, nogil=True, error_model="numpy")(simulate_blocks),
             True: nb.njit(cache=True, nogil=True, error_model="numpy")(simulate_blocks_with_care)}
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


LANE_LOOPS: tuple[str, ...] = ("events", "observe", "loops", "care_levers", "care_relief")
"""The lane loops :func:`lane_loop_asm` shows: the natural day's three, and the two daily care
hooks of :mod:`painsim.engine.vcare` (levers, relief)."""


def lane_loop_asm(name: str) -> str:
    """The assembly of one lane loop (one of :data:`LANE_LOOPS`), compiled afresh as the kernel
    compiles it (numba shows no assembly for cached code): for tests/engine/test_vkernel.py
    and ``python benchmarks/vector_asm.py``, which check that the loops over patients run in
    packed vector instructions."""
    from painsim.engine.kernel import kernel_params
    from painsim.engine.params import ModelParams

    p = kernel_params(ModelParams())
    b = np.full(B_ROWS * LANES, 0.5)
    keys = np.arange(LANES, dtype=np.uint64)
    if name.startswith("care_"):
        fn, args = _care_lane_loop(name, b)
    else:
        fn, args = {"events": (lanes_events, (b, keys, p, 3)),
                    "observe": (lanes_observe, (b, keys, p, 3, 3, 10, LANES, 0.9, 0.1, False)),
                    "loops": (lanes_loops, (b, p, (1.0,) * 5, False))}[name]
    fresh = nb.njit(error_model="numpy")(fn.py_func)
    with wide_vectors():
        fresh.compile(tuple(nb.typeof(a) for a in args))
    return fresh.inspect_asm(fresh.signatures[0])


def _care_lane_loop(name: str, b: np.ndarray):
    """A daily care lane loop and its arguments, for a visit treatment with two impulse effects."""
    from painsim.engine import vcare
    from painsim.engine.program import NEUTRAL_HOOKS, CareProgram, Channel

    visit = Channel("visit", np.array([0, 7], dtype=np.int64), visit=True, exposure="impulse", decay=0.2, dose=1.0,
                    effects=(("nociception", "reduce", 0.3, 1.0), ("inhibition", "add", 0.2, 1.0)))
    program = CareProgram.build((visit,), NEUTRAL_HOOKS)
    _, _, (lever_day, held, _, _, _), (_, hooks, _, _), lanes, _ = vcare.care_block(program.kernel_args(), 10)
    cs, _, _, exposure, _, ended, relief_len = lanes[:7]
    return {"care_levers": (vcare.lanes_levers_held, (b, lever_day[3], held, exposure)),
            "care_relief": (vcare.lanes_relief, (b, 3, hooks, cs, ended, relief_len))}[name]


def _run(with_care: bool, args: tuple) -> None:
    # numba's typeof of these nested tuples costs ~0.9 ms a call in Python, the dispatcher's
    # own typing in C ~0.04 ms: a cheap fingerprint of the arguments tells whether this kind
    # of call has been compiled with wide vectors yet, then the dispatcher picks the code.
    # (Were two kinds of argument to share a fingerprint, the dispatcher would compile the
    # second with LLVM's default vectors: slower, never different results.)
    key = (with_care, _fingerprint(args))
    if key not in _ready:
        with wide_vectors():
            _compiled[with_care].compile(tuple(nb.typeof(a) for a in args))
        _ready.add(key)
    _compiled[with_care](*args)


def _fingerprint(value: Any) -> Any:
    """What decides numba's type of a kernel argument: array dtype, dimensions, layout and
    writeability, tuple structure, scalar class."""
    if isinstance(value, np.ndarray):
        flags = value.flags  # numba's layouts: C if C-contiguous, else F if Fortran-contiguous, else A
        layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
        return value.dtype.str, value.ndim, layout, flags.writeable
    if isinstance(value, tuple):
        kinds = tuple(map(type, value))
        if _SCALARS.issuperset(kinds):  # the model's parameters: 77 floats, in one pass
            return type(value), kinds
        return type(value), tuple(_fingerprint(v) for v in value)
    return type(value)


_SCALARS = frozenset({float, int, bool, np.float64, np.float32, np.int64, np.int32, np.uint64, np.bool_})


def simulate_vector(*args) -> None:
    """The vector kernel without care (:func:`simulate_blocks` compiled), as
    :func:`painsim.engine.kernel.simulate_natural`.

    LLVM's cost model prefers 256-bit vectors (4 float64 lanes) even where AVX-512
    registers hold 8, and one vector in flight per loop iteration; the lane loops run about
    twice as fast with 8 lanes and 4 vectors in flight on an AVX-512 machine
    (docs/performance.md). So the kernel is compiled, once per argument types, with LLVM's
    ``-force-vector-width`` and ``-force-vector-interleave`` set only while numba's compiler
    lock is held (no other function is compiled meanwhile) and reset to their defaults (0:
    the cost model's choice) right after; LLVM's remarks about the loops it leaves scalar
    (the day loop, the block's setup) are dropped. Vector width and interleaving change no
    result: each lane computes the same operations in the same order."""
    _run(False, args)


def simulate_vector_with_care(*args) -> None:
    """The vector kernel with the care phases of :mod:`painsim.engine.vcare`
    (:func:`simulate_blocks_with_care` compiled, as :func:`simulate_vector`), as
    :func:`painsim.engine.kernel.simulate_with_care`: the same results, bit for bit."""
    _run(True, args)
