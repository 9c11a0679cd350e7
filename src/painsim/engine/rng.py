"""Counter-based random numbers: common random numbers keyed by (seed, patient, process, day).

Each draw is a pure function of its key, hashed with the SplitMix64 finaliser (Steele,
Lea & Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA). Nothing is
carried from one draw to the next, so a patient meets the same life events whatever
arm, chunk or worker simulates them (starsim calls this common random numbers).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from painsim.engine import vmath

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_TWO_M53 = 1.0 / 9007199254740992.0

# Process identifiers: one independent stream each.
REINJURY = 1
REINJURY_SIZE = 2
STRESS_EVENT = 3
STRESS_SIZE = 4
SLEEP_SPELL = 5
SLEEP_SPELL_LENGTH = 6
NOISE_A = 7
NOISE_B = 8
FLUCTUATION_A = 9
FLUCTUATION_B = 10
ATTENDANCE = 11
EXERCISE = 12
QUESTIONNAIRE_A = 13  # measurement error of a trial's questionnaires (painsim.trials), "day" = visit
QUESTIONNAIRE_B = 14
FLARE = 40  # short flares (hours to a day)
FLARE_SIZE = 41
STRAIN = 42  # brief minor strains: a day of new nociceptive drive
STRAIN_SIZE = 43
SLOW_FLUCTUATION_A = 44  # slow spells: weeks to months of worse or better pain
SLOW_FLUCTUATION_B = 45
INITIAL_STATE = 20
ENTRY_DURATION = 21  # duration of pain at entry of a screened candidate (painsim.engine.screening), day 0
TRAITS_BASE = 100  # traits use TRAITS_BASE + 2k and TRAITS_BASE + 2k + 1


@nb.njit(inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(inline="always")
def patient_key(seed, patient):
    """The 64-bit key of one patient's streams; computed once per patient."""
    return _mix(_mix(np.uint64(seed) + _GOLDEN) ^ ((np.uint64(patient) + np.uint64(1)) * _GOLDEN))


@nb.njit(inline="always")
def uniform(key, process, day):
    """A uniform draw in (0, 1) for ``process`` on ``day`` of the patient with ``key``."""
    h = _mix(key ^ _mix((np.uint64(process) << _S32) + np.uint64(day) * _GOLDEN))
    return (np.float64(h >> _S11) + 0.5) * _TWO_M53


@nb.njit(inline="always")
def normal(key, process_a, process_b, day):
    """A standard normal draw (Box-Muller) from two uniform streams."""
    u1 = uniform(key, process_a, day)
    u2 = uniform(key, process_b, day)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@nb.njit(inline="always", error_model="numpy")
def fast_normal(key, process_a, process_b, day):
    """The standard normal of :func:`normal` (the same two uniforms, Box-Muller) with the
    log and cosine of :mod:`painsim.engine.vmath`, which vectorise: what the kernels draw
    each day. It differs from :func:`normal` in the last bits only."""
    u1 = uniform(key, process_a, day)
    u2 = uniform(key, process_b, day)
    return np.sqrt(-2.0 * vmath.log(u1)) * vmath.cos2pi(u2)


@nb.njit(cache=True)
def normals_for(seed: int, patients: np.ndarray, process_a: int, process_b: int, day: int):
    """Vector of standard normals, one per patient id, for one (process, day)."""
    out = np.empty(patients.shape[0], dtype=np.float64)
    for j in range(patients.shape[0]):
        key = patient_key(seed, patients[j])
        out[j] = normal(key, process_a, process_b, day)
    return out


@nb.njit(cache=True)
def uniforms_for(seed: int, patients: np.ndarray, process: int, day: int):
    """Vector of uniforms in (0, 1), one per patient id, for one (process, day)."""
    out = np.empty(patients.shape[0], dtype=np.float64)
    for j in range(patients.shape[0]):
        out[j] = uniform(patient_key(seed, patients[j]), process, day)
    return out
