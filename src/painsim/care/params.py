"""Gains of the care mechanisms, with meaning and source; docs/care.md is built on them.

None of them is a probability of responding: massage gives a relief impulse whose effect
on pain depends on the client's state, traits, expectation and alliance; whether that
impulse becomes relief, and for how long, emerges from the loops.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from painsim.engine.params import _p, parameter_table

_ASSUMED = "modelling assumption, calibrated (docs/care.md)"


class CareParams(BaseModel):
    """Gains of the care mechanisms (defaults: the calibrated model)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # massage: a relief impulse that decays over days
    massage_decay: float = _p(0.23, "daily decay of the massage relief impulse",
                              "relief from a session fades over days (Sherman et al. 2006)", le=1.0)
    massage_nociception: float = _p(0.24, "relative cut of nociceptive drive per unit of impulse",
                                    "massage lowers tissue and muscle nociception (Field 2014)", le=1.0)
    massage_guarding: float = _p(0.36, "relative cut of the guarding target per unit of impulse",
                                 "massage reduces muscle tone and guarding (Moyer et al. 2004)", le=1.0)
    massage_inhibition: float = _p(0.28, "descending inhibition per unit of impulse",
                                   "touch engages descending modulation (Bialosky et al. 2009)")
    sham_inhibition: float = _p(0.12, "descending inhibition per unit of a sham impulse",
                                "expectation-driven analgesia (Benedetti 2008)")
    # relationship and expectation
    framing_fix: float = _p(0.82, "expectation set by 'we fix' framing", "Bialosky et al. 2011", le=1.0)
    framing_manage: float = _p(0.22, "expectation set by 'we help you manage' framing",
                               "Bialosky et al. 2011", le=1.0)
    framing_weight: float = _p(0.7, "weight of the framing (vs the client's prior) in the first expectation",
                               _ASSUMED, le=1.0)
    expected_relief: float = _p(0.74, "relative relief expected at full expectation", _ASSUMED, le=1.0)
    expectation_learning: float = _p(0.3, "how far expectation moves toward experienced relief",
                                     _ASSUMED, le=1.0)
    disappointment_self_efficacy: float = _p(0.1, "self-efficacy lost per unit of disappointment",
                                             "unmet expectations and outcomes (Bialosky et al. 2011)")
    alliance_self_efficacy: float = _p(0.02, "self-efficacy gained per session at full alliance",
                                       "alliance and outcomes (Ferreira et al. 2013, Phys Ther 93:470)")
    # attendance (whether a client comes back, never whether they respond)
    attend_base: float = _p(3.0, "log-odds of coming back at neutral alliance, no disappointment",
                            _ASSUMED, ge=-10.0)
    attend_alliance: float = _p(3.0, "log-odds per unit of alliance above 0.5", "Ferreira et al. 2013")
    attend_relief: float = _p(1.0, "log-odds per unit of relative relief at the last session", _ASSUMED)
    attend_disappointment: float = _p(7.4, "log-odds lost per unit of disappointment", _ASSUMED)
    attend_cost: float = _p(1.0, "log-odds lost per 100 USD per session, scaled by lack of resources",
                            _ASSUMED)
    # exercise, sleep and stress care, education
    exercise_activity: float = _p(0.4, "activity added on a day with an exercise session",
                                  "exercise therapy for LBP (Hayden et al. 2021, Cochrane CD009790)")
    exercise_fear: float = _p(0.04, "relative fall of fear-avoidance per session (graded exposure)",
                              "graded exposure (Vlaeyen et al. 2002)", le=1.0)
    exercise_sleep: float = _p(0.03, "relative gain of sleep quality per session",
                               "exercise and sleep (Kredlow et al. 2015)", le=1.0)
    exercise_self_efficacy: float = _p(0.02, "relative gain of self-efficacy per session (mastery)",
                                       "Bandura 1977", le=1.0)
    sleep_care_sleep: float = _p(0.2, "sleep-quality target added by sleep and stress care",
                                 "CBT-I in chronic pain (Finan et al. 2013)", le=1.0)
    sleep_care_stress: float = _p(0.3, "relative cut of the stress-hormone target",
                                  "stress management (Hoffman et al. 2007)", le=1.0)
    education_knowledge: float = _p(0.35, "share of missing knowledge gained per education session",
                                    "pain neuroscience education (Louw et al. 2016)", le=1.0)
    # outcome definitions
    relief_relative: float = _p(0.3, "relief: pain at least this share below the pre-session level",
                                "IMMPACT: 30% is moderately important (Dworkin et al. 2008)", le=1.0)
    relief_absolute: float = _p(2.0, "relief: or at least this many points below it",
                                "IMMPACT: 2 NRS points (Dworkin et al. 2008)", le=10.0)
    relief_window: float = _p(2.0, "days after a session within which relief must begin", _ASSUMED, ge=1.0)
    lasting_days: float = _p(365.0, "days in the recovered range after the course for 'lasting'",
                             "the model brief", ge=1.0)

    @classmethod
    def table(cls) -> list[dict]:
        """One row per parameter: name, default, meaning, source (for docs)."""
        return parameter_table(cls)


CARE_PARAM_NAMES: tuple[str, ...] = tuple(CareParams.model_fields)
