"""The sequential Monte Carlo fit: its measurement model, what it learns from a diary, its ids."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.diary import diary_from_ratings, fit_diary, rating_likelihood
from painsim.diary.inference import prior_particles
from painsim.engine import ModelParams


def test_the_likelihood_peaks_at_the_rating_and_never_vanishes():
    latent = np.linspace(0, 10, 101)
    lik = rating_likelihood(6.0, latent, ModelParams())
    assert abs(latent[np.argmax(lik)] - 6.0) <= 0.05
    assert lik.min() > 0  # a slip: no rating zeroes every particle
    assert lik[latent == 6.0] > 50 * lik[latent == 8.0]
    zero = rating_likelihood(0.0, np.array([0.0, 0.2, 1.0]), ModelParams())
    assert zero[0] > 0.95 and zero[2] < 0.01  # a pain-free day is rated 0 (docs/model.md)
    half = rating_likelihood(6.0, np.array([6.4]), ModelParams(), step=0.5)
    assert half[0] < rating_likelihood(6.0, np.array([6.4]), ModelParams(), step=1.0)[0]


@pytest.fixture(scope="module")
def prior():
    return prior_particles(600, seed=5, population="chronic")


def test_the_fit_follows_the_diary_and_tells_high_from_low_pain(prior):
    high = fit_diary(diary_from_ratings([8, 7, 8, 8, 7, 8, 8, 7, 8, 8, 8, 7, 8, 8]), seed=1, prior=prior)
    low = fit_diary(diary_from_ratings([3, 2, 3, 3, 2, 3, 2, 3, 3, 2, 3, 3, 2, 3]), seed=1, prior=prior)
    assert abs(np.mean(high.fitted["p50"][-7:]) - 7.7) < 0.8
    assert abs(np.mean(low.fitted["p50"][-7:]) - 2.7) < 0.8
    # two weeks of ratings say more about the state than the traits: higher pain is explained by
    # more sensitization, tissue drive and threat now (measured: 0.35/0.19/0.27 against 0.17/0.12/0.13)
    from painsim.engine.variables import S_A, S_C, S_T

    def state_mean(fit, row):
        return float(np.concatenate([g.state[row] for g in fit.particles.groups]) @ fit.particles.weights)

    for row in (S_C, S_T, S_A):
        assert state_mean(high, row) > 1.3 * state_mean(low, row), row
    assert 1 <= high.min_ess <= len(prior) and high.resampled_days


def test_resampled_particles_have_fresh_unique_ids(prior):
    fit = fit_diary(diary_from_ratings([6, 5, 6, 7, 6, 5, 6, 6, 5, 6]), seed=2, prior=prior)
    ids = np.concatenate([g.ids for g in fit.particles.groups])
    assert np.unique(ids).size == ids.size
    assert not np.intersect1d(ids, np.concatenate([g.ids for g in prior.groups])).size


def test_the_same_seed_gives_the_same_fit_and_population_only_does_not_weigh(prior):
    diary = diary_from_ratings([5, 6, 5, 4, 5, 6, 5, 5])
    a, b = fit_diary(diary, seed=3, prior=prior), fit_diary(diary, seed=3, prior=prior)
    assert a.ess_history == b.ess_history and a.fitted == b.fitted
    free = fit_diary(diary, seed=3, prior=prior, condition=False)
    assert free.ess == pytest.approx(len(prior)) and not free.resampled_days


def test_parameter_draws_share_the_particles_by_weight():
    draws = [ModelParams(), ModelParams(measurement_noise=0.5)]
    cloud = prior_particles(100, seed=4, params_draws=draws, draw_weights=[3, 1], prior_patients=20)
    assert [len(g) for g in cloud.groups] == [75, 25]
    assert cloud.groups[1].params.measurement_noise == 0.5
    only_first = prior_particles(50, seed=4, params_draws=draws, draw_weights=[1, 0], prior_patients=10)
    assert len(only_first.groups) == 1
    with pytest.raises(ValueError, match="draw_weights"):
        prior_particles(50, seed=4, params_draws=draws, draw_weights=[1, -1])
    fit = fit_diary(diary_from_ratings([6] * 8), particles=100, seed=4, params_draws=draws, draw_weights=[1, 1],
                    prior_patients=20)
    assert fit.n_particles == 100
