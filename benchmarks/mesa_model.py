"""The painsim daily update written as agents in Mesa 3 (the baseline of benchmarks/bench_engine.py).

This is what a researcher would write with an agent-based framework: one ``PatientAgent``
per patient holding its state as attributes, a ``step()`` that runs the daily update of
docs/model.md (shocks, activity, nociception, pain, disability, the loops), and a Mesa
``Model`` that calls every agent's ``step`` once a day (``agents.do("step")``). Care is
not modelled (the no-care arm), nor the outcome bookkeeping other than the cohort mean of
reported pain per day, which is what the agreement check compares.

The equations are those of ``src/painsim/engine/kernel.py`` term by term; the shocks use
Python's ``random.Random`` per agent (seeded from the patient id), so runs are not
bit-identical to painsim's counter-based streams but follow the same distributions.
Agents start from the state and traits of a painsim cohort, so both run the same
population.
"""

from __future__ import annotations

import math
import random

import mesa
import numpy as np

from painsim.engine.kernel import kernel_params
from painsim.engine.phases import (
    EXPECTATION_RATE,
    OWN_KNOWLEDGE_BASE,
    OWN_KNOWLEDGE_RESOURCES,
    SUPPORT_RATE,
)
from painsim.engine.variables import (
    S_A,
    S_C,
    S_E,
    S_F,
    S_G,
    S_H,
    S_I,
    S_K,
    S_N,
    S_S,
    S_SPELL,
    S_T,
    S_U,
    S_V,
    S_VS,
    S_W,
    S_X,
    S_Z,
    TRAITS,
)  # fmt: skip

STATE_ROWS = {"T": S_T, "G": S_G, "C": S_C, "H": S_H, "I": S_I, "S": S_S, "K": S_K, "A": S_A, "F": S_F,
              "E": S_E, "X": S_X, "N": S_N, "W": S_W, "U": S_U, "Z": S_Z, "spell": S_SPELL, "V": S_V,
              "VS": S_VS}


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


class PatientAgent(mesa.Agent):
    """One virtual patient: state as attributes, the daily update as ``step``."""

    def __init__(self, model: PainModel, state: dict[str, float], traits: dict[str, float], seed: int):
        super().__init__(model)
        self.rand = random.Random(seed)
        p = model.p
        self.sens = p.sensitivity_base + p.sensitivity_range * traits["pain_sensitivity"]
        self.sleepv = 0.5 + traits["sleep_vulnerability"]
        self.stressr = 0.5 + traits["stress_reactivity"]
        self.cat = 0.5 + traits["catastrophizing"]
        self.se0 = traits["self_efficacy"]
        self.support0 = traits["social_support"]
        self.work0 = traits["work_strain"]
        self.money_buffer = 1.5 - traits["resources"]
        self.knowledge0 = OWN_KNOWLEDGE_BASE + OWN_KNOWLEDGE_RESOURCES * traits["resources"]
        t = min(max(traits["tissue_resilience"], 1e-6), 1.0 - 1e-6)
        self.resilience = max(p.heal_min, math.exp(p.heal_spread * math.log(t / (1.0 - t))))
        self.care0 = traits["care_experience"]
        self.floor = p.tissue_floor * traits["tissue_vulnerability"]
        v = min(max(traits["tissue_vulnerability"], 1e-6), 1.0 - 1e-6)
        ps_t = min(max(traits["pain_sensitivity"], 1e-6), 1.0 - 1e-6)
        self.windup_k = math.exp(p.sensitization_spread * math.log(ps_t / (1.0 - ps_t)))
        self.reinjury_p = min(1.0, p.reinjury_rate * math.exp(p.reinjury_vulnerability * math.log(v / (1.0 - v))))
        for name, value in state.items():
            setattr(self, name, value)
        self.P = self.PO = self.D = 0.0

    def step(self) -> None:
        p = self.model.p
        g = self.model.gains
        r = self.rand
        # 1. shocks
        if r.random() < self.reinjury_p:
            self.T = min(1.0, self.T + p.reinjury_size * r.expovariate(1.0))
        if r.random() < p.stress_event_rate:
            self.Z += p.stress_event_size * r.expovariate(1.0)
        if self.spell > 0.0:
            self.spell -= 1.0
        elif r.random() < p.sleep_spell_rate:
            self.spell = math.ceil(r.expovariate(1.0) * p.sleep_spell_days)
        self.V = self.model.persistence * self.V + self.model.innovation * r.gauss(0.0, 1.0)
        if self.model.slow_innovation > 0.0:
            self.VS = self.model.slow_persistence * self.VS + self.model.slow_innovation * r.gauss(0.0, 1.0)
        flare = 1.0 + (p.flare_gain * r.expovariate(1.0) if r.random() < p.flare_rate else 0.0)
        minor = p.minor_strain_size * r.expovariate(1.0) if r.random() < p.minor_strain_rate else 0.0
        # 2. activity, nociception, pain, disability
        act = min(1.0, max(0.05, p.activity_base + p.activity_self_efficacy * self.E - p.activity_fear * self.F))
        decond = 1.0 - self.K
        noci = (self.T + minor + p.nociception_guarding * self.G + p.nociception_inflammation * self.I
                                   + p.nociception_deconditioning * decond * decond * (0.5 + 0.5 * act))
        gain = self.sens * (1.0 + p.sensitization_gain * self.C) * (1.0 + p.threat_facilitation * self.A)
        inhib = p.inhibition * (0.4 * self.E + 0.3 * self.S + 0.3 * (1.0 - self.A))
        q = max(0.0, gain * noci - inhib) * math.exp(self.V + self.VS) * flare
        P = 10.0 * (1.0 - math.exp(-q / p.pain_scale))
        self.P = P
        rating_sd = p.measurement_noise * min(1.0, P / p.measurement_noise_pain)
        self.PO = min(10.0, max(0.0, P + rating_sd * r.gauss(0.0, 1.0)))
        self.D = 24.0 * _clip01(p.disability_pain * P / 10.0 + p.disability_fear * self.F
                                + p.disability_deconditioning * decond)
        self.model.pain_sum += self.PO
        # 4. loops
        pain01 = P / 10.0
        windup = 1.0 / (1.0 + math.exp(-(P - p.sensitization_threshold) / p.sensitization_width))
        drive = (g[0] * p.sensitization_pain * self.windup_k * windup + p.sensitization_sleep * (1.0 - self.S)
                 + p.sensitization_stress * self.H)
        self.C = _clip01(self.C + p.sensitization_up * drive * (1.0 - self.C) - p.sensitization_down * self.C)
        spell_on = 1.0 if self.spell > 0.0 else 0.0
        sleep_target = _clip01(1.0 - self.sleepv * (g[1] * p.sleep_pain * pain01 + p.sleep_stress * self.H
                                                    + p.sleep_spell_depth * spell_on))
        self.S += p.sleep_rate * (sleep_target - self.S)
        stress_target = _clip01(self.stressr * (p.stress_strain * self.W + p.stress_acute * min(self.Z, 1.0)
                                                + p.stress_sleep * (1.0 - self.S)) * (1.0 - p.support_buffer * self.U))
        self.H += p.stress_rate * (stress_target - self.H)
        self.I += p.inflammation_rate * (_clip01(p.inflammation_tissue * self.T + p.inflammation_stress * self.H)
                                         - self.I)
        self.W += p.strain_rate * (_clip01(self.work0 + g[3] * p.strain_pain * pain01 * self.money_buffer) - self.W)
        self.Z *= 1.0 - p.acute_stress_decay
        self.U += SUPPORT_RATE * (self.support0 - self.U)
        threat_target = _clip01(self.cat * (p.threat_base + p.threat_pain * pain01)
                                * (1.0 - p.threat_knowledge * self.N))
        self.A += p.threat_rate * (threat_target - self.A)
        self.N -= p.knowledge_decay * pain01 * pain01 * (self.N - self.knowledge0)
        self.F += p.fear_rate * (_clip01(g[2] * p.fear_threat * self.A * (1.0 - 0.5 * self.E)) - self.F)
        self.G += p.guarding_rate * (_clip01(p.guarding_tissue * self.T + g[4] * p.guarding_threat * self.A) - self.G)
        self.K += min(1.0, p.conditioning_rate) * (act - self.K)
        self.E += p.self_efficacy_rate * (_clip01(self.se0 + p.self_efficacy_conditioning * (self.K - 0.5)) - self.E)
        self.X += EXPECTATION_RATE * (self.care0 - self.X)
        self.T -= min(1.0, p.heal_rate * self.resilience * (0.5 + 0.5 * self.K)) * (self.T - self.floor)


class PainModel(mesa.Model):
    """A cohort of ``PatientAgent``; ``step()`` is one day. ``mean_pain`` holds the daily cohort means."""

    def __init__(self, cohort, seed: int = 0):
        super().__init__(seed=seed)
        self.p = kernel_params(cohort.params)
        self.gains = (1.0, 1.0, 1.0, 1.0, 1.0)
        self.persistence = math.exp(-1.0 / self.p.fluctuation_days)
        self.innovation = self.p.fluctuation_sd * math.sqrt(1.0 - self.persistence**2)
        self.slow_persistence = math.exp(-1.0 / self.p.slow_fluctuation_days)
        self.slow_innovation = self.p.slow_fluctuation_sd * math.sqrt(1.0 - self.slow_persistence**2)
        self.mean_pain: list[float] = []
        self.pain_sum = 0.0
        state = cohort.state.astype(np.float64)
        traits = cohort.traits.astype(np.float64)
        for j, pid in enumerate(cohort.ids.tolist()):
            PatientAgent(self, {name: float(state[k, j]) for name, k in STATE_ROWS.items()},
                         {name: float(traits[k, j]) for k, name in enumerate(TRAITS)}, seed * 1_000_003 + pid)

    def step(self) -> None:
        self.pain_sum = 0.0
        self.agents.do("step")
        self.mean_pain.append(self.pain_sum / len(self.agents))


def run_mesa(cohort, days: int, seed: int = 0) -> tuple[np.ndarray, float, float]:
    """Build the Mesa model from ``cohort`` and run ``days`` days.

    Returns the cohort mean reported pain per day, the build time and the stepping time (s).
    """
    import time

    t0 = time.perf_counter()
    model = PainModel(cohort, seed)
    t1 = time.perf_counter()
    for _ in range(days):
        model.step()
    t2 = time.perf_counter()
    return np.array(model.mean_pain), t1 - t0, t2 - t1
