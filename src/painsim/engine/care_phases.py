"""The care phases of the daily update: schedule, levers, relief, session, decay.

They read a :class:`painsim.engine.program.CareProgram` (channel, effect and kick tables
plus the visit-hook parameters) and never name a treatment. The hook points and their
order within a day are listed in :data:`painsim.engine.levers.HOOK_POINTS`.

A patient's care bookkeeping lives in one float64 row of named slots (``CARE_SLOTS``);
per-channel state (impulse, next session, still attending, done today, sessions done) in
small arrays of the channel count. Both are scratch space of the kernel, reset per patient.
The day loop holds the slots as a tuple of scalars (:func:`load_care`, :func:`store_care`):
the daily hooks (relief, lasting relief) read and return that tuple, and only the session
hooks, on days with a session, go through the row.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from painsim.engine import rng
from painsim.engine.levers import (
    ATT_ADHERENCE,
    ATT_RETURN,
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
    R_COST,
    R_DISAPPOINT,
    R_DROPOUT,
    R_LASTING,
    R_RELIEF,
    R_SESSIONS,
    TIME_BEFORE,
)  # fmt: skip
from painsim.engine.phases import clip01
from painsim.engine.program import (
    CF_ADHERE,
    CF_BOOST,
    CF_COST,
    CF_DOSE,
    CI_ATTEND,
    CI_COUNT,
    CI_EXPOSURE,
    CI_FIRST,
    CI_STREAM,
    CI_TIMING,
    CI_VISIT,
    EF_CAP,
    EF_GAIN,
    EI_CHANNEL,
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
def care_reset(cs, next_s, attending, imp, done):
    """Fresh care bookkeeping for the next patient."""
    cs[:] = 0.0
    cs[CS_TRACK] = -1.0
    cs[CS_DROPOUT] = -1.0
    next_s[:] = 0
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
def kick_states(ch, kick_int, kick_float, act, F, S, E, N, X, G, A, K, H):
    """The state kicks of a session of channel ``ch``, in declaration order.
    Returns ``act, F, S, E, N, X, G, A, K, H``."""
    for k in range(kick_int.shape[0]):
        if kick_int[k, 0] != ch:
            continue
        target, op, g = kick_int[k, 1], kick_int[k, 2], kick_float[k]
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
def next_session_day(prog, next_s):
    """The earliest day of any channel's next scheduled session (a large number if none):
    the schedule hook runs only on that day."""
    sdays, ch_int = prog[0], prog[1]
    first = 1 << 62
    for ch in range(ch_int.shape[0]):
        k = next_s[ch]
        if k < ch_int[ch, CI_COUNT]:
            first = min(first, sdays[ch_int[ch, CI_FIRST] + k])
    return first


@nb.njit(inline="always")
def care_schedule(key, day, d, resources, prog, cs, next_s, attending, today, imp, done,
                  F, S, E, N, X, G, A, K, H):  # fmt: skip
    """Hook 'schedule' (before observation): each channel's session scheduled today goes
    through its attendance model; sessions timed before observation are done now (kicks,
    impulse, cost). Returns ``F, S, E, N, X, G, A, K, H`` and whether a session timed
    after observation is due today."""
    sdays, ch_int, ch_float, _, _, kick_int, kick_float, vch, h, _, _, _, _, _ = prog
    due_after = False
    for ch in range(ch_int.shape[0]):
        today[ch] = False
        k = next_s[ch]
        if k >= ch_int[ch, CI_COUNT] or sdays[ch_int[ch, CI_FIRST] + k] != d:
            continue
        next_s[ch] = k + 1
        model = ch_int[ch, CI_ATTEND]
        if model == ATT_RETURN:
            if attending[ch] and k > 0:
                logit = (h.attend_base + h.attend_alliance * (h.alliance - 0.5)
                         + h.attend_relief * cs[CS_LAST_RELIEF] - h.attend_disappointment * cs[CS_LAST_LETDOWN]
                         - h.attend_cost * ch_float[ch, CF_COST] / 100.0 * (1.0 - resources))
                if rng.uniform(key, ch_int[ch, CI_STREAM], day) >= 1.0 / (1.0 + np.exp(-logit)):
                    attending[ch] = False
                    if ch == vch:
                        cs[CS_DROPOUT] = d
            happens = attending[ch]
        elif model == ATT_ADHERENCE:
            happens = (rng.uniform(key, ch_int[ch, CI_STREAM], day) < ch_float[ch, CF_ADHERE]
                       * (ADHERENCE_BASE + ADHERENCE_SELF_EFFICACY * E) * ch_float[ch, CF_BOOST])
        else:
            happens = True
        today[ch] = happens
        due_after |= happens and ch_int[ch, CI_TIMING] != TIME_BEFORE
        if happens and ch_int[ch, CI_TIMING] == TIME_BEFORE:
            done[ch] += 1.0
            cs[CS_COST] += ch_float[ch, CF_COST]
            if ch_int[ch, CI_EXPOSURE] == EXP_IMPULSE:
                imp[ch] += ch_float[ch, CF_DOSE]
            _, F, S, E, N, X, G, A, K, H = kick_states(ch, kick_int, kick_float, 0.0, F, S, E, N, X, G, A, K, H)
    return F, S, E, N, X, G, A, K, H, due_after


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


@nb.njit(inline="always")
def _held(eff_int, eff_float, e, present):
    if present:
        return eff_int[e, EI_CHANNEL], eff_float[e, EF_GAIN], eff_float[e, EF_CAP]
    return np.int64(0), 0.0, 0.0


@nb.njit(inline="always")
def lever_effect(eff_int, eff_float, lo, hi):
    """What the kernel holds of a lever's effects for the whole run: their number and its
    first two effects as scalars ``(channel, signed gain, cap)`` (zeros where there is
    none), read once instead of every day. A lever with more than ``HELD_EFFECTS``
    effects is read from the tables (:func:`care_lever`)."""
    return hi - lo, _held(eff_int, eff_float, lo, hi - lo >= 1), _held(eff_int, eff_float, lo + 1, hi - lo >= 2)


HELD_EFFECTS = 2
"""Effects per lever that the kernel holds as scalars (:func:`lever_effect`)."""


@nb.njit(inline="always")
def care_lever_held(neutral, multiply, held, x1, x2):
    """Hook 'levers', one lever with at most ``HELD_EFFECTS`` effects, from the scalars
    ``held`` (:func:`lever_effect`) and their channels' exposures ``x1``, ``x2``: the same
    number as :func:`care_lever`, without reading the tables every day."""
    n, (_, g1, cap1), (_, g2, cap2) = held
    if n == 0:
        return neutral
    s = g1 * min(cap1, x1)
    c = neutral * (1.0 + s) if multiply else neutral + s
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
def care_sessions(i, d, P, prog, cs, next_s, today, imp, done, session_out, act, F, S, E, N, X, G, A, K, H):
    """Hook 'session' (after observation): sessions done today and timed after observation.
    A visit's dose is scaled by expectation and alliance, the first visit's framing sets
    expectation, alliance raises self-efficacy and a relief episode starts; every session
    is billed, adds its impulse and applies its kicks.
    Returns ``act, F, S, E, N, X, G, A, K, H``."""
    _, ch_int, ch_float, _, _, kick_int, kick_float, _, h, _, _, _, _, _ = prog
    for ch in range(ch_int.shape[0]):
        if not today[ch] or ch_int[ch, CI_TIMING] == TIME_BEFORE:
            continue
        if ch_int[ch, CI_VISIT] == 1:
            if cs[CS_TRACK] >= 0.0:  # a new visit ends (censors) the previous episode
                _end_episode(i, cs, session_out)
            if done[ch] == 0.0:  # the framing of the first visit sets what the client expects
                X = (1.0 - h.framing_weight) * X + h.framing_weight * h.framing_level
            done[ch] += 1.0
            cs[CS_COST] += ch_float[ch, CF_COST]
            imp[ch] += ch_float[ch, CF_DOSE] * (0.5 + X) * (0.5 + h.alliance)
            E += h.alliance_self_efficacy * h.alliance * (1.0 - E)
            tracking = next_s[ch] - 1
            cs[CS_TRACK] = tracking
            cs[CS_TRACK_DAY] = d
            cs[CS_PRE] = P
            cs[CS_THRESH] = max((1.0 - h.relief_relative) * P, P - h.relief_absolute)
            cs[CS_LEN] = 0.0
            cs[CS_ON] = 0.0
            cs[CS_EXPECTED] = h.expected_relief * X
            session_out[tracking, i] = 0.0
        else:
            done[ch] += 1.0
            cs[CS_COST] += ch_float[ch, CF_COST]
            if ch_int[ch, CI_EXPOSURE] == EXP_IMPULSE:
                imp[ch] += ch_float[ch, CF_DOSE]
        act, F, S, E, N, X, G, A, K, H = kick_states(ch, kick_int, kick_float, act, F, S, E, N, X, G, A, K, H)
    return act, F, S, E, N, X, G, A, K, H


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

