"""The engine kernel before issue 13 (monolithic ``simulate_range``), kept as the speed baseline.

``python benchmarks/run_all.py`` times the current engine against this copy in the same
run (``bench_engine.baseline_compare``); it is not part of painsim. It is the hand-written
kernel the plug-in architecture is compared with: one function, the care of the built-in
treatments hard-coded. Its equations follow the model (docs/model.md, "The daily update"),
revised in issue 15: one-day flares, good/bad days and flares scaling the pain that breaks
through inhibition, a rating error shrinking toward pain 0, log-normal healing toward the
person's own tissue floor, exercise course effects on inhibition and the conditioning rate;
issue 17: the daily exp, log and Box-Muller normals from painsim.engine.vmath, as the engine.
``tests/test_baseline_kernel.py`` checks that it gives the engine's results, so the speed
ratio compares equal work; when the model's equations change, this copy follows them.
``baseline_simulate`` feeds it the old argument layout (a named tuple of care gains and
plan values, massage/exercise/education session days) for no care or a care plan.
"""
from __future__ import annotations

import functools
from collections import namedtuple

import numba as nb
import numpy as np

from painsim.engine import rng, vmath
from painsim.engine.params import PARAM_NAMES, ModelParams
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

# Rows of the per-patient care outcomes of the old kernel (they lived in painsim.care.plan).
(C_SESSIONS, C_COST, C_DISAPPOINT, C_DROPOUT, C_EXDONE, C_LASTING, C_RELIEF) = range(7)

# Fixed shape of the disability score (RMDQ-like, 0-24): weights of pain, fear-avoidance
# and deconditioning. Chosen so that pain 6, fear 0.4 and conditioning 0.45 give about 12,
# the baseline RMDQ of chronic LBP trials (Cherkin et al. 2011).
EXPECTATION_RATE = 0.02
SUPPORT_RATE = 0.01
SMOOTHING_DAYS = 7.0
LAST_DAYS = 28


def kernel_params(params: ModelParams) -> KernelParams:
    """The parameters as the named tuple of floats the kernel reads."""
    return KernelParams(*params.to_array().tolist())


@nb.njit(inline="always")
def _clip01(x):
    return min(1.0, max(0.0, x))


@nb.njit(inline="always")
def _trait_factor(t):
    # A trait on 0-1 scales its process by 0.5-1.5; the median patient (0.5) by 1.
    return 0.5 + t


@nb.njit(inline="always")
def _healing_factor(p, t):
    # Log-normal between patients: exp(heal_spread * logit(t)), 1 at the median.
    t = min(max(t, 1e-6), 1.0 - 1e-6)
    return max(p.heal_min, np.exp(p.heal_spread * np.log(t / (1.0 - t))))


@nb.njit(cache=False, nogil=True)
def simulate_range(
    state, traits, mods, p, loop_gain, ids, seed, day0, ndays, start, stop,
    rec_vars, rec_every, rec_slot, rec_out, summ, daily,
    c, massage_days, exercise_days, education_days, session_out, care_out,
):  # fmt: skip
    """Advance patients ``start:stop`` by ``ndays`` days, in place.

    ``state`` (float32, variables x patients) is updated; ``rec_out`` (variables x periods
    x recorded patients) receives period means of ``rec_vars`` for patients whose
    ``rec_slot`` is >= 0; ``summ`` (float64, summaries x patients) and ``daily`` (int64
    fixed point, days x quantities, for this range only) accumulate outcomes.
    ``c`` and the ``*_days`` arrays are the compiled care plan (``painsim.care``);
    ``session_out`` (sessions x patients) receives each massage session's relief duration
    in days (0: no relief, -1: not attended) and ``care_out`` the per-patient care outcomes.
    """
    n_massage = massage_days.shape[0]
    n_exercise = exercise_days.shape[0]
    n_education = education_days.shape[0]
    n_rec_vars = rec_vars.shape[0]
    g_windup = loop_gain[0]
    g_sleep = loop_gain[1]
    g_fear = loop_gain[2]
    g_strain = loop_gain[3]
    g_guard = loop_gain[4]
    for i in range(start, stop):
        key = rng.patient_key(seed, ids[i])
        sens = p.sensitivity_base + p.sensitivity_range * traits[TR_SENS, i]
        sleepv = _trait_factor(traits[TR_SLEEPV, i])
        stressr = _trait_factor(traits[TR_STRESSR, i])
        cat = _trait_factor(traits[TR_CAT, i])
        se0 = traits[TR_SE, i]
        support0 = traits[TR_SUPPORT, i]
        work0 = traits[TR_WORK, i]
        money_buffer = 1.5 - traits[TR_RES, i]
        resilience = _healing_factor(p, np.float64(traits[TR_HEAL, i]))
        floor = p.tissue_floor * traits[TR_VULN, i]
        vuln = min(max(np.float64(traits[TR_VULN, i]), 1e-6), 1.0 - 1e-6)
        ps_t = min(max(np.float64(traits[TR_SENS, i]), 1e-6), 1.0 - 1e-6)
        windup_k = np.exp(p.sensitization_spread * np.log(ps_t / (1.0 - ps_t)))
        reinjury_p = min(1.0, p.reinjury_rate * np.exp(p.reinjury_vulnerability * np.log(vuln / (1.0 - vuln))))
        care0 = traits[TR_CARE, i]
        m_noci = mods[M_NOCI, i]
        m_guard = mods[M_GUARD, i]
        m_inhib = mods[M_INHIB, i]
        m_threat = mods[M_THREAT, i]
        m_fear = mods[M_FEAR, i]
        m_sleep = mods[M_SLEEP, i]
        m_stress = mods[M_STRESS, i]
        m_act = mods[M_ACT, i]
        m_se = mods[M_SE, i]
        m_cond = mods[M_COND, i]

        T = np.float64(state[S_T, i])
        G = np.float64(state[S_G, i])
        C = np.float64(state[S_C, i])
        H = np.float64(state[S_H, i])
        I = np.float64(state[S_I, i])
        S = np.float64(state[S_S, i])
        K = np.float64(state[S_K, i])
        A = np.float64(state[S_A, i])
        F = np.float64(state[S_F, i])
        E = np.float64(state[S_E, i])
        X = np.float64(state[S_X, i])
        N = np.float64(state[S_N, i])
        W = np.float64(state[S_W, i])
        U = np.float64(state[S_U, i])
        Z = np.float64(state[S_Z, i])
        spell = np.float64(state[S_SPELL, i])
        V = np.float64(state[S_V, i])
        VS = np.float64(state[S_VS, i])
        P = np.float64(state[S_P, i])
        PO = np.float64(state[S_PO, i])
        D = np.float64(state[S_D, i])
        act = np.float64(state[S_ACT, i])
        PS = np.float64(state[S_PS, i])
        run = np.float64(state[S_RUN, i])
        recovered = np.float64(state[S_REC, i])
        n_recur = np.float64(state[S_NREC, i])
        first = np.float64(state[S_FIRST, i])
        slot = rec_slot[i]
        week_max = 0.0
        # care state for this run (rows of painsim.care.CARE_OUTCOMES are written at the end)
        impulse = 0.0
        next_massage = 0
        next_exercise = 0
        next_education = 0
        attending = True
        attended = 0.0
        cost = 0.0
        disappointment = 0.0
        dropout_day = -1.0
        exercise_done = 0.0
        run_after_course = 0.0
        best_run_after_course = 0.0
        relief_days = 0.0
        last_relief = 0.0
        last_disappointment = 0.0
        tracking = -1  # session whose relief episode is being followed
        track_day = 0
        pre_pain = 0.0
        relief_threshold = 0.0
        relief_len = 0.0
        relief_on = False
        expected = 0.0
        resources = traits[TR_RES, i]
        knowledge0 = 0.2 + 0.3 * resources  # the person's own knowledge, once per patient
        persistence = np.exp(-1.0 / p.fluctuation_days)
        innovation = p.fluctuation_sd * np.sqrt(1.0 - persistence * persistence)
        slow_persistence = np.exp(-1.0 / p.slow_fluctuation_days)
        slow_innovation = p.slow_fluctuation_sd * np.sqrt(1.0 - slow_persistence * slow_persistence)

        for d in range(ndays):
            day = day0 + d
            # 1. shocks ---------------------------------------------------------------
            if rng.uniform(key, rng.REINJURY, day) < reinjury_p:
                T = min(1.0, T - p.reinjury_size * vmath.log(rng.uniform(key, rng.REINJURY_SIZE, day)))
            if rng.uniform(key, rng.STRESS_EVENT, day) < p.stress_event_rate:
                Z -= p.stress_event_size * vmath.log(rng.uniform(key, rng.STRESS_SIZE, day))
            if spell > 0.0:
                spell -= 1.0
            elif rng.uniform(key, rng.SLEEP_SPELL, day) < p.sleep_spell_rate:
                spell = np.ceil(-vmath.log(rng.uniform(key, rng.SLEEP_SPELL_LENGTH, day))
                                * p.sleep_spell_days)

            V = persistence * V + innovation * rng.fast_normal(
                key, rng.FLUCTUATION_A, rng.FLUCTUATION_B, day)
            if slow_innovation > 0.0:
                VS = slow_persistence * VS + slow_innovation * rng.fast_normal(
                    key, rng.SLOW_FLUCTUATION_A, rng.SLOW_FLUCTUATION_B, day)
            flare = 1.0
            if rng.uniform(key, rng.FLARE, day) < p.flare_rate:
                flare -= p.flare_gain * vmath.log(rng.uniform(key, rng.FLARE_SIZE, day))
            minor = 0.0
            if rng.uniform(key, rng.STRAIN, day) < p.minor_strain_rate:
                minor = -p.minor_strain_size * vmath.log(rng.uniform(key, rng.STRAIN_SIZE, day))

            # care: which sessions happen today --------------------------------------
            session_today = False
            if next_massage < n_massage and massage_days[next_massage] == d:
                if attending and next_massage > 0:
                    logit = (c.attend_base + c.attend_alliance * (c.alliance - 0.5)
                             + c.attend_relief * last_relief - c.attend_disappointment * last_disappointment
                             - c.attend_cost * c.massage_cost / 100.0 * (1.0 - resources))
                    if rng.uniform(key, rng.ATTENDANCE, day) >= 1.0 / (1.0 + np.exp(-logit)):
                        attending = False
                        dropout_day = d
                session_today = attending
                next_massage += 1
            exercised = False
            if next_exercise < n_exercise and exercise_days[next_exercise] == d:
                next_exercise += 1
                boost = 1.15 if c.exercise_supervised > 0.0 else 0.85
                exercised = rng.uniform(key, rng.EXERCISE, day) < c.exercise_adherence * (0.6 + 0.8 * E) * boost
            if next_education < n_education and education_days[next_education] == d:
                next_education += 1
                N += c.education_knowledge * (1.0 - N)
                cost += c.education_cost
            sleep_care = 0.0
            if c.sleep_start >= 0.0 and d >= c.sleep_start:
                sleep_care = 1.0 if d < c.sleep_end else c.sleep_retention
                if d < c.sleep_end and (d - c.sleep_start) % 7.0 == 0.0:
                    cost += c.sleep_cost_week
            # exercise course: inhibition and conditioning from the day after the first session
            exercise_on = 0.0
            if c.exercise_start >= 0.0 and d >= c.exercise_start:
                exercise_on = 1.0 if d < c.exercise_end else c.exercise_retention
            cut = min(1.0, impulse) * c.massage_mechanical

            # 2. activity, nociception, pain, disability ---------------------------------
            act = min(1.0, max(0.05, p.activity_base + p.activity_self_efficacy * E
                               - p.activity_fear * F + m_act))
            decond = 1.0 - K
            relief_cut = 1.0 - c.massage_nociception * cut
            noci = m_noci * relief_cut * (T + minor + p.nociception_guarding * G + p.nociception_inflammation * I
                                          + p.nociception_deconditioning * decond * decond * (0.5 + 0.5 * act))
            gain = sens * (1.0 + p.sensitization_gain * C) * (1.0 + p.threat_facilitation * A)
            inhib_care = 0.0
            if impulse > 0.0:
                gain_inhib = c.massage_inhibition if c.massage_mechanical > 0.0 else c.sham_inhibition
                inhib_care += gain_inhib * min(impulse, 1.5)
            inhib_care += c.exercise_inhibition * exercise_on
            inhib = p.inhibition * (0.4 * E + 0.3 * S + 0.3 * (1.0 - A)) + m_inhib + inhib_care
            q = max(0.0, gain * noci - inhib) * vmath.exp(V + VS) * flare
            P = 10.0 * (1.0 - vmath.exp(-q / p.pain_scale))
            noise = rng.fast_normal(key, rng.NOISE_A, rng.NOISE_B, day)
            rating_sd = p.measurement_noise * min(1.0, P / p.measurement_noise_pain)
            PO = min(10.0, max(0.0, P + rating_sd * noise))
            D = 24.0 * _clip01(p.disability_pain * P / 10.0 + p.disability_fear * F
                               + p.disability_deconditioning * decond)

            # care: relief episodes, expectation, disappointment --------------------------
            if tracking >= 0 and d > track_day:
                if d == track_day + 1:
                    felt = min(1.0, max(0.0, (pre_pain - P) / max(pre_pain, 1e-6)))
                    letdown = max(0.0, expected - felt)
                    disappointment += letdown
                    last_relief = felt
                    last_disappointment = letdown
                    E = max(0.0, E - c.disappointment_self_efficacy * letdown)
                    X = _clip01(X + c.expectation_learning * (felt / max(c.expected_relief, 1e-6) - X))
                if relief_threshold >= P:
                    if relief_on or d - track_day <= c.relief_window:
                        relief_on = True
                        relief_len += 1.0
                else:
                    if relief_on or d - track_day >= c.relief_window:
                        session_out[tracking, i] = relief_len
                        relief_days += relief_len
                        tracking = -1
            if session_today:
                if tracking >= 0:  # a new session ends (censors) the previous episode
                    session_out[tracking, i] = relief_len
                    relief_days += relief_len
                if attended == 0.0:  # the framing of the first visit sets what the client expects
                    X = (1.0 - c.framing_weight) * X + c.framing_weight * c.framing_level
                attended += 1.0
                cost += c.massage_cost
                impulse += c.massage_dose * (0.5 + X) * (0.5 + c.alliance)
                E += c.alliance_self_efficacy * c.alliance * (1.0 - E)
                tracking = next_massage - 1
                track_day = d
                pre_pain = P
                relief_threshold = max((1.0 - c.relief_relative) * P, P - c.relief_absolute)
                relief_len = 0.0
                relief_on = False
                expected = c.expected_relief * X
                session_out[tracking, i] = 0.0

            if exercised:  # the session's effects start after today's observation
                exercise_done += 1.0
                cost += c.exercise_cost * c.exercise_supervised
                act = min(1.0, act + c.exercise_activity)
                F *= 1.0 - c.exercise_fear
                S += c.exercise_sleep * (1.0 - S)
                E += c.exercise_self_efficacy * (1.0 - E)

            # 3. outcome bookkeeping, recording, summaries ------------------------------
            PS += (PO - PS) / SMOOTHING_DAYS
            if p.recovered_pain >= PS:
                run += 1.0
            else:
                run = 0.0
            if recovered == 0.0 and run >= p.recovered_days:
                recovered = 1.0
                if first < 0.0:
                    first = day - p.recovered_days + 1.0
                if summ[Q_FIRST, i] < 0.0:
                    summ[Q_FIRST, i] = d - p.recovered_days + 1.0
            elif recovered == 1.0 and p.recurrence_pain <= PS:
                recovered = 0.0
                n_recur += 1.0
                summ[Q_NREC, i] += 1.0

            if c.course_end >= 0.0 and d > c.course_end:
                run_after_course = run_after_course + 1.0 if recovered == 1.0 else 0.0
                best_run_after_course = max(best_run_after_course, run_after_course)

            high = 1.0 if p.high_pain <= PO else 0.0
            summ[Q_PAIN, i] += PO
            summ[Q_DIS, i] += D
            summ[Q_HIGH, i] += high
            if d >= ndays - LAST_DAYS:
                summ[Q_PAIN28, i] += PO
                summ[Q_DIS28, i] += D
            week_max = max(week_max, PO)
            if d % 7 == 6:
                summ[Q_WORST, i] += week_max
                week_max = 0.0
            daily[d, D_PAIN] += np.int64(np.round(PO * FIXED_POINT_SCALE))
            daily[d, D_DIS] += np.int64(np.round(D * FIXED_POINT_SCALE))
            daily[d, D_HIGH] += np.int64(high)
            daily[d, D_REC] += np.int64(recovered)

            if slot >= 0:
                _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V, VS,
                       P, PO, D, act, PS, run, recovered, n_recur, first)
                period = d // rec_every
                length = min(rec_every, ndays - period * rec_every)
                for k in range(n_rec_vars):
                    var = rec_vars[k]
                    if var == RECORD_WORST_PAIN:
                        rec_out[k, period, slot] = max(rec_out[k, period, slot], PO)
                    else:
                        rec_out[k, period, slot] += state[var, i] / length

            # 4. loops: every state moves toward its target for tomorrow ------------------
            pain01 = P / 10.0
            # R1 wind-up, with drive from poor sleep (R2) and stress hormones (R4)
            windup = 1.0 / (1.0 + vmath.exp(-(P - p.sensitization_threshold) / p.sensitization_width))
            drive = (g_windup * p.sensitization_pain * windup_k * windup + p.sensitization_sleep * (1.0 - S)
                     + p.sensitization_stress * H)
            C = _clip01(C + p.sensitization_up * drive * (1.0 - C) - p.sensitization_down * C)
            # R2 pain disturbs sleep
            spell_on = 1.0 if spell > 0.0 else 0.0
            sleep_target = _clip01(1.0 - sleepv * (g_sleep * p.sleep_pain * pain01
                                                   + p.sleep_stress * H
                                                   + p.sleep_spell_depth * spell_on) + m_sleep
                                  + c.sleep_care_sleep * sleep_care)
            S += p.sleep_rate * (sleep_target - S)
            # R4 strain -> stress hormones -> inflammation; B4 support buffers stress
            stress_target = _clip01(
                m_stress * (1.0 - c.sleep_care_stress * sleep_care) * stressr
                * (p.stress_strain * W + p.stress_acute * min(Z, 1.0) + p.stress_sleep * (1.0 - S))
                * (1.0 - p.support_buffer * U))
            H += p.stress_rate * (stress_target - H)
            I += p.inflammation_rate * (_clip01(p.inflammation_tissue * T
                                                + p.inflammation_stress * H) - I)
            W += p.strain_rate * (_clip01(work0 + g_strain * p.strain_pain * pain01 * money_buffer)
                                  - W)
            Z *= 1.0 - p.acute_stress_decay
            U += SUPPORT_RATE * (support0 - U)
            # R3 and R5: threat drives fear-avoidance and guarding
            threat_target = _clip01(m_threat * cat * (p.threat_base + p.threat_pain * pain01)
                                    * (1.0 - p.threat_knowledge * N))
            A += p.threat_rate * (threat_target - A)
            N -= p.knowledge_decay * pain01 * pain01 * (N - knowledge0)
            F += p.fear_rate * (_clip01(m_fear * g_fear * p.fear_threat * A * (1.0 - 0.5 * E)) - F)
            G += p.guarding_rate * (_clip01(m_guard * (1.0 - c.massage_guarding * cut) * (p.guarding_tissue * T
                                                       + g_guard * p.guarding_threat * A)) - G)
            K += min(1.0, p.conditioning_rate * (m_cond * (1.0 + c.exercise_conditioning * exercise_on))) * (act - K)
            # B2 self-efficacy grows with mastery (conditioning)
            E += p.self_efficacy_rate * (_clip01(se0 + p.self_efficacy_conditioning * (K - 0.5)
                                                 + m_se) - E)
            X += EXPECTATION_RATE * (care0 - X)
            impulse *= 1.0 - c.massage_decay
            # B1 tissue healing toward the person's own level, faster when conditioned and resilient
            T -= min(1.0, p.heal_rate * resilience * (0.5 + 0.5 * K)) * (T - floor)

        _store(state, i, T, G, C, H, I, S, K, A, F, E, X, N, W, U, Z, spell, V, VS,
               P, PO, D, act, PS, run, recovered, n_recur, first)
        if tracking >= 0:  # an episode still running at the horizon is censored there
            session_out[tracking, i] = relief_len
            relief_days += relief_len
        if care_out.shape[0] > 0:
            care_out[C_SESSIONS, i] = attended
            care_out[C_COST, i] = cost
            care_out[C_DISAPPOINT, i] = disappointment
            care_out[C_DROPOUT, i] = dropout_day
            care_out[C_EXDONE, i] = exercise_done
            care_out[C_LASTING, i] = best_run_after_course
            care_out[C_RELIEF, i] = relief_days


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


_PLAN_FIELDS = (
    "massage_mechanical", "massage_dose", "massage_cost", "alliance", "framing_level",
    "exercise_adherence", "exercise_supervised", "exercise_cost", "sleep_start", "sleep_end",
    "sleep_retention", "sleep_cost_week", "education_cost", "course_end", "exercise_start", "exercise_end",
    "exercise_retention",
)  # fmt: skip


@functools.cache
def _old_kernel_type():
    # One class for every call: numba compiles once per named-tuple class.
    from painsim.care import CareParams

    return namedtuple("OldCareKernel", tuple(CareParams.model_fields) + _PLAN_FIELDS)


def _old_care(plan, horizon: int):
    """The old kernel's view of a plan (a copy of the old ``CarePlan.compile``)."""
    from painsim.care import CareParams

    params = CareParams()
    visits = plan.massage or plan.sham
    empty = np.empty(0, dtype=np.int64)
    massage_days = visits.session_days() if visits else empty
    exercise_days = plan.exercise.session_days() if plan.exercise else empty
    education_days = plan.education.session_days() if plan.education else empty
    sleep, rel = plan.sleep_stress, plan.relationship
    exercise_window = plan.exercise.course_window() if plan.exercise else (-1.0, -1.0, 0.0)
    values = {
        "massage_mechanical": 1.0 if plan.massage is not None else 0.0,
        "massage_dose": visits.dose if visits else 0.0,
        "massage_cost": visits.cost_per_session if visits else 0.0,
        "alliance": rel.alliance,
        "framing_level": params.framing_fix if rel.framing == "fix" else params.framing_manage,
        "exercise_adherence": plan.exercise.adherence if plan.exercise else 0.0,
        "exercise_supervised": 1.0 if plan.exercise and plan.exercise.supervised else 0.0,
        "exercise_cost": plan.exercise.cost_per_session if plan.exercise else 0.0,
        "sleep_start": float(sleep.start_day) if sleep else -1.0,
        "sleep_end": float(sleep.start_day + 7 * sleep.weeks) if sleep else -1.0,
        "sleep_retention": sleep.retention if sleep else 0.0,
        "sleep_cost_week": sleep.cost_per_week if sleep else 0.0,
        "education_cost": plan.education.cost_per_session if plan.education else 0.0,
        "course_end": float(massage_days.max()) if massage_days.size else -1.0,
        "exercise_start": exercise_window[0],
        "exercise_end": exercise_window[1],
        "exercise_retention": exercise_window[2],
    }
    kernel = _old_kernel_type()(*([float(getattr(params, f)) for f in CareParams.model_fields]
                                  + [float(values[f]) for f in _PLAN_FIELDS]))
    return kernel, massage_days, exercise_days, education_days


def baseline_simulate(cohort, days: int, plan=None) -> np.ndarray:
    """Run the old kernel on a copy of ``cohort`` (summaries only); returns the summaries."""
    from painsim.care import NO_CARE
    from painsim.engine.loops import LOOP_NAMES
    from painsim.engine.variables import DAILY, SUMMARIES

    plan = plan or NO_CARE
    state = cohort.state.copy()
    n = state.shape[1]
    summ = np.zeros((len(SUMMARIES), n))
    summ[SUMMARIES.index("first_recovery_day")] = -1.0
    daily = np.zeros((days, len(DAILY)), dtype=np.int64)
    kernel, massage_days, exercise_days, education_days = _old_care(plan, days)
    session_out = np.full((massage_days.size, n), -1.0, dtype=np.float32)
    care_out = np.zeros((0 if plan.is_empty else 7, n))
    simulate_range(state, cohort.traits, cohort.modifiers, kernel_params(cohort.params), np.ones(len(LOOP_NAMES)),
                   cohort.ids, np.uint64(cohort.seed), cohort.day, days, 0, n,
                   np.empty(0, dtype=np.int64), days, np.full(n, -1, dtype=np.int64),
                   np.zeros((0, 1, 0), dtype=np.float32), summ, daily,
                   kernel, massage_days, exercise_days, education_days, session_out, care_out)
    return summ
