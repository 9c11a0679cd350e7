"""The care phases over a block's lanes, for the vector kernel (:mod:`painsim.engine.vkernel`).

The same hook functions as the scalar kernel (:mod:`painsim.engine.care_phases`), called
lane by lane on the block (:mod:`painsim.engine.vblock`), in the scalar kernel's order
within a day, so that each lane computes exactly what the scalar kernel computes for its
patient:

* schedule (:func:`lanes_schedule`, on a day with sessions): attendance, the sessions
  before observation and their kicks; marks the lanes with a session after observation;
* levers (:func:`lanes_levers_held`, :func:`lanes_levers_tables`, every day of a plan with
  lever effects): the care part of each lever from the lane's exposures, times (or plus)
  the patient's modifier, into the rows observation and the loops read;
* relief (:func:`lanes_relief`, every day of a plan with a visit channel), session
  (:func:`lanes_session`, on a day with a session after observation) and lasting relief
  (:func:`lanes_lasting`), after observation;
* decay (:func:`lanes_decay`, end of day) of the impulses.

Observation and the loops do not read what the relief and session hooks write before the
day's bookkeeping and summaries (expectation, self-efficacy, the kicked states), nor do
those hooks read what bookkeeping writes, so the vector kernel runs bookkeeping and the
summaries in observation's lane loop and these hooks after it; the results are the same.

The care bookkeeping is held per lane in flat arrays, row ``k`` of lane ``j`` at
``k * LANES + j`` (as the block, so that the lane loops read contiguous lanes): the slots of
``CARE_SLOTS`` (slots x lanes), and per channel whether the client still attends, whether
today's session happens, the exposure and the sessions done (channels x lanes). The daily hooks (levers, relief,
lasting relief, decay) are loops over the lanes without stores in branches, which LLVM
compiles to vector instructions; the session hooks, on a few days, go lane by lane.
"""

from __future__ import annotations

import numba as nb
import numpy as np

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
    care_finish,
    care_lasting,
    care_lever,
    care_lever_held,
    care_relief,
    care_visit,
    course_level,
    course_levers,
    impulse_effects,
    kick_state,
)  # fmt: skip
from painsim.engine.kernel import NO_SESSION
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
from painsim.engine.vblock import (
    LANES,
    O_A,
    O_ACT,
    O_CACT,
    O_CINHIB,
    O_CSE,
    O_CSLEEP,
    O_DUE,
    O_E,
    O_F,
    O_G,
    O_H,
    O_K,
    O_LCOND,
    O_LFEAR,
    O_LGUARD,
    O_LNOCI,
    O_LSTRESS,
    O_LTHREAT,
    O_MCOND,
    O_MFEAR,
    O_MGUARD,
    O_MNOCI,
    O_MSTRESS,
    O_MTHREAT,
    O_N,
    O_P,
    O_RES,
    O_S,
    O_X,
)  # fmt: skip

if len(CARE_SLOTS) != 15:  # pragma: no cover - _slots and _store_slots list every slot
    raise ImportError("engine.vcare: _slots and _store_slots must list every one of CARE_SLOTS")


@nb.njit(no_cpython_wrapper=True)  # rare: compiled once, called, not inlined
def lanes_care_start(b, cs, attending, exposure, done):
    """Fresh care bookkeeping for a new block; the levers at the patients' modifiers (a plan
    without lever effects never changes them) and the additive care parts at their neutral 0."""
    cs[:] = 0.0
    attending[:] = True
    exposure[:] = 0.0
    done[:] = 0.0
    for j in range(LANES):
        cs[CS_TRACK * LANES + j], cs[CS_DROPOUT * LANES + j] = -1.0, -1.0  # as care_reset
        b[O_LNOCI + j], b[O_LGUARD + j], b[O_LTHREAT + j] = b[O_MNOCI + j], b[O_MGUARD + j], b[O_MTHREAT + j]
        b[O_LFEAR + j], b[O_LSTRESS + j], b[O_LCOND + j] = b[O_MFEAR + j], b[O_MSTRESS + j], b[O_MCOND + j]
        b[O_CINHIB + j], b[O_CSLEEP + j], b[O_CACT + j], b[O_CSE + j] = 0.0, 0.0, 0.0, 0.0
        b[O_DUE + j] = 0.0


@nb.njit(no_cpython_wrapper=True)  # rare: compiled once, called, not inlined
def lanes_care_finish(first_i, nv, cs, done, session_out, care_out, lane_cs, lane_done):
    """End of the run for the block's ``nv`` patients: censor running relief episodes, write
    the care records (:func:`painsim.engine.care_phases.care_finish`, on a copy of each lane's
    slots and sessions done in ``lane_cs`` and ``lane_done``)."""
    for j in range(nv):
        for k in range(lane_cs.shape[0]):
            lane_cs[k] = cs[k * LANES + j]
        for ch in range(lane_done.shape[0]):
            lane_done[ch] = done[ch * LANES + j]
        care_finish(first_i + j, lane_cs, lane_done, session_out, care_out)


@nb.njit(inline="always")
def _kick_lane(b, j, target, op, g, act):
    """One state kick on lane ``j``'s state rows; returns the kicked activity ``act``."""
    act, F, S, E, N, X, G, A, K, H = kick_state(target, op, g, act, b[O_F + j], b[O_S + j], b[O_E + j], b[O_N + j],
                                                b[O_X + j], b[O_G + j], b[O_A + j], b[O_K + j], b[O_H + j])
    b[O_F + j], b[O_S + j], b[O_E + j], b[O_N + j], b[O_X + j] = F, S, E, N, X
    b[O_G + j], b[O_A + j], b[O_K + j], b[O_H + j] = G, A, K, H
    return act


@nb.njit(inline="always")
def _kicks(b, j, ch, kick_int, kick_float, act):
    """Every kick of channel ``ch`` on lane ``j``, in plan order; returns ``act``."""
    for kk in range(kick_int.shape[0]):
        if kick_int[kk, 0] == ch:
            act = _kick_lane(b, j, kick_int[kk, 1], kick_int[kk, 2], kick_float[kk], act)
    return act


@nb.njit(no_cpython_wrapper=True)  # rare: compiled once, called, not inlined
def lanes_schedule(b, keys, d, day, lo, hi, prog_tables, hooks, vch, cs, attending, today, exposure, done):
    """Hook 'schedule' for every lane: calendar rows ``lo:hi`` (today's sessions). Whether
    each happens (attendance), the sessions before observation with their kicks (whose
    activity kick observation overwrites, as in the scalar kernel), and row ``B_DUE``: 1
    where a session after observation happens. Returns whether any lane has one."""
    calendar, ch_int, ch_float, kick_int, kick_float = prog_tables
    any_due = False
    for j in range(LANES):
        due = False
        for row in range(lo, hi):
            ch, k = calendar[row, 1], calendar[row, 2]
            happens, attends = care_attendance(
                keys[j], day, k, ch_int[ch, CI_ATTEND], ch_int[ch, CI_STREAM], ch_float[ch, CF_COST],
                ch_float[ch, CF_ADHERE], ch_float[ch, CF_BOOST], attending[ch * LANES + j], b[O_RES + j], hooks,
                cs[CS_LAST_RELIEF * LANES + j], cs[CS_LAST_LETDOWN * LANES + j], b[O_E + j])
            if attending[ch * LANES + j] and not attends and ch == vch:
                cs[CS_DROPOUT * LANES + j] = d
            attending[ch * LANES + j] = attends
            today[ch * LANES + j] = happens
            before = ch_int[ch, CI_TIMING] == TIME_BEFORE
            due |= happens and not before
            if happens and before:
                done[ch * LANES + j] += 1.0
                cs[CS_COST * LANES + j] += ch_float[ch, CF_COST]
                if ch_int[ch, CI_EXPOSURE] == EXP_IMPULSE:
                    exposure[ch * LANES + j] += ch_float[ch, CF_DOSE]
                _kicks(b, j, ch, kick_int, kick_float, 0.0)
        b[O_DUE + j] = 1.0 if due else 0.0
        any_due |= due
    return any_due


@nb.njit(inline="always")
def _set_levers(b, j, c_noci, c_guard, c_inhib, c_threat, c_fear, c_sleep, c_stress, c_act, c_se, c_cond):
    b[O_LNOCI + j], b[O_LGUARD + j] = b[O_MNOCI + j] * c_noci, b[O_MGUARD + j] * c_guard
    b[O_LTHREAT + j], b[O_LFEAR + j] = b[O_MTHREAT + j] * c_threat, b[O_MFEAR + j] * c_fear
    b[O_LSTRESS + j], b[O_LCOND + j] = b[O_MSTRESS + j] * c_stress, b[O_MCOND + j] * c_cond
    b[O_CINHIB + j], b[O_CSLEEP + j], b[O_CACT + j], b[O_CSE + j] = c_inhib, c_sleep, c_act, c_se


@nb.njit(inline="always")
def _held(start, multiply, held, exposure, j):
    return care_lever_held(start, multiply, held, exposure[held[1][0] * LANES + j], exposure[held[2][0] * LANES + j])


@nb.njit(inline="always")
def lanes_levers_held(b, today_levers, held, exposure):
    """Hook 'levers' for every lane, each lever with at most ``HELD_EFFECTS`` effects: the
    day's patient-independent part ``today_levers`` (a row of ``course_levers``) changed by
    the impulse effects ``held`` (per lever, ``impulse_effects``) at the lane's impulses."""
    for j in range(LANES):
        _set_levers(b, j, _held(today_levers[LV_NOCI], True, held[LV_NOCI], exposure, j),
                    _held(today_levers[LV_GUARD], True, held[LV_GUARD], exposure, j),
                    _held(today_levers[LV_INHIB], False, held[LV_INHIB], exposure, j),
                    _held(today_levers[LV_THREAT], True, held[LV_THREAT], exposure, j),
                    _held(today_levers[LV_FEAR], True, held[LV_FEAR], exposure, j),
                    _held(today_levers[LV_SLEEP], False, held[LV_SLEEP], exposure, j),
                    _held(today_levers[LV_STRESS], True, held[LV_STRESS], exposure, j),
                    _held(today_levers[LV_ACT], False, held[LV_ACT], exposure, j),
                    _held(today_levers[LV_SE], False, held[LV_SE], exposure, j),
                    _held(today_levers[LV_COND], True, held[LV_COND], exposure, j))


@nb.njit(no_cpython_wrapper=True)  # rare: compiled once, called, not inlined
def lanes_levers_tables(b, d, effects, course_ch, course_win, exposure, lane_exposure):
    """Hook 'levers' for a plan with more than ``HELD_EFFECTS`` effects on a lever: each
    course channel's level today, then every lever from the effect tables (``effects`` =
    ``(eff_int, eff_float, lever_start)``) at the lane's exposures, in plan order
    (:func:`painsim.engine.care_phases.care_lever`)."""
    eff_int, eff_float, ls = effects
    for jj in range(course_ch.shape[0]):
        level = course_level(course_win[jj, 0], course_win[jj, 1], course_win[jj, 2], d)
        for j in range(LANES):
            exposure[course_ch[jj] * LANES + j] = level
    for j in range(LANES):
        for ch in range(lane_exposure.shape[0]):
            lane_exposure[ch] = exposure[ch * LANES + j]
        x = lane_exposure
        _set_levers(b, j, care_lever(1.0, True, ls[LV_NOCI], ls[LV_NOCI + 1], eff_int, eff_float, x),
                    care_lever(1.0, True, ls[LV_GUARD], ls[LV_GUARD + 1], eff_int, eff_float, x),
                    care_lever(0.0, False, ls[LV_INHIB], ls[LV_INHIB + 1], eff_int, eff_float, x),
                    care_lever(1.0, True, ls[LV_THREAT], ls[LV_THREAT + 1], eff_int, eff_float, x),
                    care_lever(1.0, True, ls[LV_FEAR], ls[LV_FEAR + 1], eff_int, eff_float, x),
                    care_lever(0.0, False, ls[LV_SLEEP], ls[LV_SLEEP + 1], eff_int, eff_float, x),
                    care_lever(1.0, True, ls[LV_STRESS], ls[LV_STRESS + 1], eff_int, eff_float, x),
                    care_lever(0.0, False, ls[LV_ACT], ls[LV_ACT + 1], eff_int, eff_float, x),
                    care_lever(0.0, False, ls[LV_SE], ls[LV_SE + 1], eff_int, eff_float, x),
                    care_lever(1.0, True, ls[LV_COND], ls[LV_COND + 1], eff_int, eff_float, x))


@nb.njit(inline="always")
def _slots(cs, j):
    """Lane ``j``'s care slots as a tuple (the order of ``CARE_SLOTS``)."""
    return (cs[j], cs[LANES + j], cs[2 * LANES + j], cs[3 * LANES + j], cs[4 * LANES + j], cs[5 * LANES + j],
            cs[6 * LANES + j], cs[7 * LANES + j], cs[8 * LANES + j], cs[9 * LANES + j], cs[10 * LANES + j],
            cs[11 * LANES + j], cs[12 * LANES + j], cs[13 * LANES + j], cs[14 * LANES + j])


@nb.njit(inline="always")
def _store_slots(cs, j, slots):
    (cs[j], cs[LANES + j], cs[2 * LANES + j], cs[3 * LANES + j], cs[4 * LANES + j], cs[5 * LANES + j],
     cs[6 * LANES + j], cs[7 * LANES + j], cs[8 * LANES + j], cs[9 * LANES + j], cs[10 * LANES + j],
     cs[11 * LANES + j], cs[12 * LANES + j], cs[13 * LANES + j], cs[14 * LANES + j]) = slots


@nb.njit(inline="always")
def lanes_relief(b, d, hooks, cs, ended, relief_len):
    """Hook 'relief' for every lane (:func:`painsim.engine.care_phases.care_relief`); the
    visit whose relief episode ended today (-1: none) and its length go to ``ended`` and
    ``relief_len`` (per lane). Returns whether any episode ended."""
    any_ended = False
    for j in range(LANES):
        E, X, e, n_days, slots = care_relief(d, b[O_P + j], hooks, _slots(cs, j), b[O_E + j], b[O_X + j])
        b[O_E + j], b[O_X + j] = E, X
        _store_slots(cs, j, slots)
        ended[j], relief_len[j] = e, n_days
        any_ended |= e >= 0
    return any_ended


@nb.njit(inline="always")
def lanes_relief_out(first_i, nv, ended, relief_len, session_out):
    """Record the relief episodes that ended today (``lanes_relief``) of the ``nv`` patients."""
    for j in range(nv):
        if ended[j] >= 0:
            session_out[ended[j], first_i + j] = relief_len[j]


@nb.njit(no_cpython_wrapper=True)  # rare: compiled once, called, not inlined
def lanes_session(b, first_i, nv, d, lo, hi, prog_tables, hooks, cs, today, exposure, done, session_out):
    """Hook 'session' for the lanes marked in row ``B_DUE``: today's sessions after
    observation (calendar rows ``lo:hi``), a visit's framing, dose, alliance and relief
    episode (:func:`painsim.engine.care_phases.care_visit`), and their kicks."""
    calendar, ch_int, ch_float, kick_int, kick_float = prog_tables
    for j in range(LANES):
        if b[O_DUE + j] == 0.0:
            continue
        for row in range(lo, hi):
            ch = calendar[row, 1]
            if not today[ch * LANES + j] or ch_int[ch, CI_TIMING] == TIME_BEFORE:
                continue
            if ch_int[ch, CI_VISIT] == 1:
                if cs[CS_TRACK * LANES + j] >= 0.0:  # a new visit ends (censors) the previous episode
                    if j < nv:
                        session_out[int(cs[CS_TRACK * LANES + j]), first_i + j] = cs[CS_LEN * LANES + j]
                    cs[CS_RELIEF_DAYS * LANES + j] += cs[CS_LEN * LANES + j]
                first = done[ch * LANES + j] == 0.0
                X, E, impulse, threshold, expected = care_visit(first, ch_float[ch, CF_DOSE], hooks, b[O_P + j],
                                                                b[O_X + j], b[O_E + j])
                b[O_X + j], b[O_E + j] = X, E
                done[ch * LANES + j] += 1.0
                cs[CS_COST * LANES + j] += ch_float[ch, CF_COST]
                exposure[ch * LANES + j] += impulse
                _start_episode(cs, j, calendar[row, 2], d, b[O_P + j], threshold, expected)
                if j < nv:
                    session_out[calendar[row, 2], first_i + j] = 0.0
            else:
                done[ch * LANES + j] += 1.0
                cs[CS_COST * LANES + j] += ch_float[ch, CF_COST]
                if ch_int[ch, CI_EXPOSURE] == EXP_IMPULSE:
                    exposure[ch * LANES + j] += ch_float[ch, CF_DOSE]
            b[O_ACT + j] = _kicks(b, j, ch, kick_int, kick_float, b[O_ACT + j])


@nb.njit(inline="always")
def _start_episode(cs, j, tracking, d, P, threshold, expected):
    """A visit's relief episode starts: the slots the scalar kernel sets after ``care_visit``."""
    cs[CS_TRACK * LANES + j], cs[CS_TRACK_DAY * LANES + j], cs[CS_PRE * LANES + j] = tracking, d, P
    cs[CS_THRESH * LANES + j], cs[CS_LEN * LANES + j] = threshold, 0.0
    cs[CS_ON * LANES + j], cs[CS_EXPECTED * LANES + j] = 0.0, expected


@nb.njit(inline="always")
def lanes_lasting(b, d, hooks, cs, recovered_row):
    """Bookkeeping of lasting relief for every lane (:func:`painsim.engine.care_phases.care_lasting`),
    from the day's recovered flags (the block's row at offset ``recovered_row``)."""
    for j in range(LANES):
        _store_slots(cs, j, care_lasting(d, hooks, _slots(cs, j), b[recovered_row + j]))


@nb.njit(inline="always")
def lanes_decay(imp_ch, imp_keep, exposure):
    """Hook 'decay' for every lane: each impulse channel's impulse times its keep (1 - decay)."""
    for jj in range(imp_ch.shape[0]):
        ch, keep = imp_ch[jj], imp_keep[jj]
        for j in range(LANES):
            exposure[ch * LANES + j] = exposure[ch * LANES + j] * keep


@nb.njit
def care_block(prog, ndays):
    """What the vector kernel holds of a care program for a run of ``ndays`` days
    (``CareProgram.kernel_args()``): the tables, the parts of the levers that are the same for
    every patient, and the block's care bookkeeping (reset by :func:`care_start`)."""
    (_, ch_int, ch_float, eff_int, eff_float, kick_int, kick_float, vch, hooks, imp_ch, imp_keep, ls,
     course_ch, course_win, calendar) = prog
    n_ch = ch_int.shape[0]
    held_only = True
    for lever in range(ls.shape[0] - 1):
        held_only &= ls[lever + 1] - ls[lever] <= HELD_EFFECTS
    lever_day = course_levers(ndays if held_only else 0, eff_int, eff_float, ls, LEVER_MULTIPLY)
    held = (impulse_effects(eff_int, eff_float, ls[LV_NOCI], ls[LV_NOCI + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_GUARD], ls[LV_GUARD + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_INHIB], ls[LV_INHIB + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_THREAT], ls[LV_THREAT + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_FEAR], ls[LV_FEAR + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_SLEEP], ls[LV_SLEEP + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_STRESS], ls[LV_STRESS + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_ACT], ls[LV_ACT + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_SE], ls[LV_SE + 1]),
            impulse_effects(eff_int, eff_float, ls[LV_COND], ls[LV_COND + 1]))
    flags = (eff_int.shape[0] > 0, vch >= 0, imp_ch.shape[0] > 0, held_only)
    tables = (calendar, ch_int, ch_float, kick_int, kick_float)
    levers = (lever_day, held, (eff_int, eff_float, ls), course_ch, course_win)
    lanes = (np.zeros(len(CARE_SLOTS) * LANES), np.ones(n_ch * LANES, dtype=np.bool_),
             np.zeros(n_ch * LANES, dtype=np.bool_), np.zeros(n_ch * LANES), np.zeros(n_ch * LANES),
             np.full(LANES, -1, dtype=np.int64), np.zeros(LANES), np.zeros(n_ch), np.zeros(len(CARE_SLOTS)),
             np.zeros(n_ch))
    walk = np.zeros(4, dtype=np.int64)  # calendar row, next session day, today's first row, a session due
    return flags, tables, levers, (vch, hooks, imp_ch, imp_keep), lanes, walk


@nb.njit(inline="always")
def care_start(care, b):
    """A new block: fresh bookkeeping, the calendar walked from its first row."""
    _, tables, _, _, (cs, attending, _, exposure, done, _, _, _, _, _), walk = care
    calendar = tables[0]
    lanes_care_start(b, cs, attending, exposure, done)
    walk[0], walk[2], walk[3] = 0, 0, 0
    walk[1] = calendar[0, 0] if calendar.shape[0] > 0 else NO_SESSION


@nb.njit(inline="always")
def care_before_observation(care, b, keys, d, day):
    """Hooks 'schedule' (on a day with sessions) and 'levers' (a plan with lever effects)."""
    (has_effects, _, _, held_only), tables, levers, (vch, hooks, _, _), lanes, walk = care
    cs, attending, today, exposure, done, _, _, lane_exposure, _, _ = lanes
    walk[3] = 0
    if d == walk[1]:
        calendar = tables[0]
        lo = walk[0]
        hi = lo
        while hi < calendar.shape[0] and calendar[hi, 0] == d:
            hi += 1
        due = lanes_schedule(b, keys, d, day, lo, hi, tables, hooks, vch, cs, attending, today, exposure, done)
        walk[0], walk[2], walk[3] = hi, lo, 1 if due else 0
        walk[1] = calendar[hi, 0] if hi < calendar.shape[0] else NO_SESSION
    if has_effects:
        lever_day, held, effects, course_ch, course_win = levers
        if held_only:
            lanes_levers_held(b, lever_day[d], held, exposure)
        else:
            lanes_levers_tables(b, d, effects, course_ch, course_win, exposure, lane_exposure)


@nb.njit(inline="always")
def care_after_observation(care, b, first_i, nv, d, session_out, recovered_row):
    """Hooks 'relief' (a plan with a visit channel) and 'session' (a session due after
    observation today), and the bookkeeping of lasting relief."""
    (_, has_visit, _, _), tables, _, (_, hooks, _, _), lanes, walk = care
    cs, _, today, exposure, done, ended, relief_len, _, _, _ = lanes
    if has_visit and lanes_relief(b, d, hooks, cs, ended, relief_len):
        lanes_relief_out(first_i, nv, ended, relief_len, session_out)
    if walk[3] == 1:
        lanes_session(b, first_i, nv, d, walk[2], walk[0], tables, hooks, cs, today, exposure, done, session_out)
    lanes_lasting(b, d, hooks, cs, recovered_row)


@nb.njit(inline="always")
def care_end_of_day(care):
    """Hook 'decay': the impulses of a plan with impulse channels decay."""
    (_, _, has_impulse, _), _, _, (_, _, imp_ch, imp_keep), lanes, _ = care
    if has_impulse:
        lanes_decay(imp_ch, imp_keep, lanes[3])


@nb.njit(inline="always")
def care_end(care, first_i, nv, session_out, care_out):
    """End of the run for the block: :func:`lanes_care_finish`."""
    lanes = care[4]
    lanes_care_finish(first_i, nv, lanes[0], lanes[4], session_out, care_out, lanes[8], lanes[9])
