"""The causal structure: loop polarities, and every edge's sign checked in the kernel."""

import numpy as np
import pytest

import painsim.engine as pe
from painsim.engine.loops import LOOPS, REINFORCING, edges
from painsim.engine.variables import MODIFIER_INDEX, STATE_INDEX

# A mid-range state, away from every clip, in which to perturb one variable at a time.
MID_STATE = {
    "tissue": 0.2, "guarding": 0.3, "sensitization": 0.4, "stress_hormones": 0.4,
    "inflammation": 0.2, "sleep": 0.5, "conditioning": 0.4, "threat": 0.4,
    "fear_avoidance": 0.3, "self_efficacy": 0.5, "strain": 0.4, "support": 0.5,
    "knowledge": 0.3, "expectation": 0.5,
}
# Variables computed within the day are perturbed through an upstream lever.
LEVERS = {"pain": ("state", "tissue", 0.3), "activity": ("modifier", "activity_add", 0.2)}
# An edge is a direct effect, other things equal: parallel same-day paths are held fixed.
# Self-efficacy also raises activity (and so mechanical nociception) on the same day.
HOLD = {("self_efficacy", "pain"): ("activity_add", -pe.ModelParams().activity_self_efficacy * 0.2)}


def _one_day_response(source: str, target: str) -> float:
    cohort = pe.Cohort.build("acute", n=1, seed=3)
    cohort = pe.Cohort.concat([cohort, cohort.copy()])  # same id: same random streams
    for name, value in MID_STATE.items():
        cohort.state[STATE_INDEX[name]] = value
    kind, lever, delta = LEVERS.get(source, ("state", source, 0.2))
    if kind == "state":
        cohort.state[STATE_INDEX[lever], 1] += delta
    else:
        cohort.modifiers[MODIFIER_INDEX[lever], 1] += delta
    if (source, target) in HOLD:
        modifier, offset = HOLD[(source, target)]
        cohort.modifiers[MODIFIER_INDEX[modifier], 1] += offset
    after = pe.simulate(cohort, 1, pe.Record.summaries()).cohort.state
    row = STATE_INDEX["pain_latent" if target == "pain" else target]
    return float(after[row, 1] - after[row, 0])


@pytest.mark.parametrize("edge", edges(), ids=lambda e: f"{e.source}->{e.target}")
def test_edge_sign_holds_in_the_kernel(edge):
    response = _one_day_response(edge.source, edge.target)
    assert np.sign(response) == edge.sign, f"{edge}: response {response:+.3g}"


@pytest.mark.parametrize("loop", REINFORCING, ids=lambda loop: loop.name)
def test_reinforcing_loops_have_positive_polarity_and_close(loop):
    assert loop.polarity == +1
    assert loop.edges[0].source == loop.edges[-1].target == "pain"
    assert loop.switch in loop.edges


def test_loop_names_are_unique_and_switches_are_loop_specific():
    names = [loop.name for loop in LOOPS]
    assert len(names) == len(set(names))
    for loop in REINFORCING:
        others = [e for other in REINFORCING if other is not loop for e in other.edges]
        assert loop.switch not in others


def test_switching_a_loop_off_cuts_its_edge():
    cohort = pe.Cohort.build("acute", n=1, seed=3)
    for name, value in MID_STATE.items():
        cohort.state[STATE_INDEX[name]] = value
    cohort.state[STATE_INDEX["tissue"]] = 0.9
    on = pe.simulate(cohort, 20, pe.Record.summaries()).cohort.state
    off = pe.simulate(cohort, 20, pe.Record.summaries(), loops={"fear_avoidance": 0}).cohort.state
    assert off[STATE_INDEX["fear_avoidance"], 0] < on[STATE_INDEX["fear_avoidance"], 0]
