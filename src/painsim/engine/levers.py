"""The kernel's vocabulary for care: named levers, session timings, hook points and state kicks.

The kernel never names a treatment. A treatment (a plug-in of :mod:`painsim.care`) acts
on the daily update only through what is declared here:

* **levers**: named gains of the daily update. A lever is a product (``multiply``) or a
  sum (``add``) of the patient's own modifier (``Cohort.modifiers``, a value pipeline in
  Vivarium's sense) and of the care effects active today. An effect reads the intensity of
  its treatment's exposure ``x`` (an impulse that decays, or a course level) and changes
  the lever by ``reduce`` (x (1 - g min(cap, x))), ``increase`` (x (1 + g min(cap, x))),
  ``add`` (+ g min(cap, x)) or ``subtract`` (- g min(cap, x)).
* **kicks**: one-off changes of a state variable on the day a session is done
  (``toward_one``: s + g (1 - s); ``scale_down``: s (1 - g); ``add_capped``: min(1, s + g)).
* **attendance models**: whether a scheduled session is done (``always``; ``return_visit``,
  a client who may stop coming; ``adherence``, a session done with a probability).
* **hook points**: the fixed places of the day where care runs (see :data:`HOOK_POINTS`).
  The therapist-visit hooks (expectation, framing, alliance, relief tracking,
  disappointment) are the state-dependent effects that a treatment switches on with
  ``visit = True``.

docs/care.md ("Levers and hook points") is generated from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lever:
    """A named gain of the daily update that care may change."""

    name: str
    kind: str  # "multiply" or "add"
    meaning: str
    phase: str  # the kernel phase that reads it

    @property
    def ops(self) -> tuple[str, ...]:
        """The effect operations allowed on this lever."""
        return ("reduce", "increase") if self.kind == "multiply" else ("add", "subtract")


# The order is the order of the per-patient modifiers (engine.variables.MODIFIERS).
LEVERS: tuple[Lever, ...] = (
    Lever("nociception", "multiply", "nociceptive drive from tissue, guarding, inflammation and deconditioning",
          "observe"),
    Lever("guarding_target", "multiply", "target of muscle guarding", "loops"),
    Lever("inhibition", "add", "descending inhibition (lowers pain for the same nociception)", "observe"),
    Lever("threat_target", "multiply", "target of threat appraisal (catastrophizing)", "loops"),
    Lever("fear_target", "multiply", "target of fear-avoidance", "loops"),
    Lever("sleep_target", "add", "target of sleep quality", "loops"),
    Lever("stress_target", "multiply", "target of the stress-hormone load", "loops"),
    Lever("activity", "add", "activity level of the day", "observe"),
    Lever("self_efficacy_target", "add", "target of self-efficacy", "loops"),
    Lever("conditioning_rate", "multiply", "daily rate at which conditioning follows activity", "loops"),
)  # fmt: skip
LEVER_NAMES: tuple[str, ...] = tuple(lever.name for lever in LEVERS)
LEVER_INDEX = {name: i for i, name in enumerate(LEVER_NAMES)}
(LV_NOCI, LV_GUARD, LV_INHIB, LV_THREAT, LV_FEAR, LV_SLEEP, LV_STRESS, LV_ACT, LV_SE, LV_COND) = range(len(LEVERS))

EFFECT_OPS: tuple[str, ...] = ("reduce", "increase", "add", "subtract")
OP_REDUCE, OP_INCREASE, OP_ADD, OP_SUBTRACT = range(len(EFFECT_OPS))

# State variables a session may kick (engine.variables.STATE names).
KICK_TARGETS: tuple[str, ...] = (
    "activity", "fear_avoidance", "sleep", "self_efficacy", "knowledge", "expectation", "guarding",
    "threat", "conditioning", "stress_hormones",
)  # fmt: skip
(K_ACT, K_FEAR, K_SLEEP, K_SE, K_KNOW, K_EXPECT, K_GUARD, K_THREAT, K_COND, K_STRESS) = range(len(KICK_TARGETS))
KICK_OPS: tuple[str, ...] = ("toward_one", "scale_down", "add_capped")
KOP_TOWARD_ONE, KOP_SCALE_DOWN, KOP_ADD_CAPPED = range(len(KICK_OPS))

ATTENDANCE_MODELS: dict[str, str] = {
    "always": "every scheduled session is done",
    "return_visit": "a client comes back to each visit after the first with a probability (logistic in "
                    "alliance, last relief, disappointment and cost); once they stop they do not return",
    "adherence": "each session is done with probability adherence x (0.6 + 0.8 self-efficacy) x boost",
}  # fmt: skip
ATT_ALWAYS, ATT_RETURN, ATT_ADHERENCE = range(len(ATTENDANCE_MODELS))

EXPOSURES: dict[str, str] = {
    "none": "no lever effects (kicks only)",
    "impulse": "each session done adds its dose to an impulse that decays by 'decay' per day",
    "course": "1 while the course runs, then 'retention' (skills kept) after it ends",
}
EXP_NONE, EXP_IMPULSE, EXP_COURSE = range(len(EXPOSURES))

TIMINGS: dict[str, str] = {
    "before_observation": "the session acts (kicks, impulse, cost) before the day's pain is observed",
    "after_observation": "the session acts after the day's pain is observed (effects from the next day)",
}
TIME_BEFORE, TIME_AFTER = range(len(TIMINGS))

HOOK_POINTS: dict[str, str] = {
    "schedule": "before the day's observation: a scheduled session goes through its attendance model; "
                "sessions timed before observation kick states, add impulse and are billed",
    "levers": "the levers of the day from every treatment's exposure (impulse or course level)",
    "relief": "after observation, every day: the relief episode of the last visit is followed; the day "
              "after a visit, relief below expectation disappoints (self-efficacy falls) and expectation "
              "learns from the felt relief (visit treatments only)",
    "session": "after observation: a visit's dose is scaled by expectation and alliance, the first "
               "visit's framing sets expectation, alliance raises self-efficacy, a relief episode starts; "
               "sessions timed after observation kick states, add impulse and are billed",
    "decay": "end of day: every impulse decays by its treatment's rate",
}  # fmt: skip

# Rows of the per-patient care records the kernel writes; then one row of sessions done
# per treatment of the plan, in plan order.
CARE_RECORDS: tuple[str, ...] = (
    "cost", "disappointment", "dropout_day", "recovered_run_after_course", "relief_days",
)  # fmt: skip
R_COST, R_DISAPPOINT, R_DROPOUT, R_LASTING, R_RELIEF = range(len(CARE_RECORDS))
R_SESSIONS = len(CARE_RECORDS)  # row of the first treatment's sessions done
