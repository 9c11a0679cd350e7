import numpy as np
from scipy import stats

from painsim.engine import rng


def test_uniforms_are_uniform_and_in_open_interval():
    u = rng.uniforms_for(7, np.arange(50_000), rng.REINJURY, 3)
    assert u.min() > 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_normals_are_standard_normal():
    z = rng.normals_for(7, np.arange(50_000), rng.NOISE_A, rng.NOISE_B, 11)
    assert stats.kstest(z, "norm").pvalue > 0.001


def test_streams_are_keyed_by_seed_patient_process_and_day():
    ids = np.arange(20_000)
    base = rng.uniforms_for(1, ids, rng.REINJURY, 5)
    np.testing.assert_array_equal(base, rng.uniforms_for(1, ids, rng.REINJURY, 5))
    for other in (
        rng.uniforms_for(2, ids, rng.REINJURY, 5),
        rng.uniforms_for(1, ids, rng.STRESS_EVENT, 5),
        rng.uniforms_for(1, ids, rng.REINJURY, 6),
        rng.uniforms_for(1, ids + 1, rng.REINJURY, 5),
    ):
        assert abs(np.corrcoef(base, other)[0, 1]) < 0.03


def test_a_patients_draw_does_not_depend_on_the_others():
    ids = np.arange(1000)
    whole = rng.uniforms_for(3, ids, rng.SLEEP_SPELL, 9)
    assert rng.uniforms_for(3, ids[500:501], rng.SLEEP_SPELL, 9)[0] == whole[500]
