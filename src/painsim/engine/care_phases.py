"""The care phases of the daily update: schedule, levers, relief, session, decay.

They read a :class:`painsim.engine.program.CareProgram` (channel, effect and kick tables,
the calendar of sessions, the visit-hook parameters) and never name a treatment. The hook
points and their order within a day are listed in :data:`painsim.engine.levers.HOOK_POINTS`.

A patient's care bookkeeping lives in one float64 row of named slots (``CARE_SLOTS``);
per-channel state (impulse, still attending, done today, sessions done) in small arrays of
the channel count. Both are scratch space of the kernel, reset per patient. The day loop
holds the slots as a tuple of scalars (:func:`load_care`, :func:`store_care`): the daily
hooks (relief, lasting relief) read and return that tuple, and only the session hooks, on
days with a session, go through the row.

Speed rules (measured in docs/performance.md): the session hooks (:func:`care_attendance`,
:func:`care_visit`, :func:`kick_state`) take scalars and the kernel loops over the day's
rows of the calendar itself, because an array handed to an inlined phase that has branches
costs a pair of atomic reference counts and a spill of every register, on every session
day; the part of the levers that is the same for all patients is computed once per run
(:func:`course_levers`), the patient's impulse effects on top of it every day
(:func:`care_lever_held`).
"""
from __future__ import annotations

import numba as nb
import numpy as np

from painsim.engine import rng
from painsim.engine.levers import (
    ATT_ADHERENCE,
    ATT_RETURN,
    EXP_COURSE,
    EXP_IMPULSE,
    K_ACT,
    K_COND,
    K_EXPECT,
    K_FEAR,
    K_GUARD,
    K_KNOW,
    K_SE,
    K_SLEEP,
    K_STRESS,
    K_THREAT,
    KOP_SCALE_DOWN,
    KOP_TOWARD_ONE,
    LEVERS,
    R_COST,
    R_DISAPPOINT,
    R_DROPOUT,
    R_LASTING,
    R_RELIEF,
    R_SESSIONS,
)  # fmt: skip
from painsim.engine.phases import clip01
from painsim.engine.program import (
    EF_CAP,
    EF_END,
    EF_GAIN,
    EF_RETAIN,
    EF_START,
    EI_CHANNEL,
    EI_EXPOSURE,
)  # fmt: skip

CARE_SLOTS: tuple[str, ...] = (
    "tracking", "track_day", "pre_pain", "relief_threshold", "relief_len", "relief_on", "expected",
    "last_relief", "last_disappointment", "disappointment", "relief_days", "cost", "dropout_day",
    "run_after_course", "best_run_after_course",
)  # fmt: skip
(CS_TRACK, CS_TRACK_DAY, CS_PRE, CS_THRESH, CS_LEN, CS_ON, CS_EXPECTED, CS_LAST_RELIEF, CS_LAST_LETDOWN,
 CS_DISAPPOINT, CS_RELIEF_DAYS, CS_COST, CS_DROPOUT, CS_RUN, CS_BEST_RUN) = range(len(CARE_SLOTS))
# Adherence rises with self-efficacy: probability = adherence x (0.6 + 0.8 E) x boost.
ADHERENCE_BASE = 0.6
ADHERENCE_SELF_EFFICACY = 0.8


@nb.njit(inline="always")
def care_reset(cs, attending, imp, done):
    """Fresh care bookkeeping for the next patient."""
    cs[:] = 0.0
    cs[CS_TRACK] = -1.0
    cs[CS_DROPOUT] = -1.0
    attending[:] = True
    imp[:] = 0.0
    done[:] = 0.0


@nb.njit(inline="always")
def load_care(cs):
    """The care slots ``cs`` as a tuple of scalars (order of ``CARE_SLOTS``), for the day loop
    to keep in registers; :func:`store_care` writes them back."""
    return (cs[CS_TRACK], cs[CS_TRACK_DAY], cs[CS_PRE], cs[CS_THRESH], cs[CS_LEN], cs[CS_ON], cs[CS_EXPECTED],
            cs[CS_LAST_RELIEF], cs[CS_LAST_LETDOWN], cs[CS_DISAPPOINT], cs[CS_RELIEF_DAYS], cs[CS_COST],
            cs[CS_DROPOUT], cs[CS_RUN], cs[CS_BEST_RUN])


@nb.njit(inline="always")
def store_care(cs, slots):
    """Write the care slots held by the day loop back to ``cs`` (see :func:`load_care`)."""
    (cs[CS_TRACK], cs[CS_TRACK_DAY], cs[CS_PRE], cs[CS_THRESH], cs[CS_LEN], cs[CS_ON], cs[CS_EXPECTED],
     cs[CS_LAST_RELIEF], cs[CS_LAST_LETDOWN], cs[CS_DISAPPOINT], cs[CS_RELIEF_DAYS], cs[CS_COST],
     cs[CS_DROPOUT], cs[CS_RUN], cs[CS_BEST_RUN]) = slots


@nb.njit(inline="always")
def _kick(x, op, g):
    if op == KOP_TOWARD_ONE:
        return x + g * (1.0 - x)
    if op == KOP_SCALE_DOWN:
        return x * (1.0 - g)
    return min(1.0, x + g)


@nb.njit(inline="always")
def kick_state(target, op, g, act, F, S, E, N, X, G, A, K, H):
    """One state kick (``target``, ``op``, gain ``g``) of a session.
    Returns ``act, F, S, E, N, X, G, A, K, H``."""
    if target == K_ACT:
        act = _kick(act, op, g)
    elif target == K_FEAR:
        F = _kick(F, op, g)
    elif target == K_SLEEP:
        S = _kick(S, op, g)
    elif target == K_SE:
        E = _kick(E, op, g)
    elif target == K_KNOW:
        N = _kick(N, op, g)
    elif target == K_EXPECT:
        X = _kick(X, op, g)
    elif target == K_GUARD:
        G = _kick(G, op, g)
    elif target == K_THREAT:
        A = _kick(A, op, g)
    elif target == K_COND:
        K = _kick(K, op, g)
    elif target == K_STRESS:
        H = _kick(H, op, g)
    return act, F, S, E, N, X, G, A, K, H


@nb.njit(inline="always")
def care_attendance(key, day, k, model, stream, cost, adherence, boost, attending, resources, h, last_relief,
                    last_letdown, E):  # fmt: skip
    """Hook 'schedule', one channel's session ``k`` scheduled today, from scalars (the
    channel's row and the client's state): whether it happens under the channel's attendance
    model, and whether the client still attends that channel. Returns ``happens, attending``."""
    if model == ATT_RETURN:
        if attending and k > 0:
            logit = (h.attend_base + h.attend_alliance * (h.alliance - 0.5)
                     + h.attend_relief * last_relief - h.attend_disappointment * last_letdown
                     - h.attend_cost * cost / 100.0 * (1.0 - resources))
            if rng.uniform(key, stream, day) >= 1.0 / (1.0 + np.exp(-logit)):
                attending = False
        return attending, attending
    if model == ATT_ADHERENCE:
        happens = rng.uniform(key, stream, day) < adherence * (ADHERENCE_BASE + ADHERENCE_SELF_EFFICACY * E) * boost
        return happens, attending
    return True, attending


@nb.njit(inline="always")
def care_visit(first, dose, h, P, X, E):
    """Hook 'session', a visit done today, from scalars: the first visit's framing sets
    expectation, the dose is scaled by expectation and alliance, alliance raises
    self-efficacy, and a relief episode starts from today's pain. Returns ``X, E``, the
    impulse the visit adds, the episode's relief threshold and the relief expected."""
    if first:  # the framing of the first visit sets what the client expects
        X = (1.0 - h.framing_weight) * X + h.framing_weight * h.framing_level
    impulse = dose * (0.5 + X) * (0.5 + h.alliance)
    E += h.alliance_self_efficacy * h.alliance * (1.0 - E)
    threshold = max((1.0 - h.relief_relative) * P, P - h.relief_absolute)
    return X, E, impulse, threshold, h.expected_relief * X


@nb.njit(inline="always")
def course_level(start, end, retention, d):
    """A course channel's exposure on day ``d``: 0 before the course, 1 while it runs,
    ``retention`` after it."""
    if d < start:
        return 0.0
    return 1.0 if d < end else retention


@nb.njit(inline="always")
def care_lever(neutral, multiply, lo, hi, eff_int, eff_float, exposure):
    """Hook 'levers', one lever: its care part today, from ``neutral`` (1 for a
    multiplicative lever, 0 for an additive one) changed by its effects ``lo:hi`` of the
    effect tables (grouped by lever, plan order within a lever) at their channels' exposure
    (:func:`care_exposures`): a multiplicative lever times 1 + s, an additive one plus s,
    with s = signed gain x min(cap, x) (the gain carries the sign of its operation,
    ``engine.program``). The loop runs inside the kernel's own code: ``multiply`` is a
    constant of the call."""
    c = neutral
    for e in range(lo, hi):
        s = eff_float[e, EF_GAIN] * min(eff_float[e, EF_CAP], exposure[eff_int[e, EI_CHANNEL]])
        c = c * (1.0 + s) if multiply else c + s
    return c


#: Which levers are products (the rest are sums), for the compiled code.
LEVER_MULTIPLY = np.array([lever.kind == "multiply" for lever in LEVERS])
HELD_EFFECTS = 2
"""Effects per lever for which the kernel splits the lever into a part read from a table
per day (:func:`course_levers`) and impulse effects held as scalars (:func:`impulse_effects`);
a lever with more is read from the effect tables every day (:func:`care_lever`)."""


@nb.njit
def course_levers(ndays, eff_int, eff_float, ls, multiply):
    """Hook 'levers', the part that is the same for every patient: for each day ``d`` of the
    run and each lever, its care part from the effects whose exposure does not depend on the
    patient (a course: 0 before, 1 during, its retention after; no exposure: 0), in plan
    order, from the lever's neutral value (1 where ``multiply[lever]``, else 0). Computed once
    per run instead of once per patient and day. With at most ``HELD_EFFECTS`` effects on a
    lever the patient's impulse effects applied afterwards (:func:`care_lever_held`) give the
    same number as plan order, since two factors (or two terms) commute exactly."""
    n_levers = ls.shape[0] - 1
    table = np.empty((ndays, n_levers))
    for d in range(ndays):
        for lever in range(n_levers):
            c = 1.0 if multiply[lever] else 0.0
            for e in range(ls[lever], ls[lever + 1]):
                kind = eff_int[e, EI_EXPOSURE]
                if kind == EXP_IMPULSE:
                    continue
                x = 0.0
                if kind == EXP_COURSE:
                    x = course_level(eff_float[e, EF_START], eff_float[e, EF_END], eff_float[e, EF_RETAIN], d)
                s = eff_float[e, EF_GAIN] * min(eff_float[e, EF_CAP], x)
                c = c * (1.0 + s) if multiply[lever] else c + s
            table[d, lever] = c
    return table


@nb.njit(inline="always")
def impulse_effects(eff_int, eff_float, lo, hi):
    """What the kernel holds of a lever's impulse effects (effects ``lo:hi``, at most
    ``HELD_EFFECTS``) for the whole run: their number and the first two as scalars
    ``(channel, signed gain, cap)``, zeros where there is none, in plan order."""
    n = 0
    ch1, g1, cap1, ch2, g2, cap2 = np.int64(0), 0.0, 0.0, np.int64(0), 0.0, 0.0
    for e in range(lo, hi):
        if eff_int[e, EI_EXPOSURE] != EXP_IMPULSE:
            continue
        if n == 0:
            ch1, g1, cap1 = eff_int[e, EI_CHANNEL], eff_float[e, EF_GAIN], eff_float[e, EF_CAP]
        else:
            ch2, g2, cap2 = eff_int[e, EI_CHANNEL], eff_float[e, EF_GAIN], eff_float[e, EF_CAP]
        n += 1
    return n, (ch1, g1, cap1), (ch2, g2, cap2)


@nb.njit(inline="always")
def care_lever_held(start, multiply, held, x1, x2):
    """Hook 'levers', one lever with at most ``HELD_EFFECTS`` effects: its patient-independent
    part today ``start`` (:func:`course_levers`) changed by its impulse effects ``held``
    (:func:`impulse_effects`) at their channels' impulses ``x1``, ``x2``: the same number as
    :func:`care_lever`, without reading the tables every day."""
    n, (_, g1, cap1), (_, g2, cap2) = held
    if n == 0:
        return start
    s = g1 * min(cap1, x1)
    c = start * (1.0 + s) if multiply else start + s
    if n == 2:
        s = g2 * min(cap2, x2)
        c = c * (1.0 + s) if multiply else c + s
    return c


@nb.njit(inline="always")
def care_relief(d, P, h, slots, E, X):
    """Hook 'relief' (after observation): follow the relief episode of the last visit. The
    day after a visit, relief below expectation disappoints (self-efficacy falls) and
    expectation learns from the felt relief. ``slots`` are the care slots held by the day
    loop (:func:`load_care`). Returns ``E, X``, the visit whose episode ended today (-1:
    none) with its length in days, for the kernel to record, and the slots."""
    (track, track_day, pre_pain, threshold, relief_len, relief_on, expected, last_relief, last_letdown,
     disappointment, relief_days, cost, dropout, run, best) = slots
    ended = -1
    if track >= 0.0 and d > track_day:
        if d == track_day + 1:
            felt = min(1.0, max(0.0, (pre_pain - P) / max(pre_pain, 1e-6)))
            letdown = max(0.0, expected - felt)
            disappointment += letdown
            last_relief = felt
            last_letdown = letdown
            E = max(0.0, E - h.disappointment_self_efficacy * letdown)
            X = clip01(X + h.expectation_learning * (felt / max(h.expected_relief, 1e-6) - X))
        if threshold >= P:
            if relief_on > 0.0 or d - track_day <= h.relief_window:
                relief_on = 1.0
                relief_len += 1.0
        elif relief_on > 0.0 or d - track_day >= h.relief_window:
            ended = np.int64(track)
            relief_days += relief_len
            track = -1.0
    slots = (track, track_day, pre_pain, threshold, relief_len, relief_on, expected, last_relief, last_letdown,
             disappointment, relief_days, cost, dropout, run, best)
    return E, X, ended, relief_len, slots


@nb.njit(inline="always")
def _end_episode(i, cs, session_out):
    session_out[np.int64(cs[CS_TRACK]), i] = cs[CS_LEN]
    cs[CS_RELIEF_DAYS] += cs[CS_LEN]
    cs[CS_TRACK] = -1.0


@nb.njit(inline="always")
def care_lasting(d, h, slots, recovered):
    """Bookkeeping of lasting relief: the recovered run after the last scheduled visit.
    Returns the care slots (see :func:`load_care`)."""
    (track, track_day, pre_pain, threshold, relief_len, relief_on, expected, last_relief, last_letdown,
     disappointment, relief_days, cost, dropout, run, best) = slots
    if h.course_end >= 0.0 and d > h.course_end:
        run = run + 1.0 if recovered == 1.0 else 0.0
        best = max(best, run)
    return (track, track_day, pre_pain, threshold, relief_len, relief_on, expected, last_relief, last_letdown,
            disappointment, relief_days, cost, dropout, run, best)


@nb.njit(inline="always")
def care_decay(keep, impulse):
    """Hook 'decay' (end of day): an impulse decays by its channel's rate (``keep`` = 1 -
    decay, from ``CareProgram.impulse_keep``)."""
    return impulse * keep


@nb.njit(inline="always")
def care_finish(i, cs, done, session_out, care_out):
    """End of the run: censor a running relief episode, write the care records."""
    if cs[CS_TRACK] >= 0.0:  # an episode still running at the horizon is censored there
        _end_episode(i, cs, session_out)
    if care_out.shape[0] > 0:
        care_out[R_COST, i] = cs[CS_COST]
        care_out[R_DISAPPOINT, i] = cs[CS_DISAPPOINT]
        care_out[R_DROPOUT, i] = cs[CS_DROPOUT]
        care_out[R_LASTING, i] = cs[CS_BEST_RUN]
        care_out[R_RELIEF, i] = cs[CS_RELIEF_DAYS]
        for ch in range(done.shape[0]):
            care_out[R_SESSIONS + ch, i] = done[ch]

