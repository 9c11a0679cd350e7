"""The scalar kernel of painsim before issue 17 (libm exp/log/cos), kept as the speed baseline.

A copy of ``src/painsim/engine/kernel.py`` at commit 656f9a0, with its phases
(``benchmarks/scalar_phases.py``, a copy of ``engine/phases.py`` there): patients outer, days
inner, the state in registers, numpy's (libm's) ``exp``, ``log`` and ``cos``.
``benchmarks/bench_vector.py`` times the vector kernel against it in the same run and
compares their outcomes (the vector math differs from libm in the last bits). Not part of
painsim. Its original docstring follows.

The daily update: one compiled kernel over the struct of arrays, in named phases.

For each patient the kernel loads the state into registers, steps it through ``ndays``
days and writes it back; there is no Python object per patient and no Python loop over
patients or days. A day runs these phases (each an inlined function with a docstring in
:mod:`painsim.engine.phases` and :mod:`painsim.engine.care_phases`):

1. ``shocks``: re-injury, stress events, bad-sleep spells, good/bad days, short flares;
2. care ``schedule`` and ``levers``: which of the day's sessions in the program's calendar
   happen (``care_attendance``; those timed before observation are done now), and the
   levers of the day (``care_lever_held`` on the run's ``course_levers`` table);
3. ``observe``: activity, nociception, pain, reported pain, disability;
4. care ``relief`` and ``session``: relief tracking, visits (``care_visit``), session kicks
   (``kick_state``);
5. ``bookkeeping``, ``summaries``, ``tally`` and ``record``: outcome definitions and recordings;
6. ``loops``: every state variable moves toward its target for tomorrow; then care ``decay``.

The kernel knows levers and hook points (``engine.levers``), never a treatment. It reads
the care tables itself, loops over the day's calendar rows and hands the phases scalars
(see the speed rules in :mod:`painsim.engine.phases` and :mod:`painsim.engine.care_phases`).
Every equation is written out, with its rationale, in docs/model.md.
"""

from __future__ import annotations

import contextlib
from collections import namedtuple

import numba as nb
import numpy as np

from painsim.engine import rng
from painsim.engine.care_phases import (
    CARE_SLOTS,
    CS_COST,
    CS_DROPOUT,
    CS_EXPECTED,
    CS_LAST_LETDOWN,
    CS_LAST_RELIEF,
    CS_LEN,
    CS_ON,
    CS_PRE,
    CS_RELIEF_DAYS,
    CS_THRESH,
    CS_TRACK,
    CS_TRACK_DAY,
    HELD_EFFECTS,
    LEVER_MULTIPLY,
    care_attendance,
    care_decay,
    care_finish,
    care_lasting,
    care_lever,
    care_lever_held,
    care_relief,
    care_reset,
    care_visit,
    course_level,
    course_levers,
    impulse_effects,
    kick_state,
    load_care,
    store_care,
)
from painsim.engine.levers import (
    EXP_IMPULSE,
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
    TIME_BEFORE,
)  # fmt: skip
from painsim.engine.loops import L_FEAR, L_GUARD, L_SLEEP, L_STRAIN, L_WINDUP
from painsim.engine.params import PARAM_NAMES, ModelParams
from painsim.engine.program import (
    CF_ADHERE,
    CF_BOOST,
    CF_COST,
    CF_DOSE,
    CI_ATTEND,
    CI_EXPOSURE,
    CI_STREAM,
    CI_TIMING,
    CI_VISIT,
)  # fmt: skip
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
    S_VS,
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
from scalar_phases import (
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

KernelParams = namedtuple("KernelParams", PARAM_NAMES)  # type: ignore[misc]
NO_SESSION = 1 << 62  # "no session scheduled" for the next session day


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
        (_, ch_int, ch_float, eff_int, eff_float, kick_int, kick_float, vch, hooks, imp_ch, imp_keep, ls,
         course_ch, course_win, calendar) = prog
        n_cal = calendar.shape[0]
        n_kicks = kick_int.shape[0]
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
        # Each lever's impulse effects as scalars for the whole run (the common case: none to
        # two), and the part of every lever that is the same for all patients, per day.
        h_noci = impulse_effects(eff_int, eff_float, ls[LV_NOCI], ls[LV_NOCI + 1])
        h_guard = impulse_effects(eff_int, eff_float, ls[LV_GUARD], ls[LV_GUARD + 1])
        h_inhib = impulse_effects(eff_int, eff_float, ls[LV_INHIB], ls[LV_INHIB + 1])
        h_threat = impulse_effects(eff_int, eff_float, ls[LV_THREAT], ls[LV_THREAT + 1])
        h_fear = impulse_effects(eff_int, eff_float, ls[LV_FEAR], ls[LV_FEAR + 1])
        h_sleep = impulse_effects(eff_int, eff_float, ls[LV_SLEEP], ls[LV_SLEEP + 1])
        h_stress = impulse_effects(eff_int, eff_float, ls[LV_STRESS], ls[LV_STRESS + 1])
        h_act = impulse_effects(eff_int, eff_float, ls[LV_ACT], ls[LV_ACT + 1])
        h_se = impulse_effects(eff_int, eff_float, ls[LV_SE], ls[LV_SE + 1])
        h_cond = impulse_effects(eff_int, eff_float, ls[LV_COND], ls[LV_COND + 1])
        held_only = True
        for lever in range(ls.shape[0] - 1):
            held_only &= ls[lever + 1] - ls[lever] <= HELD_EFFECTS
        lever_day = course_levers(ndays if with_care and held_only else 0, eff_int, eff_float, ls, LEVER_MULTIPLY)
        cs = np.zeros(len(CARE_SLOTS))
        attending = np.ones(n_ch, dtype=np.bool_)
        today = np.zeros(n_ch, dtype=np.bool_)
        # Each channel's exposure of the day: an impulse channel's impulse (kept by the session
        # and decay hooks); a course channel's level is in ``lever_day``, or is set here by the
        # levers hook for a plan with more than HELD_EFFECTS effects on a lever; 0 without one.
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
            spell, V, VS = np.float64(state[S_SPELL, i]), np.float64(state[S_V, i]), np.float64(state[S_VS, i])
            P, PO, D = np.float64(state[S_P, i]), np.float64(state[S_PO, i]), np.float64(state[S_D, i])
            act, PS, run = np.float64(state[S_ACT, i]), np.float64(state[S_PS, i]), np.float64(state[S_RUN, i])
            recovered, n_recur = np.float64(state[S_REC, i]), np.float64(state[S_NREC, i])
            first = np.float64(state[S_FIRST, i])
            slot = rec[2][i]
            week_max = 0.0
            sums, q_first, q_nrec = load_summaries(summ, i)
            care_reset(cs, attending, exposure, done)
            slots = load_care(cs)
            # The schedule hook runs only on the next day with a session (row ``cal`` of the calendar).
            cal = 0
            next_care = calendar[0, 0] if n_cal > 0 else NO_SESSION
            today_lo = 0
            # Levers: the patient's modifiers, times (or plus) the care part of the day, which
            # only a plan with lever effects changes.
            lv_noci, lv_guard, lv_threat, lv_fear = np.float64(m_noci), np.float64(m_guard), np.float64(m_threat), \
                np.float64(m_fear)
            lv_stress, lv_cond = np.float64(m_stress), np.float64(m_cond)
            c_inhib, c_sleep, c_act, c_se = no_care, no_care, no_care, no_care
            persistence = np.exp(-1.0 / p.fluctuation_days)
            innovation = p.fluctuation_sd * np.sqrt(1.0 - persistence * persistence)
            slow_persistence = np.exp(-1.0 / p.slow_fluctuation_days)
            slow_innovation = p.slow_fluctuation_sd * np.sqrt(1.0 - slow_persistence * slow_persistence)

            for d in range(ndays):
                day = day0 + d
                T, Z, spell, V, VS, flare, minor = shocks(key, day, p, T, Z, spell, V, VS, persistence, innovation,
                                                          slow_persistence, slow_innovation, reinjury_p)
                due_after = False
                if with_care:
                    if d == next_care:
                        # Hook 'schedule': the kernel walks today's rows of the calendar and
                        # hands the hook functions scalars (an array handed to an inlined phase
                        # costs reference counts on every session day).
                        store_care(cs, slots)
                        today_lo = cal
                        while cal < n_cal and calendar[cal, 0] == d:
                            ch, k = calendar[cal, 1], calendar[cal, 2]
                            cal += 1
                            happens, attends = care_attendance(
                                key, day, k, ch_int[ch, CI_ATTEND], ch_int[ch, CI_STREAM], ch_float[ch, CF_COST],
                                ch_float[ch, CF_ADHERE], ch_float[ch, CF_BOOST], attending[ch], resources, hooks,
                                cs[CS_LAST_RELIEF], cs[CS_LAST_LETDOWN], E)
                            if attending[ch] and not attends and ch == vch:
                                cs[CS_DROPOUT] = d
                            attending[ch] = attends
                            today[ch] = happens
                            before = ch_int[ch, CI_TIMING] == TIME_BEFORE
                            due_after |= happens and not before
                            if happens and before:
                                done[ch] += 1.0
                                cs[CS_COST] += ch_float[ch, CF_COST]
                                if ch_int[ch, CI_EXPOSURE] == EXP_IMPULSE:
                                    exposure[ch] += ch_float[ch, CF_DOSE]
                                for kk in range(n_kicks):
                                    if kick_int[kk, 0] == ch:
                                        _, F, S, E, N, X, G, A, K, H = kick_state(
                                            kick_int[kk, 1], kick_int[kk, 2], kick_float[kk], 0.0, F, S, E, N, X,
                                            G, A, K, H)
                        next_care = calendar[cal, 0] if cal < n_cal else NO_SESSION
                        slots = load_care(cs)
                    if has_effects:
                        if held_only:
                            c_noci = care_lever_held(lever_day[d, LV_NOCI], True, h_noci, exposure[h_noci[1][0]],
                                                     exposure[h_noci[2][0]])
                            c_guard = care_lever_held(lever_day[d, LV_GUARD], True, h_guard, exposure[h_guard[1][0]],
                                                      exposure[h_guard[2][0]])
                            c_inhib = care_lever_held(lever_day[d, LV_INHIB], False, h_inhib,
                                                      exposure[h_inhib[1][0]], exposure[h_inhib[2][0]])
                            c_threat = care_lever_held(lever_day[d, LV_THREAT], True, h_threat,
                                                       exposure[h_threat[1][0]], exposure[h_threat[2][0]])
                            c_fear = care_lever_held(lever_day[d, LV_FEAR], True, h_fear, exposure[h_fear[1][0]],
                                                     exposure[h_fear[2][0]])
                            c_sleep = care_lever_held(lever_day[d, LV_SLEEP], False, h_sleep,
                                                      exposure[h_sleep[1][0]], exposure[h_sleep[2][0]])
                            c_stress = care_lever_held(lever_day[d, LV_STRESS], True, h_stress,
                                                       exposure[h_stress[1][0]], exposure[h_stress[2][0]])
                            c_act = care_lever_held(lever_day[d, LV_ACT], False, h_act, exposure[h_act[1][0]],
                                                    exposure[h_act[2][0]])
                            c_se = care_lever_held(lever_day[d, LV_SE], False, h_se, exposure[h_se[1][0]],
                                                   exposure[h_se[2][0]])
                            c_cond = care_lever_held(lever_day[d, LV_COND], True, h_cond, exposure[h_cond[1][0]],
                                                     exposure[h_cond[2][0]])
                        else:
                            for j in range(n_course):
                                exposure[course_ch[j]] = course_level(course_win[j, 0], course_win[j, 1],
                                                                      course_win[j, 2], d)
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
                act, P, PO, D = observe(key, day, p, sens, T, G, C, I, S, K, A, F, E, V + VS, flare, minor, m_act,
                                        c_act, lv_noci, m_inhib, c_inhib)
                if with_care:
                    if has_visit:
                        E, X, ended, relief_len, slots = care_relief(d, P, hooks, slots, E, X)
                        if ended >= 0:
                            session_out[ended, i] = relief_len
                    if due_after:
                        # Hook 'session', as the schedule hook: the kernel loops, the hooks take scalars.
                        store_care(cs, slots)
                        for row in range(today_lo, cal):
                            ch = calendar[row, 1]
                            if not today[ch] or ch_int[ch, CI_TIMING] == TIME_BEFORE:
                                continue
                            if ch_int[ch, CI_VISIT] == 1:
                                if cs[CS_TRACK] >= 0.0:  # a new visit ends (censors) the previous episode
                                    session_out[np.int64(cs[CS_TRACK]), i] = cs[CS_LEN]
                                    cs[CS_RELIEF_DAYS] += cs[CS_LEN]
                                X, E, impulse, threshold, expected = care_visit(done[ch] == 0.0,
                                                                                ch_float[ch, CF_DOSE], hooks, P, X, E)
                                done[ch] += 1.0
                                cs[CS_COST] += ch_float[ch, CF_COST]
                                exposure[ch] += impulse
                                tracking = calendar[row, 2]
                                cs[CS_TRACK], cs[CS_TRACK_DAY], cs[CS_PRE] = tracking, d, P
                                cs[CS_THRESH], cs[CS_LEN], cs[CS_ON], cs[CS_EXPECTED] = threshold, 0.0, 0.0, expected
                                session_out[tracking, i] = 0.0
                            else:
                                done[ch] += 1.0
                                cs[CS_COST] += ch_float[ch, CF_COST]
                                if ch_int[ch, CI_EXPOSURE] == EXP_IMPULSE:
                                    exposure[ch] += ch_float[ch, CF_DOSE]
                            for kk in range(n_kicks):
                                if kick_int[kk, 0] == ch:
                                    act, F, S, E, N, X, G, A, K, H = kick_state(
                                        kick_int[kk, 1], kick_int[kk, 2], kick_float[kk], act, F, S, E, N, X, G, A, K,
                                        H)
                        slots = load_care(cs)
                PS, run, recovered, n_recur, first, q_first, q_nrec = bookkeeping(
                    p, d, day, PO, PS, run, recovered, n_recur, first, q_first, q_nrec)
                if with_care:
                    slots = care_lasting(d, hooks, slots, recovered)
                sums, week_max, high = summaries(p, d, ndays, PO, D, sums, week_max)
                tally(daily, d, PO, D, high, recovered)
                if slot >= 0:
                    _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V, VS,
                           P, PO, D, act, PS, run, recovered, n_recur, first)
                    record(state, i, slot, d, ndays, PO, rec[0], rec[1], rec[3])
                levers = (lv_guard, lv_threat, lv_fear, lv_stress, lv_cond, m_sleep, c_sleep, m_se, c_se)
                T, G, C, H, I, S, K, A, F, E, X, W, U, Z, N = loops(p, gains, P, T, G, C, H, I, S, K, A, F, E, X, W,
                                                                    U, Z, N, spell, act, traits_t, levers)
                if with_care and has_impulse:
                    for j in range(n_imp):
                        ch = imp_ch[j]
                        exposure[ch] = care_decay(imp_keep[j], exposure[ch])

            _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V, VS,
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
def _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V, VS,
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
    state[S_VS, i] = VS
    state[S_P, i] = P
    state[S_PO, i] = PO
    state[S_D, i] = D
    state[S_ACT, i] = act
    state[S_PS, i] = PS
    state[S_RUN, i] = run
    state[S_REC, i] = recovered
    state[S_NREC, i] = n_recur
    state[S_FIRST, i] = first


@contextlib.contextmanager
def libm_engine():
    """While inside, :func:`painsim.simulate` runs this libm kernel (no care and care) instead
    of the engine's kernels: the same patients and random numbers, the math of before issue 17.
    For comparing outcomes (tests/engine/test_vkernel.py, benchmarks/bench_vector.py)."""
    from painsim.engine import cohort

    saved = cohort.simulate_vector, cohort.simulate_vector_with_care
    cohort.simulate_vector, cohort.simulate_vector_with_care = simulate_natural, simulate_with_care
    try:
        yield
    finally:
        cohort.simulate_vector, cohort.simulate_vector_with_care = saved
