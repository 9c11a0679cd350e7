"""Model parameters: every rate and gain of the daily update, with meaning and source.

Each field carries its unit, meaning and the source or rationale for its default value in
its ``description`` and ``json_schema_extra``; docs/model.md is generated from this table.
Rates are per day (one step is one day). Parameters are validated on construction:
a negative rate or a non-finite value raises a ``pydantic.ValidationError`` that names the
field and the allowed range.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


def parameter(default: float, meaning: str, source: str, ge: float = 0.0, le: float | None = None,
              unit: str = "") -> Any:
    """A documented parameter field: default, meaning, source of the default, bounds and unit.

    Used by :class:`ModelParams` and by every care treatment's parameters (docs are
    generated from these fields).
    """
    extra = {"source": source}
    if unit:
        extra["unit"] = unit
    return Field(default, ge=ge, le=le, description=meaning, json_schema_extra=extra)


_p = parameter


_ASSUMED = "modelling assumption, calibrated (docs/model.md, 'Calibration')"


class ModelParams(BaseModel):
    """Rates and gains of the daily update (defaults: the calibrated default model).

    Examples
    --------
    >>> from painsim.engine.params import ModelParams
    >>> p = ModelParams(heal_rate=0.08)
    >>> p.heal_rate
    0.08
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # --- tissue and nociception --------------------------------------------------------
    heal_rate: float = _p(
        0.62, "tissue healing rate per day at full conditioning and resilience",
        "acute LBP pain halves in ~6 weeks (Costa et al. 2012, CMAJ 184:E613)")
    heal_spread: float = _p(
        2.8, "spread of the healing rate between patients: log-rate per logit unit of tissue resilience",
        "many acute episodes resolve within weeks, others take months (median 16 days in the "
        "PACE placebo arm, Williams et al. 2014, Lancet 384:1586; 58 days in Henschke et al. 2008, "
        "BMJ 337:a171)", le=3.0)
    heal_min: float = _p(
        0.03, "smallest healing-rate factor: the slowest patient heals at heal_rate x heal_min",
        "most people still in pain at 3 months keep improving over the year (Costa et al. 2009, BMJ "
        "339:b3829: 42% pain-free by 12 months; Costa et al. 2012: pain 0.45 of baseline at a year), so "
        "even slow episodes heal within months", le=1.0)
    tissue_floor: float = _p(
        0.2, "persistent tissue drive at full tissue vulnerability: the level healing tends to",
        "most primary-care courses are stable at a person's own level (Kongsted et al. 2015, "
        "Spine J 15:885; Dunn et al. 2013, BMJ Open 3:e003838)", le=1.0)
    nociception_guarding: float = _p(0.6, "nociception per unit of muscle guarding", _ASSUMED)
    nociception_inflammation: float = _p(0.5, "nociception per unit of inflammation", _ASSUMED)
    nociception_deconditioning: float = _p(
        0.65, "nociception per unit of squared deconditioning when active",
        "fear-avoidance model (Vlaeyen & Linton 2000, Pain 85:317)")
    # --- pain ----------------------------------------------------------------------------
    sensitivity_base: float = _p(0.57, "pain gain at the lowest pain-sensitivity trait", _ASSUMED)
    sensitivity_range: float = _p(0.76, "extra pain gain across the sensitivity trait", _ASSUMED)
    sensitization_gain: float = _p(
        1.83, "relative increase of pain gain at full central sensitization",
        "central sensitization amplifies pain (Woolf 2011, Pain 152:S2)")
    inhibition: float = _p(
        0.38, "descending inhibition at full self-efficacy and sleep and no threat",
        "conditioned pain modulation (Yarnitsky 2010, Curr Opin Anaesthesiol 23:611)")
    pain_scale: float = _p(1.0, "nociceptive input that brings pain to 63% of 10", _ASSUMED, ge=1e-6)
    measurement_noise: float = _p(
        0.3, "SD of the rating error of reported pain at latent pain >= measurement_noise_pain (NRS points)",
        "test-retest error of the NRS is small beside real day-to-day change (Pagé et al. 2022, "
        "J Pain 23:1151: within-person SD about 1.2, stable within a person)")
    measurement_noise_pain: float = _p(
        2.0, "latent pain below which the rating error shrinks in proportion (a pain-free day is rated 0)",
        _ASSUMED, ge=1e-3, le=10.0)
    fluctuation_sd: float = _p(
        0.62, "SD of the log-factor of good and bad days on the pain drive",
        "pain varies day to day beyond measurement error (Schneider et al. 2012, Pain 153:813)")
    fluctuation_days: float = _p(7.8, "correlation time of good and bad days (days)", _ASSUMED,
                                 ge=1.0)
    slow_fluctuation_sd: float = _p(
        0.0, "SD of the log-factor of slow spells (weeks to months of worse or better pain) on the pain drive; "
             "0 (the default) switches them off",
        "off by default: at 0.4 with consulting in a worse spell they give Kongsted et al. 2015's relapsing class "
        "but empty its stable mild one (probes, docs/validation.md); a parameter for the Bayesian calibration",
        le=2.0)
    slow_fluctuation_days: float = _p(60.0, "correlation time of slow spells (days)", _ASSUMED, ge=1.0, le=400.0)
    flare_rate: float = _p(
        0.14, "short flares (hours to a day) of any size per day; those of 2 points or more are fewer",
        "calibrated to 89% with a flare in 6 weeks of acute LBP, most shorter than a day (Suri et al. 2011, "
        "BMC Musculoskelet Disord 12:220)", le=1.0)
    flare_gain: float = _p(
        3.0, "mean relative rise of the pain drive on a flare day (exponential)",
        "pain about 2.7 points higher during a flare, most flares last under 4 hours (Suri et al. 2011)")
    minor_strain_rate: float = _p(
        0.0012, "brief minor strains per day: a day of new nociceptive drive, whatever the drive before it",
        "recurrences after recovery are common and mostly brief: 69% (62-74) of people recovered from LBP have "
        "pain >= 2 for 24 hours within a year, median 139 days (da Silva et al. 2019, J Physiother 65:159); "
        "calibrated to that", le=1.0)
    minor_strain_size: float = _p(
        3.0, "mean nociceptive drive added on a strain day (exponential): a strain is felt even from a "
             "pain-free state, unlike a flare or a bad day, which scale the drive there is",
        "calibrated with minor_strain_rate to da Silva et al. 2019 (one-day probes, docs/validation.md)")
    # --- loop 1: wind-up / central sensitization ----------------------------------------
    sensitization_up: float = _p(0.01, "rate of sensitization build-up per day", _ASSUMED)
    sensitization_down: float = _p(
        0.0123, "rate of sensitization decay per day (slow: memory, hysteresis)",
        "sensitization outlasts its cause by months (Woolf 2011)")
    sensitization_pain: float = _p(0.87, "sensitization drive from sustained pain", _ASSUMED)
    sensitization_threshold: float = _p(
        6.0, "pain level (NRS) at which the wind-up drive is half-maximal", _ASSUMED, le=10.0)
    sensitization_width: float = _p(0.57, "width of the wind-up switch (NRS)", _ASSUMED, ge=1e-3)
    sensitization_spread: float = _p(
        0.0, "spread of the wind-up drive with pain sensitivity: log-factor per logit unit",
        "susceptibility to central sensitization differs between people (Woolf 2011, Pain 152:S2); only a "
        "minority is bistable (../shared/docs/MODEL.md)", le=5.0)
    sensitization_sleep: float = _p(0.22, "sensitization drive from poor sleep",
                                    "sleep loss lowers pain thresholds (Finan et al. 2013, J Pain 14:1539)")
    sensitization_stress: float = _p(0.07, "sensitization drive from stress hormones",
                                     "HPA dysregulation and pain (McEwen & Kalia 2010)")
    # --- loop 2: sleep ---------------------------------------------------------------------
    sleep_rate: float = _p(0.3, "rate at which sleep quality follows its target", _ASSUMED, le=1.0)
    sleep_pain: float = _p(0.91, "loss of sleep quality at pain 10", "Finan et al. 2013")
    sleep_stress: float = _p(0.35, "loss of sleep quality per unit of stress hormones", _ASSUMED)
    sleep_spell_depth: float = _p(0.35, "loss of sleep quality during a bad-sleep spell", _ASSUMED)
    # --- loops 3 and 5: threat, fear-avoidance, guarding --------------------------------
    threat_rate: float = _p(0.28, "rate at which threat appraisal follows its target", _ASSUMED, le=1.0)
    threat_base: float = _p(0.1, "threat appraisal without pain", _ASSUMED)
    threat_pain: float = _p(0.36, "threat appraisal at pain 10",
                            "pain catastrophizing (Sullivan et al. 2001, Clin J Pain 17:52)")
    threat_knowledge: float = _p(0.987, "relative reduction of threat at full knowledge",
                                 "pain neuroscience education (Louw et al. 2016, Physiother Theory Pract 32:332)",
                                 le=1.0)
    knowledge_decay: float = _p(
        0.031, "daily share of care's knowledge about pain that fades, at pain 10 (times (pain/10)^2: "
        "half-life 90 days at pain 5)",
        "assumption: reassurance wears off as pain goes on (Wood & Hendrick 2019, Eur J Pain 23:234: no long-term "
        "effect of adding education) and lasts when experience confirms it (RESTORE, Kent et al. 2023)", le=1.0,
        unit="per day")
    fear_rate: float = _p(0.088, "rate at which fear-avoidance follows its target", _ASSUMED, le=1.0)
    fear_threat: float = _p(0.75, "fear-avoidance per unit of threat", "Vlaeyen & Linton 2000")
    activity_base: float = _p(0.3, "activity level at zero self-efficacy and fear", _ASSUMED)
    activity_self_efficacy: float = _p(0.5, "activity gained per unit of self-efficacy", _ASSUMED)
    activity_fear: float = _p(0.5, "activity lost per unit of fear-avoidance", "Vlaeyen & Linton 2000")
    conditioning_rate: float = _p(0.011, "rate at which conditioning follows activity (slow)",
                                  "deconditioning over weeks to months (Verbunt et al. 2003, Eur J Pain 7:9)",
                                  le=1.0)
    guarding_rate: float = _p(0.3, "rate at which guarding follows its target", _ASSUMED, le=1.0)
    guarding_tissue: float = _p(0.6, "protective guarding per unit of tissue drive", _ASSUMED)
    guarding_threat: float = _p(0.17, "guarding per unit of threat",
                                "muscle guarding with fear (van Dieen et al. 2003, Spine 28:834)")
    # --- loop 4: strain and stress hormones ----------------------------------------------
    stress_rate: float = _p(0.1, "rate at which stress hormones follow their target", _ASSUMED, le=1.0)
    stress_strain: float = _p(0.5, "stress-hormone target per unit of strain", _ASSUMED)
    stress_acute: float = _p(0.5, "stress-hormone target per unit of acute stress", _ASSUMED)
    stress_sleep: float = _p(0.4, "stress-hormone target per unit of poor sleep", _ASSUMED)
    support_buffer: float = _p(0.5, "relative stress reduction at full social support",
                               "stress buffering (Cohen & Wills 1985, Psychol Bull 98:310)", le=1.0)
    inflammation_rate: float = _p(0.062, "rate at which inflammation follows its target", _ASSUMED, le=1.0)
    inflammation_tissue: float = _p(0.156, "inflammation per unit of tissue drive", _ASSUMED)
    inflammation_stress: float = _p(0.3, "inflammation per unit of stress hormones", _ASSUMED)
    strain_rate: float = _p(0.02, "rate at which strain follows its target (slow)", _ASSUMED, le=1.0)
    strain_pain: float = _p(0.39, "strain added at pain 10 (sick leave, money)",
                            "work disability and LBP (Wynne-Jones et al. 2014, Occup Environ Med 71:448)")
    acute_stress_decay: float = _p(0.07, "decay rate of acute stress per day", _ASSUMED, le=1.0)
    # --- balancing: self-efficacy ----------------------------------------------------------
    self_efficacy_rate: float = _p(0.01, "rate at which self-efficacy follows its target", _ASSUMED, le=1.0)
    self_efficacy_conditioning: float = _p(0.3, "self-efficacy gained per unit of conditioning above 0.5",
                                           "mastery experience (Bandura 1977)")
    threat_facilitation: float = _p(
        0.604, "relative rise of the pain gain per unit of threat (descending facilitation)",
        "threat and catastrophizing amplify pain through descending facilitation (Quartana, Campbell & "
        "Edwards 2009, Expert Rev Neurother 9:745); reconceptualising pain lowers it (Moseley & Butler 2015, "
        "J Pain 16:807)")
    # --- disability (RMDQ-like, 0-24) -------------------------------------------------------
    disability_pain: float = _p(0.608, "weight of pain (0-1 scale) in the disability score",
                                "pain 6, fear 0.4 and conditioning 0.45 give about 12, the baseline RMDQ of "
                                "chronic LBP trials (Cherkin et al. 2011, Ann Intern Med 155:1)", le=1.0)
    disability_fear: float = _p(0.443, "weight of fear-avoidance in the disability score",
                                "fear-avoidance beliefs predict disability beyond pain (Vlaeyen & Linton 2000, "
                                "Pain 85:317)", le=1.0)
    disability_deconditioning: float = _p(0.033, "weight of deconditioning (1 - conditioning) in the disability "
                                          "score", _ASSUMED, le=1.0)
    # --- shocks --------------------------------------------------------------------------
    reinjury_rate: float = _p(0.0017, "re-injury (tissue flare) events per day",
                              "about one new LBP episode a year in people with LBP history "
                              "(da Silva et al. 2017, JOSPT 47:305: 33% recur within a year)", le=1.0)
    reinjury_vulnerability: float = _p(
        1.0, "spread of the re-injury rate with tissue vulnerability: log-rate per logit unit",
        "a history of episodes predicts new ones; most primary-care courses are episodic around a person's own "
        "level (Kongsted et al. 2015, Spine J 15:885: 'mild episodic' the commonest class)", le=5.0)
    reinjury_size: float = _p(0.26, "mean tissue drive added by a re-injury (exponential)", _ASSUMED)
    stress_event_rate: float = _p(1 / 120, "stress events per day (about 3 a year)",
                                  "major and minor life events (Holmes & Rahe 1967)", le=1.0)
    stress_event_size: float = _p(0.5, "mean acute stress added by an event (exponential)", _ASSUMED)
    sleep_spell_rate: float = _p(1 / 90, "bad-sleep spells per day (about 4 a year)",
                                 "episodic insomnia (LeBlanc et al. 2009, Sleep 32:1027)", le=1.0)
    sleep_spell_days: float = _p(7.0, "mean length of a bad-sleep spell (days)", _ASSUMED, ge=1.0)
    # --- acute episode at entry ------------------------------------------------------------
    injury_size: float = _p(0.67, "mean tissue drive at the start of an acute episode", _ASSUMED)
    # --- outcome definitions (docs/model.md, 'Outcomes') ---------------------------------
    recovered_pain: float = _p(2.0, "smoothed pain at or below which a day counts as recovered",
                               "recovery as minimal pain (Costa et al. 2009, BMJ 339:b3829)", le=10.0)
    recovered_days: float = _p(30.0, "consecutive recovered days that make a recovery",
                               "pain-free for a month (Costa et al. 2009)", ge=1.0)
    recurrence_pain: float = _p(4.0, "smoothed pain at or above which a recovered patient recurs",
                                "entry criterion of the chronic population", le=10.0)
    high_pain: float = _p(7.0, "reported pain at or above which a day counts as high pain",
                          "time in high pain (Stone et al. 2021, J Pain)", le=10.0)

    def to_array(self) -> np.ndarray:
        """Parameters in declaration order, as the kernel reads them."""
        return np.array([getattr(self, name) for name in PARAM_NAMES], dtype=np.float64)

    @classmethod
    def table(cls) -> list[dict[str, Any]]:
        """One row per parameter: name, default, meaning, source (for docs)."""
        return parameter_table(cls)


def parameter_table(model: type[BaseModel]) -> list[dict[str, Any]]:
    """One row per field of a parameter model made with :func:`parameter`: name, default, meaning, source, unit."""
    return [
        {"name": name, "default": field.default, "meaning": field.description,
         "source": (field.json_schema_extra or {}).get("source", ""),
         "unit": (field.json_schema_extra or {}).get("unit", "")}
        for name, field in model.model_fields.items()
    ]


PARAM_NAMES: tuple[str, ...] = tuple(ModelParams.model_fields)
PARAM_INDEX = {name: i for i, name in enumerate(PARAM_NAMES)}
