"""The phases of the natural daily update, as inlined compiled functions.

Each phase takes the state scalars it reads and returns the ones it changes, so that the
kernel keeps a patient's state in registers. The equations and their sources are in
docs/model.md; the care phases are in :mod:`painsim.engine.care_phases`.

Speed rule: numba inlines a phase by copying its arguments, and a copied array costs a
reference count (an atomic add and an opaque call that spills every register) unless the
array is used on every path through the phase. So the phases that run every day take
scalars, or arrays they use unconditionally (:func:`tally`); the patient's summaries live
in registers for the whole run (:func:`load_summaries`, :func:`store_summaries`).
docs/performance.md has the measurements.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from painsim.engine import rng, vmath
from painsim.engine.variables import (
    D_DIS,
    D_HIGH,
    D_PAIN,
    D_REC,
    FIXED_POINT_SCALE,
    Q_DIS,
    Q_DIS28,
    Q_FIRST,
    Q_HIGH,
    Q_NREC,
    Q_PAIN,
    Q_PAIN28,
    Q_WORST,
    RECORD_WORST_PAIN,
)  # fmt: skip

EXPECTATION_RATE = 0.02
SUPPORT_RATE = 0.01
SMOOTHING_DAYS = 7.0
LAST_DAYS = 28
#: A person's own knowledge about pain before any care: ``0.2 + 0.3 * resources`` (the
#: starting state, docs/model.md); what care adds fades back to it (``knowledge_decay``).
OWN_KNOWLEDGE_BASE = 0.2
OWN_KNOWLEDGE_RESOURCES = 0.3


@nb.njit(inline="always")
def clip01(x):
    """``x`` clipped to [0, 1]."""
    return min(1.0, max(0.0, x))


@nb.njit(inline="always")
def trait_factor(t):
    """A trait on 0-1 scales its process by 0.5-1.5; the median patient (0.5) by 1."""
    return 0.5 + t


@nb.njit(inline="always")
def logit_scaled(t, spread):
    """``exp(spread * logit(t))`` for a trait ``t`` on (0, 1): a factor log-normal between
    patients, 1 at the median trait (healing, re-injury and wind-up use it)."""
    t = min(max(t, 1e-6), 1.0 - 1e-6)  # traits are on (0, 1); extreme inputs stay finite
    return np.exp(spread * np.log(t / (1.0 - t)))


@nb.njit(inline="always")
def healing_factor(p, t):
    """Healing rate factor of a patient with tissue resilience ``t`` (0-1): log-normal
    between patients, ``exp(heal_spread * logit(t))`` (1 at the median), and at least
    ``heal_min``: the slowest episodes take months, not years, to heal."""
    return max(p.heal_min, logit_scaled(t, p.heal_spread))


@nb.njit(inline="always")
def windup_factor(p, sensitivity):
    """Factor on the wind-up drive of a patient with pain sensitivity ``sensitivity`` (0-1):
    ``exp(sensitization_spread * logit(sensitivity))`` (1 at the median). Central
    sensitization is a susceptibility of some people, so only the most sensitive have a
    wind-up strong enough to hold itself up: the bistable minority."""
    return logit_scaled(sensitivity, p.sensitization_spread)


@nb.njit(inline="always")
def reinjury_probability(p, vulnerability):
    """Daily re-injury probability of a patient with tissue vulnerability ``vulnerability``
    (0-1): ``reinjury_rate * exp(reinjury_vulnerability * logit(vulnerability))``, so a
    vulnerable back has both a higher persistent level and more new episodes (the rate is
    ``reinjury_rate`` at vulnerability 0.5)."""
    return min(1.0, p.reinjury_rate * logit_scaled(vulnerability, p.reinjury_vulnerability))


@nb.njit(inline="always")
def shocks(key, day, p, T, Z, spell, V, VS, persistence, innovation, slow_persistence, slow_innovation,
           reinjury_p):  # fmt: skip
    """Phase 1, shocks: re-injury (probability ``reinjury_p``, see
    :func:`reinjury_probability`), stress events, bad-sleep spells, good/bad days and slow
    spells (two AR(1) log-factors, days and weeks to months) and short flares, each from its
    own common-random-number stream. A flare lasts the day
    (most flares last hours: Suri et al. 2011): ``flare`` is the day's factor on the pain drive
    (1 on a day without). A minor strain adds ``minor`` to the day's nociceptive drive (0 on a
    day without): unlike a flare or a bad day it is felt from a pain-free state, so a recovered
    person has brief recurrences (da Silva et al. 2019). Returns ``T, Z, spell, V, VS, flare, minor``."""
    if rng.uniform(key, rng.REINJURY, day) < reinjury_p:
        T = min(1.0, T - p.reinjury_size * vmath.log(rng.uniform(key, rng.REINJURY_SIZE, day)))
    if rng.uniform(key, rng.STRESS_EVENT, day) < p.stress_event_rate:
        Z -= p.stress_event_size * vmath.log(rng.uniform(key, rng.STRESS_SIZE, day))
    if spell > 0.0:
        spell -= 1.0
    elif rng.uniform(key, rng.SLEEP_SPELL, day) < p.sleep_spell_rate:
        spell = np.ceil(-vmath.log(rng.uniform(key, rng.SLEEP_SPELL_LENGTH, day)) * p.sleep_spell_days)
    V = persistence * V + innovation * rng.fast_normal(key, rng.FLUCTUATION_A, rng.FLUCTUATION_B, day)
    if slow_innovation > 0.0:
        VS = slow_persistence * VS + slow_innovation * rng.fast_normal(key, rng.SLOW_FLUCTUATION_A,
                                                                  rng.SLOW_FLUCTUATION_B, day)
    flare = 1.0
    if rng.uniform(key, rng.FLARE, day) < p.flare_rate:
        flare -= p.flare_gain * vmath.log(rng.uniform(key, rng.FLARE_SIZE, day))
    minor = 0.0
    if rng.uniform(key, rng.STRAIN, day) < p.minor_strain_rate:
        minor = -p.minor_strain_size * vmath.log(rng.uniform(key, rng.STRAIN_SIZE, day))
    return T, Z, spell, V, VS, flare, minor


@nb.njit(inline="always")
def observe(key, day, p, sens, T, G, C, I, S, K, A, F, E, V, flare, minor, act_add, act_care, noci_lever,
            inhib_add, inhib_care):  # fmt: skip
    """Phase 3, observation: activity, nociception and pain from the state entering the day,
    the pain that breaks through inhibition scaled by the day's factor ``exp(V)`` (``V``: good/bad
    days and slow spells together) and ``flare`` (so a pain-free day stays pain-free and flares are flares of
    pain; a minor strain's ``minor`` adds to the nociceptive drive, so it is felt even on such
    a day), reported pain with a rating error that shrinks toward pain 0, and disability.
    The ``*_add``/``*_care`` pairs are the patient's modifier and the care part of an
    additive lever; ``noci_lever`` is the whole nociception lever. Returns ``act, P, PO, D``."""
    act = min(1.0, max(0.05, p.activity_base + p.activity_self_efficacy * E - p.activity_fear * F
                       + act_add + act_care))
    decond = 1.0 - K
    noci = noci_lever * (T + minor + p.nociception_guarding * G + p.nociception_inflammation * I
                                     + p.nociception_deconditioning * decond * decond * (0.5 + 0.5 * act))
    gain = sens * (1.0 + p.sensitization_gain * C) * (1.0 + p.threat_facilitation * A)
    inhib = p.inhibition * (0.4 * E + 0.3 * S + 0.3 * (1.0 - A)) + inhib_add + inhib_care
    q = max(0.0, gain * noci - inhib) * vmath.exp(V) * flare
    P = 10.0 * (1.0 - vmath.exp(-q / p.pain_scale))
    noise = rng.fast_normal(key, rng.NOISE_A, rng.NOISE_B, day)
    rating_sd = p.measurement_noise * min(1.0, P / p.measurement_noise_pain)
    PO = min(10.0, max(0.0, P + rating_sd * noise))
    D = 24.0 * clip01(p.disability_pain * P / 10.0 + p.disability_fear * F + p.disability_deconditioning * decond)
    return act, P, PO, D


@nb.njit(inline="always")
def bookkeeping(p, d, day, PO, PS, run, recovered, n_recur, first, q_first, q_nrec):
    """Phase 5, outcome bookkeeping: smoothed pain, recovered spells and recurrences.
    ``q_first`` and ``q_nrec`` are the run's first recovery day and recurrence count
    (summaries, kept in registers: see :func:`load_summaries`).
    Returns ``PS, run, recovered, n_recur, first, q_first, q_nrec``."""
    PS += (PO - PS) / SMOOTHING_DAYS
    if p.recovered_pain >= PS:
        run += 1.0
    else:
        run = 0.0
    if recovered == 0.0 and run >= p.recovered_days:
        recovered = 1.0
        if first < 0.0:
            first = day - p.recovered_days + 1.0
        if q_first < 0.0:
            q_first = d - p.recovered_days + 1.0
    elif recovered == 1.0 and p.recurrence_pain <= PS:
        recovered = 0.0
        n_recur += 1.0
        q_nrec += 1.0
    return PS, run, recovered, n_recur, first, q_first, q_nrec


@nb.njit(inline="always")
def summaries(p, d, ndays, PO, D, sums, week_max):
    """Phase 5 (cont.): add the day to the patient's summaries ``sums`` = (pain, pain of
    the last 28 days, disability, disability of the last 28 days, high-pain days, weekly
    worst), in the order of ``variables.SUMMARIES``. Returns ``sums, week_max, high``."""
    pain, pain28, dis, dis28, n_high, worst = sums
    high = 1.0 if p.high_pain <= PO else 0.0
    pain += PO
    dis += D
    n_high += high
    if d >= ndays - LAST_DAYS:
        pain28 += PO
        dis28 += D
    week_max = max(week_max, PO)
    if d % 7 == 6:
        worst += week_max
        week_max = 0.0
    return (pain, pain28, dis, dis28, n_high, worst), week_max, high


@nb.njit(inline="always")
def tally(daily, d, PO, D, high, recovered):
    """Phase 5 (cont.): add the day to the cohort's daily sums (int64 fixed point, exact
    in any order). Branch-free, so that the compiled loop keeps ``daily`` without
    reference counting."""
    daily[d, D_PAIN] += np.int64(np.round(PO * FIXED_POINT_SCALE))
    daily[d, D_DIS] += np.int64(np.round(D * FIXED_POINT_SCALE))
    daily[d, D_HIGH] += np.int64(high)
    daily[d, D_REC] += np.int64(recovered)


@nb.njit(inline="always")
def load_summaries(summ, i):
    """The patient's summaries entering the run: ``sums`` (see :func:`summaries`), the
    first recovery day and the recurrences. The day loop keeps them in registers and
    :func:`store_summaries` writes them back: the same additions in the same order as
    adding to ``summ`` every day, without a memory round trip (and without handing an
    array to a phase with branches, which costs a reference count per call)."""
    sums = (summ[Q_PAIN, i], summ[Q_PAIN28, i], summ[Q_DIS, i], summ[Q_DIS28, i], summ[Q_HIGH, i],
            summ[Q_WORST, i])
    return sums, summ[Q_FIRST, i], summ[Q_NREC, i]


@nb.njit(inline="always")
def store_summaries(summ, i, sums, q_first, q_nrec):
    """Write the patient's summaries back (see :func:`load_summaries`)."""
    summ[Q_PAIN, i], summ[Q_PAIN28, i], summ[Q_DIS, i], summ[Q_DIS28, i], summ[Q_HIGH, i], summ[Q_WORST, i] = sums
    summ[Q_FIRST, i] = q_first
    summ[Q_NREC, i] = q_nrec


@nb.njit(inline="always")
def record(state, i, slot, d, ndays, PO, rec_vars, rec_every, rec_out):
    """Phase 5 (cont.), recording: add the day to the period means (or maxima, for the
    worst pain) of the recorded variables of a recorded patient (``state`` holds today's)."""
    period = d // rec_every
    length = min(rec_every, ndays - period * rec_every)
    for k in range(rec_vars.shape[0]):
        var = rec_vars[k]
        if var == RECORD_WORST_PAIN:
            rec_out[k, period, slot] = max(rec_out[k, period, slot], PO)
        else:
            rec_out[k, period, slot] += state[var, i] / length


@nb.njit(inline="always")
def loops(p, g, P, T, G, C, H, I, S, K, A, F, E, X, W, U, Z, N, spell, act, traits_t, levers):
    """Phase 6, loops: every state moves toward its target for tomorrow; the reinforcing
    loops R1-R5 (gains ``g`` = wind-up, sleep, fear-avoidance, strain, guarding, read
    by name from ``engine.loops.L_*`` in the kernel) and the balancing pathways B1-B4 act here.

    ``traits_t`` = (sleepv, stressr, cat, se0, support0, work0, money_buffer, resilience,
    care0, floor, windup_k, knowledge0): ``resilience`` scales healing, ``floor`` is the
    persistent tissue drive healing tends to (the person's own level), ``windup_k`` scales the
    wind-up drive, ``knowledge0`` is the person's own knowledge, which care's fades back to;
    ``levers`` = (guard, threat, fear, stress, cond, sleep_add, sleep_care, se_add, se_care):
    multiplicative levers whole, additive ones as (patient, care) pairs.
    Returns ``T, G, C, H, I, S, K, A, F, E, X, W, U, Z, N``."""
    g_windup, g_sleep, g_fear, g_strain, g_guard = g
    sleepv, stressr, cat, se0, support0, work0, money_buffer, resilience, care0, floor, windup_k, knowledge0 = traits_t
    lv_guard, lv_threat, lv_fear, lv_stress, lv_cond, sleep_add, sleep_care, se_add, se_care = levers
    pain01 = P / 10.0
    # R1 wind-up, with drive from poor sleep (R2) and stress hormones (R4)
    windup = 1.0 / (1.0 + vmath.exp(-(P - p.sensitization_threshold) / p.sensitization_width))
    drive = (g_windup * p.sensitization_pain * windup_k * windup + p.sensitization_sleep * (1.0 - S)
             + p.sensitization_stress * H)
    C = clip01(C + p.sensitization_up * drive * (1.0 - C) - p.sensitization_down * C)
    # R2 pain disturbs sleep
    spell_on = 1.0 if spell > 0.0 else 0.0
    sleep_target = clip01(1.0 - sleepv * (g_sleep * p.sleep_pain * pain01 + p.sleep_stress * H
                                          + p.sleep_spell_depth * spell_on) + sleep_add + sleep_care)
    S += p.sleep_rate * (sleep_target - S)
    # R4 strain -> stress hormones -> inflammation; B4 support buffers stress
    stress_target = clip01(lv_stress * stressr
                           * (p.stress_strain * W + p.stress_acute * min(Z, 1.0) + p.stress_sleep * (1.0 - S))
                           * (1.0 - p.support_buffer * U))
    H += p.stress_rate * (stress_target - H)
    I += p.inflammation_rate * (clip01(p.inflammation_tissue * T + p.inflammation_stress * H) - I)
    W += p.strain_rate * (clip01(work0 + g_strain * p.strain_pain * pain01 * money_buffer) - W)
    Z *= 1.0 - p.acute_stress_decay
    U += SUPPORT_RATE * (support0 - U)
    # R3 and R5: threat drives fear-avoidance and guarding
    threat_target = clip01(lv_threat * cat * (p.threat_base + p.threat_pain * pain01) * (1.0 - p.threat_knowledge * N))
    A += p.threat_rate * (threat_target - A)
    # what care taught fades back to the person's own knowledge, the faster the more it hurts:
    # experience that contradicts reassurance undoes it, experience that confirms it keeps it
    N -= p.knowledge_decay * pain01 * pain01 * (N - knowledge0)
    F += p.fear_rate * (clip01(lv_fear * g_fear * p.fear_threat * A * (1.0 - 0.5 * E)) - F)
    G += p.guarding_rate * (clip01(lv_guard * (p.guarding_tissue * T + g_guard * p.guarding_threat * A)) - G)
    K += min(1.0, p.conditioning_rate * lv_cond) * (act - K)
    # B2 self-efficacy grows with mastery (conditioning)
    E += p.self_efficacy_rate * (clip01(se0 + p.self_efficacy_conditioning * (K - 0.5) + se_add + se_care) - E)
    X += EXPECTATION_RATE * (care0 - X)
    # B1 tissue healing toward the person's own level, faster when conditioned and resilient
    T -= min(1.0, p.heal_rate * resilience * (0.5 + 0.5 * K)) * (T - floor)
    return T, G, C, H, I, S, K, A, F, E, X, W, U, Z, N
