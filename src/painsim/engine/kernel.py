"""The daily update: one compiled kernel over the struct of arrays, in named phases.

For each patient the kernel loads the state into registers, steps it through ``ndays``
days and writes it back; there is no Python object per patient and no Python loop over
patients or days. A day runs these phases (each an inlined function with a docstring in
:mod:`painsim.engine.phases` and :mod:`painsim.engine.care_phases`):

1. ``shocks``: re-injury, stress events, bad-sleep spells, good/bad days, short flares;
2. care ``schedule`` and ``levers``: which sessions happen, and the levers of the day;
3. ``observe``: activity, nociception, pain, reported pain, disability;
4. care ``relief`` and ``session``: relief tracking, visits, session kicks;
5. ``bookkeeping``, ``summaries``, ``tally`` and ``record``: outcome definitions and recordings;
6. ``loops``: every state variable moves toward its target for tomorrow; then care ``decay``.

The kernel knows levers and hook points (``engine.levers``), never a treatment. It reads
the care tables itself and hands the daily phases scalars (see the speed rule in
:mod:`painsim.engine.phases`). Every equation is written out, with its rationale, in
docs/model.md.
"""

from __future__ import annotations

from collections import namedtuple

import numba as nb
import numpy as np

from painsim.engine import rng
from painsim.engine.care_phases import (
    CARE_SLOTS,
    HELD_EFFECTS,
    care_decay,
    care_finish,
    care_lasting,
    care_lever,
    care_lever_held,
    care_relief,
    care_reset,
    care_schedule,
    care_sessions,
    course_level,
    lever_effect,
    load_care,
    next_session_day,
    store_care,
)
from painsim.engine.levers import (
    LV_ACT,
    LV_COND,
    LV_FEAR,
    LV_GUARD,
    LV_INHIB,
    LV_NOCI,
    LV_SE,
    LV_SLEEP,
    LV_STRESS,
    LV_THREAT,
)  # fmt: skip
from painsim.engine.loops import L_FEAR, L_GUARD, L_SLEEP, L_STRAIN, L_WINDUP
from painsim.engine.params import PARAM_NAMES, ModelParams
from painsim.engine.phases import (
    OWN_KNOWLEDGE_BASE,
    OWN_KNOWLEDGE_RESOURCES,
    bookkeeping,
    healing_factor,
    load_summaries,
    loops,
    observe,
    record,
    reinjury_probability,
    shocks,
    store_summaries,
    summaries,
    tally,
    trait_factor,
    windup_factor,
)
from painsim.engine.variables import (
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
    S_W,
    S_X,
    S_Z,
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

KernelParams = namedtuple("KernelParams", PARAM_NAMES)  # type: ignore[misc]


def kernel_params(params: ModelParams) -> KernelParams:
    """The parameters as the named tuple of floats the kernel reads."""
    return KernelParams(*params.to_array().tolist())


def _make_kernel(with_care: bool):
    """The kernel, with the care phases compiled in (``with_care``) or out (a constant of
    the closure, so that a run without care pays nothing for them)."""

    def simulate_patients(cohort, p, loop_gain, seed, day0, ndays, start, stop, rec, summ, daily, prog, care_out_t):
        """Advance patients ``start:stop`` of ``cohort`` by ``ndays`` days, in place.

        ``cohort`` = (state, traits, modifiers, ids): ``state`` (float32, variables x patients)
        is updated. ``loop_gain`` is indexed by ``engine.loops.L_*``. ``rec`` = (rec_vars,
        rec_every, rec_slot, rec_out): ``rec_out`` (variables x periods x recorded patients)
        receives period means of ``rec_vars`` for patients whose ``rec_slot`` is >= 0. ``summ``
        (float64, summaries x patients) and ``daily`` (int64 fixed point, days x quantities,
        for this range only) accumulate outcomes. ``prog`` is ``CareProgram.kernel_args()``;
        ``care_out_t`` = (session_out, care_out): relief days after each visit (sessions x
        patients; 0: no relief, -1: not attended) and the care records (``engine.levers``).
        """
        state, traits, mods, ids = cohort
        gains = (loop_gain[L_WINDUP], loop_gain[L_SLEEP], loop_gain[L_FEAR], loop_gain[L_STRAIN], loop_gain[L_GUARD])
        session_out, care_out = care_out_t
        # The tables once, as variables of the kernel: handing the tuple to a phase every day
        # would count references to each of its arrays.
        _, ch_int, _, eff_int, eff_float, _, _, vch, hooks, imp_ch, imp_keep, ls, course_ch, course_win = prog
        n_ch = ch_int.shape[0]
        n_eff = eff_int.shape[0]
        n_imp = imp_ch.shape[0]
        n_course = course_ch.shape[0]
        has_effects = n_eff > 0
        has_visit = vch >= 0
        has_impulse = n_imp > 0
        # Without care the additive levers get -0.0, which the compiler drops (x + -0.0 is x);
        # with care they start from the neutral 0.0 as the care effects do.
        no_care = 0.0 if with_care else -0.0
        # Each lever's effects as scalars for the whole run (the common case: one or two).
        h_noci = lever_effect(eff_int, eff_float, ls[LV_NOCI], ls[LV_NOCI + 1])
        h_guard = lever_effect(eff_int, eff_float, ls[LV_GUARD], ls[LV_GUARD + 1])
        h_inhib = lever_effect(eff_int, eff_float, ls[LV_INHIB], ls[LV_INHIB + 1])
        h_threat = lever_effect(eff_int, eff_float, ls[LV_THREAT], ls[LV_THREAT + 1])
        h_fear = lever_effect(eff_int, eff_float, ls[LV_FEAR], ls[LV_FEAR + 1])
        h_sleep = lever_effect(eff_int, eff_float, ls[LV_SLEEP], ls[LV_SLEEP + 1])
        h_stress = lever_effect(eff_int, eff_float, ls[LV_STRESS], ls[LV_STRESS + 1])
        h_act = lever_effect(eff_int, eff_float, ls[LV_ACT], ls[LV_ACT + 1])
        h_se = lever_effect(eff_int, eff_float, ls[LV_SE], ls[LV_SE + 1])
        h_cond = lever_effect(eff_int, eff_float, ls[LV_COND], ls[LV_COND + 1])
        held_only = True
        for lever in range(ls.shape[0] - 1):
            held_only &= ls[lever + 1] - ls[lever] <= HELD_EFFECTS
        cs = np.zeros(len(CARE_SLOTS))
        next_s = np.zeros(n_ch, dtype=np.int64)
        attending = np.ones(n_ch, dtype=np.bool_)
        today = np.zeros(n_ch, dtype=np.bool_)
        # Each channel's exposure of the day, once for all its effects: an impulse channel's
        # impulse (kept by the session and decay hooks), a course channel's level (set at the
        # levers hook), 0 for a channel without exposure.
        exposure = np.zeros(n_ch)
        done = np.zeros(n_ch)
        for i in range(start, stop):
            key = rng.patient_key(seed, ids[i])
            sens = p.sensitivity_base + p.sensitivity_range * traits[TR_SENS, i]
            traits_t = (trait_factor(traits[TR_SLEEPV, i]), trait_factor(traits[TR_STRESSR, i]),
                        trait_factor(traits[TR_CAT, i]), np.float64(traits[TR_SE, i]),
                        np.float64(traits[TR_SUPPORT, i]), np.float64(traits[TR_WORK, i]),
                        1.5 - traits[TR_RES, i], healing_factor(p, np.float64(traits[TR_HEAL, i])),
                        np.float64(traits[TR_CARE, i]), p.tissue_floor * traits[TR_VULN, i],
                        windup_factor(p, np.float64(traits[TR_SENS, i])),
                        OWN_KNOWLEDGE_BASE + OWN_KNOWLEDGE_RESOURCES * np.float64(traits[TR_RES, i]))
            resources = traits[TR_RES, i]
            reinjury_p = reinjury_probability(p, np.float64(traits[TR_VULN, i]))
            m_noci, m_guard, m_inhib, m_threat = mods[M_NOCI, i], mods[M_GUARD, i], mods[M_INHIB, i], mods[M_THREAT, i]
            m_fear, m_sleep, m_stress, m_act = mods[M_FEAR, i], mods[M_SLEEP, i], mods[M_STRESS, i], mods[M_ACT, i]
            m_se, m_cond = mods[M_SE, i], mods[M_COND, i]

            T, G, C = np.float64(state[S_T, i]), np.float64(state[S_G, i]), np.float64(state[S_C, i])
            H, I, S = np.float64(state[S_H, i]), np.float64(state[S_I, i]), np.float64(state[S_S, i])
            K, A, F = np.float64(state[S_K, i]), np.float64(state[S_A, i]), np.float64(state[S_F, i])
            E, X, N = np.float64(state[S_E, i]), np.float64(state[S_X, i]), np.float64(state[S_N, i])
            W, U, Z = np.float64(state[S_W, i]), np.float64(state[S_U, i]), np.float64(state[S_Z, i])
            spell, V = np.float64(state[S_SPELL, i]), np.float64(state[S_V, i])
            P, PO, D = np.float64(state[S_P, i]), np.float64(state[S_PO, i]), np.float64(state[S_D, i])
            act, PS, run = np.float64(state[S_ACT, i]), np.float64(state[S_PS, i]), np.float64(state[S_RUN, i])
            recovered, n_recur = np.float64(state[S_REC, i]), np.float64(state[S_NREC, i])
            first = np.float64(state[S_FIRST, i])
            slot = rec[2][i]
            week_max = 0.0
            sums, q_first, q_nrec = load_summaries(summ, i)
            care_reset(cs, next_s, attending, exposure, done)
            slots = load_care(cs)
            next_care = next_session_day(prog, next_s)
            # Levers: the patient's modifiers, times (or plus) the care part of the day, which
            # only a plan with lever effects changes.
            lv_noci, lv_guard, lv_threat, lv_fear = np.float64(m_noci), np.float64(m_guard), np.float64(m_threat), \
                np.float64(m_fear)
            lv_stress, lv_cond = np.float64(m_stress), np.float64(m_cond)
            c_inhib, c_sleep, c_act, c_se = no_care, no_care, no_care, no_care
            persistence = np.exp(-1.0 / p.fluctuation_days)
            innovation = p.fluctuation_sd * np.sqrt(1.0 - persistence * persistence)

            for d in range(ndays):
                day = day0 + d
                T, Z, spell, V, flare = shocks(key, day, p, T, Z, spell, V, persistence, innovation, reinjury_p)
                due_after = False
                if with_care:
                    if d == next_care:
                        store_care(cs, slots)
                        F, S, E, N, X, G, A, K, H, due_after = care_schedule(
                            key, day, d, resources, prog, cs, next_s, attending, today, exposure, done, F, S, E, N,
                            X, G, A, K, H)
                        slots = load_care(cs)
                        next_care = next_session_day(prog, next_s)
                    if has_effects:
                        for j in range(n_course):
                            exposure[course_ch[j]] = course_level(course_win[j, 0], course_win[j, 1],
                                                                  course_win[j, 2], d)
                        if held_only:
                            c_noci = care_lever_held(1.0, True, h_noci, exposure[h_noci[1][0]], exposure[h_noci[2][0]])
                            c_guard = care_lever_held(1.0, True, h_guard,
                                                      exposure[h_guard[1][0]], exposure[h_guard[2][0]])
                            c_inhib = care_lever_held(0.0, False, h_inhib,
                                                      exposure[h_inhib[1][0]], exposure[h_inhib[2][0]])
                            c_threat = care_lever_held(1.0, True, h_threat,
                                                       exposure[h_threat[1][0]], exposure[h_threat[2][0]])
                            c_fear = care_lever_held(1.0, True, h_fear, exposure[h_fear[1][0]], exposure[h_fear[2][0]])
                            c_sleep = care_lever_held(0.0, False, h_sleep,
                                                      exposure[h_sleep[1][0]], exposure[h_sleep[2][0]])
                            c_stress = care_lever_held(1.0, True, h_stress,
                                                       exposure[h_stress[1][0]], exposure[h_stress[2][0]])
                            c_act = care_lever_held(0.0, False, h_act, exposure[h_act[1][0]], exposure[h_act[2][0]])
                            c_se = care_lever_held(0.0, False, h_se, exposure[h_se[1][0]], exposure[h_se[2][0]])
                            c_cond = care_lever_held(1.0, True, h_cond, exposure[h_cond[1][0]], exposure[h_cond[2][0]])
                        else:
                            c_noci = care_lever(1.0, True, ls[LV_NOCI], ls[LV_NOCI + 1], eff_int, eff_float, exposure)
                            c_guard = care_lever(1.0, True, ls[LV_GUARD], ls[LV_GUARD + 1], eff_int, eff_float,
                                                 exposure)
                            c_inhib = care_lever(0.0, False, ls[LV_INHIB], ls[LV_INHIB + 1], eff_int, eff_float,
                                                 exposure)
                            c_threat = care_lever(1.0, True, ls[LV_THREAT], ls[LV_THREAT + 1], eff_int, eff_float,
                                                  exposure)
                            c_fear = care_lever(1.0, True, ls[LV_FEAR], ls[LV_FEAR + 1], eff_int, eff_float, exposure)
                            c_sleep = care_lever(0.0, False, ls[LV_SLEEP], ls[LV_SLEEP + 1], eff_int, eff_float,
                                                 exposure)
                            c_stress = care_lever(1.0, True, ls[LV_STRESS], ls[LV_STRESS + 1], eff_int, eff_float,
                                                  exposure)
                            c_act = care_lever(0.0, False, ls[LV_ACT], ls[LV_ACT + 1], eff_int, eff_float, exposure)
                            c_se = care_lever(0.0, False, ls[LV_SE], ls[LV_SE + 1], eff_int, eff_float, exposure)
                            c_cond = care_lever(1.0, True, ls[LV_COND], ls[LV_COND + 1], eff_int, eff_float, exposure)
                        lv_noci, lv_guard, lv_threat, lv_fear = m_noci * c_noci, m_guard * c_guard, \
                            m_threat * c_threat, m_fear * c_fear
                        lv_stress, lv_cond = m_stress * c_stress, m_cond * c_cond
                act, P, PO, D = observe(key, day, p, sens, T, G, C, I, S, K, A, F, E, V, flare, m_act, c_act,
                                        lv_noci, m_inhib, c_inhib)
                if with_care:
                    if has_visit:
                        E, X, ended, relief_len, slots = care_relief(d, P, hooks, slots, E, X)
                        if ended >= 0:
                            session_out[ended, i] = relief_len
                    if due_after:
                        store_care(cs, slots)
                        act, F, S, E, N, X, G, A, K, H = care_sessions(i, d, P, prog, cs, next_s, today, exposure,
                                                                       done, session_out, act, F, S, E, N, X, G, A,
                                                                       K, H)
                        slots = load_care(cs)
                PS, run, recovered, n_recur, first, q_first, q_nrec = bookkeeping(
                    p, d, day, PO, PS, run, recovered, n_recur, first, q_first, q_nrec)
                if with_care:
                    slots = care_lasting(d, hooks, slots, recovered)
                sums, week_max, high = summaries(p, d, ndays, PO, D, sums, week_max)
                tally(daily, d, PO, D, high, recovered)
                if slot >= 0:
                    _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V,
                           P, PO, D, act, PS, run, recovered, n_recur, first)
                    record(state, i, slot, d, ndays, PO, rec[0], rec[1], rec[3])
                levers = (lv_guard, lv_threat, lv_fear, lv_stress, lv_cond, m_sleep, c_sleep, m_se, c_se)
                T, G, C, H, I, S, K, A, F, E, X, W, U, Z, N = loops(p, gains, P, T, G, C, H, I, S, K, A, F, E, X, W,
                                                                    U, Z, N, spell, act, traits_t, levers)
                if with_care and has_impulse:
                    for j in range(n_imp):
                        ch = imp_ch[j]
                        exposure[ch] = care_decay(imp_keep[j], exposure[ch])

            _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V,
                   P, PO, D, act, PS, run, recovered, n_recur, first)
            store_summaries(summ, i, sums, q_first, q_nrec)
            if with_care:
                store_care(cs, slots)
                care_finish(i, cs, done, session_out, care_out)

    return simulate_patients


simulate_natural = nb.njit(cache=True, nogil=True)(_make_kernel(False))
"""The kernel without care (natural history)."""
simulate_with_care = nb.njit(cache=True, nogil=True)(_make_kernel(True))
"""The kernel with the care phases (a plan with at least one treatment)."""


@nb.njit(inline="always")
def _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V,
           P, PO, D, act, PS, run, recovered, n_recur, first):  # fmt: skip
    state[S_T, i] = T
    state[S_G, i] = G
    state[S_C, i] = C
    state[S_H, i] = H
    state[S_I, i] = I
    state[S_S, i] = S
    state[S_K, i] = K
    state[S_A, i] = A
    state[S_F, i] = F
    state[S_E, i] = E
    state[S_X, i] = X
    state[S_N, i] = N
    state[S_W, i] = W
    state[S_U, i] = U
    state[S_Z, i] = Z
    state[S_SPELL, i] = spell
    state[S_V, i] = V
    state[S_P, i] = P
    state[S_PO, i] = PO
    state[S_D, i] = D
    state[S_ACT, i] = act
    state[S_PS, i] = PS
    state[S_RUN, i] = run
    state[S_REC, i] = recovered
    state[S_NREC, i] = n_recur
    state[S_FIRST, i] = first
