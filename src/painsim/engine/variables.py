"""Layout of the struct of arrays: which row of the state, trait and modifier arrays holds what.

The cohort keeps one ``float32`` row per variable and one column per patient. Row indices
are module-level integers so that the compiled kernel reads them as constants.
"""

from __future__ import annotations

# --- Traits: drawn once per patient, fixed for life (all on 0-1) -------------------------
TRAITS: tuple[str, ...] = (
    "pain_sensitivity",
    "sleep_vulnerability",
    "stress_reactivity",
    "catastrophizing",
    "self_efficacy",
    "social_support",
    "work_strain",
    "resources",
    "tissue_resilience",
    "care_experience",
    "tissue_vulnerability",
)
TRAIT_INDEX = {name: i for i, name in enumerate(TRAITS)}
(
    TR_SENS, TR_SLEEPV, TR_STRESSR, TR_CAT, TR_SE, TR_SUPPORT, TR_WORK, TR_RES, TR_HEAL, TR_CARE, TR_VULN,
) = range(len(TRAITS))  # fmt: skip

# --- State: one row per variable (biology, psychology, social, observed, bookkeeping) ----
STATE: tuple[str, ...] = (
    # biology
    "tissue",  # tissue nociceptive drive (0-1)
    "guarding",  # muscle guarding (0-1)
    "sensitization",  # central sensitization (0-1, slow)
    "stress_hormones",  # HPA-axis load (0-1)
    "inflammation",  # (0-1)
    "sleep",  # sleep quality (0-1, 1 = good)
    "conditioning",  # physical conditioning (0-1, slow)
    # psychology
    "threat",  # threat appraisal / catastrophizing state (0-1)
    "fear_avoidance",  # (0-1)
    "self_efficacy",  # (0-1)
    "expectation",  # expectation of treatment benefit (0-1)
    "knowledge",  # knowledge about pain (0-1)
    # social
    "strain",  # work and money strain (0-1)
    "support",  # social support (0-1)
    "acute_stress",  # load from recent stress events (>= 0)
    "sleep_spell",  # days left in a bad-sleep spell (>= 0)
    "fluctuation",  # good and bad days: AR(1) log-factor on nociception (mean 0)
    # observed
    "pain_latent",  # pain intensity before measurement noise (0-10)
    "pain",  # reported pain, 0-10 NRS
    "disability",  # RMDQ-like, 0-24
    "activity",  # activity level (0-1)
    # bookkeeping for outcome definitions
    "pain_smoothed",  # 7-day exponential moving average of reported pain
    "recovered_run",  # consecutive days with smoothed pain in the recovered range
    "recovered",  # 1 while in a recovered spell, else 0
    "recurrences",  # recurrences counted since the cohort was built
    "first_recovery_day",  # day of first recovery (-1 = not yet)
    "slow_fluctuation",  # slow spells: AR(1) log-factor on the pain drive, weeks to months (mean 0)
)
STATE_INDEX = {name: i for i, name in enumerate(STATE)}
(
    S_T, S_G, S_C, S_H, S_I, S_S, S_K,
    S_A, S_F, S_E, S_X, S_N,
    S_W, S_U, S_Z, S_SPELL, S_V,
    S_P, S_PO, S_D, S_ACT,
    S_PS, S_RUN, S_REC, S_NREC, S_FIRST, S_VS,
) = range(len(STATE))  # fmt: skip

# Bounds every state variable must respect (used by validation and invariant tests).
STATE_BOUNDS: dict[str, tuple[float, float]] = {name: (0.0, 1.0) for name in STATE}
STATE_BOUNDS.update(
    acute_stress=(0.0, float("inf")),
    sleep_spell=(0.0, float("inf")),
    fluctuation=(-float("inf"), float("inf")),
    pain_latent=(0.0, 10.0),
    pain=(0.0, 10.0),
    pain_smoothed=(0.0, 10.0),
    disability=(0.0, 24.0),
    recovered_run=(0.0, float("inf")),
    recurrences=(0.0, float("inf")),
    first_recovery_day=(-1.0, float("inf")),
    slow_fluctuation=(-float("inf"), float("inf")),
)

# --- Modifiers ("value pipelines"): named gains that care modules may change -----------
MODIFIERS: tuple[str, ...] = (
    "nociception_mult",  # multiplies nociceptive drive
    "guarding_mult",  # multiplies the guarding target
    "inhibition_add",  # adds to descending inhibition
    "threat_mult",  # multiplies threat appraisal target
    "fear_mult",  # multiplies fear-avoidance target
    "sleep_add",  # adds to the sleep-quality target
    "stress_mult",  # multiplies the stress-hormone target
    "activity_add",  # adds to activity level
    "self_efficacy_add",  # adds to the self-efficacy target
    "conditioning_rate_mult",  # multiplies the conditioning rate
)
MODIFIER_INDEX = {name: i for i, name in enumerate(MODIFIERS)}
M_NOCI, M_GUARD, M_INHIB, M_THREAT, M_FEAR, M_SLEEP, M_STRESS, M_ACT, M_SE, M_COND = range(
    len(MODIFIERS)
)
MODIFIER_NEUTRAL = tuple(0.0 if name.endswith("_add") else 1.0 for name in MODIFIERS)

# --- Per-run summaries accumulated by the kernel (float64, one column per patient) ------
SUMMARIES: tuple[str, ...] = (
    "pain_sum",
    "pain_last28_sum",
    "disability_sum",
    "disability_last28_sum",
    "days_pain_high",
    "weekly_worst_sum",
    "first_recovery_day",
    "recurrences",
)
SUMMARY_INDEX = {name: i for i, name in enumerate(SUMMARIES)}
(
    Q_PAIN, Q_PAIN28, Q_DIS, Q_DIS28, Q_HIGH, Q_WORST, Q_FIRST, Q_NREC,
) = range(len(SUMMARIES))  # fmt: skip

# Cohort-level daily sums, kept as int64 fixed point so that they add up exactly,
# in any order, over chunks and workers.
DAILY: tuple[str, ...] = ("pain", "disability", "pain_high", "recovered")
D_PAIN, D_DIS, D_HIGH, D_REC = range(len(DAILY))
FIXED_POINT_SCALE = 2**20

# Recording: a virtual variable for the worst reported pain within each recording period.
RECORD_WORST_PAIN = len(STATE)
RECORDABLE: tuple[str, ...] = (*STATE, "pain_worst")
