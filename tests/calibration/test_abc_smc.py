"""ABC-SMC (issue 16, first slice): the posterior of a toy problem with a known analytic
posterior, the same posterior whatever the map and after a resume, and clear errors."""

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from painsim.calibration.abc_smc import OrderedBatchSampler, UniformPrior, abc_smc

SE = 0.2  # standard error of the observed mean: a sufficient statistic of a normal mean
OBSERVED = {"mean": 0.7}


def _model(parameters):
    return {"mean": parameters["mu"] + SE * np.random.normal()}


def _distance(a, b):
    return abs(a["mean"] - b["mean"])


def _run(tmp_path, name, *, map_=map, seed=3, generations=6, resume=False, population_size=300):
    return abc_smc(_model, {"mu": UniformPrior(-4.0, 4.0)}, OBSERVED, _distance, tmp_path / name,
                   population_size=population_size, generations=generations, seed=seed, map_=map_, resume=resume)


def test_a_normal_mean_has_the_analytic_posterior(tmp_path):
    # flat prior, y ~ N(mu, SE^2): the posterior is N(y, SE^2) (the prior's edges are 16 SE
    # away); ABC at tolerance eps convolves it with U(-eps, eps): SD sqrt(SE^2 + eps^2 / 3).
    # Measured over seeds 1-3 (population 300, 5 generations): means 0.703-0.717, SDs
    # 0.193-0.221, final eps 0.116-0.124; the bounds leave room for that Monte Carlo spread.
    post = _run(tmp_path, "toy.db", generations=5, population_size=300)
    mean, sd = float(post.mean()["mu"]), float(post.sd()["mu"])
    eps = float(post.generations["epsilon"].iloc[-1])
    abc_sd = np.sqrt(SE**2 + eps**2 / 3)
    assert abs(mean - OBSERVED["mean"]) < 0.3 * SE, mean
    assert 0.8 * abc_sd < sd < 1.25 * abc_sd, (sd, abc_sd)
    assert sd < 0.15 * 8 / np.sqrt(12)  # far narrower than the prior
    assert post.quantile(0.05)["mu"] < OBSERVED["mean"] < post.quantile(0.95)["mu"]
    epsilons = post.generations["epsilon"].to_numpy()
    assert np.all(np.diff(epsilons) < 0) and epsilons[-1] < SE  # the tolerance shrinks below the noise
    assert post.generations["acceptance"].between(0, 1).all()
    assert 0.5 * 300 < post.ess <= 300


def test_the_posterior_does_not_depend_on_the_map_but_on_the_seed(tmp_path):
    serial = _run(tmp_path, "serial.db", generations=3, population_size=100)
    # processes, as Dask workers are (threads of one process would share numpy's global generator)
    with ProcessPoolExecutor(2) as pool:
        threaded = _run(tmp_path, "processes.db", map_=pool.map, generations=3, population_size=100)
    np.testing.assert_array_equal(serial.draws.to_numpy(), threaded.draws.to_numpy())
    np.testing.assert_array_equal(serial.weights, threaded.weights)
    assert serial.evaluations == threaded.evaluations
    other = _run(tmp_path, "other.db", seed=4, generations=3, population_size=100)
    assert not np.array_equal(serial.draws.to_numpy(), other.draws.to_numpy())


def test_an_interrupted_run_resumed_ends_where_an_uninterrupted_one_does(tmp_path):
    straight = _run(tmp_path, "straight.db", generations=4, population_size=100)
    _run(tmp_path, "interrupted.db", generations=2, population_size=100)
    resumed = _run(tmp_path, "interrupted.db", generations=4, population_size=100, resume=True)
    assert len(resumed.generations) == 4
    np.testing.assert_allclose(resumed.draws.to_numpy(), straight.draws.to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(resumed.weights, straight.weights, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("call", "message"), [
    (lambda db: abc_smc(_model, {}, OBSERVED, _distance, db), "priors is empty"),
    (lambda db: abc_smc(_model, {"mu": UniformPrior(0, 1)}, OBSERVED, _distance, db, population_size=1),
     "population_size must be at least 2"),
    (lambda db: abc_smc(_model, {"mu": UniformPrior(0, 1)}, OBSERVED, _distance, db, generations=0),
     "generations must be at least 1"),
    (lambda db: UniformPrior(1.0, 1.0), "finite low < high"),
    (lambda db: UniformPrior(0.0, 1.0, log=True), "low > 0"),
    (lambda db: OrderedBatchSampler(batch_size=0), "batch_size must be at least 1"),
    (lambda db: abc_smc(_model, {"mu": UniformPrior(0, 1)}, OBSERVED, _distance, db, kernel_scale=0.0),
     "kernel_scale must be positive"),
])
def test_bad_settings_are_clear_errors(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(tmp_path / "bad.db")


def test_simulation_based_calibration_small_version():
    """Talts et al. 2018 on the toy (benchmarks/abc_sbc.py has the 100-dataset version): over
    synthetic datasets from known means drawn from the prior, the posterior mass below the
    truth is uniform, so central 90% intervals cover it about 90% of the time. 24 datasets
    give a binomial SD of 6 points: the bounds are 90% -3 SD to 100%, and a posterior of the
    right width is told from one a third as wide (coverage then about 40%)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "abc_sbc.py"
    spec = importlib.util.spec_from_file_location("abc_sbc", path)
    sbc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sbc)
    sys.modules["abc_sbc"] = sbc  # so that forked workers can find its functions
    with ProcessPoolExecutor(2) as pool:
        masses = np.array(list(pool.map(sbc.mass_below_truth, range(24), [80] * 24, [3] * 24)))
    assert 0.72 <= sbc.coverage(masses) <= 1.0
    assert 0.2 < masses.mean() < 0.8  # no systematic bias to one side


def test_a_particle_whose_cohort_cannot_be_found_is_rejected_not_a_crash(monkeypatch):
    from types import SimpleNamespace

    from painsim.calibration import abc_smc as module
    from painsim.calibration import fitting
    from painsim.engine.screening import ScreeningError

    def cannot_screen(values, targets, names=None):
        raise ScreeningError("eligibility: screening stopped")

    monkeypatch.setattr(fitting, "evaluate", cannot_screen)
    targets = SimpleNamespace(targets=[SimpleNamespace(name="a"), SimpleNamespace(name="b")])
    simulated = module._simulate_targets(targets, {"heal_rate": 0.5})
    assert set(simulated) == {"a", "b"} and all(np.isnan(v) for v in simulated.values())
    assert module._standardised_distance(("a", "b"), (1.0, 1.0), simulated, {"a": 0.0, "b": 0.0}) == float("inf")


def test_simulation_based_calibration_on_painsim_targets_small_version():
    """The real code path (a targets file, calibrate_abc, painsim cohorts) on 6 synthetic
    datasets (benchmarks/abc_sbc_painsim.py has the 100-dataset version): per parameter, the
    truth lies in the central 90% interval in at least 4 of 6 datasets (probability 0.98 when
    the intervals are calibrated; a normal posterior a third as wide covers the truth 42% of
    the time, 2.5 of 6)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "abc_sbc_painsim.py"
    spec = importlib.util.spec_from_file_location("abc_sbc_painsim", path)
    sbc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sbc)
    sys.modules["abc_sbc_painsim"] = sbc  # so that the workers can find its functions
    sds = sbc.noise_sds(cohorts=12)
    assert all(0.005 < sd < 0.2 for sd in sds.values()), sds
    with ProcessPoolExecutor(2) as pool:
        rows = list(pool.map(sbc.masses_below_truth, range(6), [20] * 6, [2] * 6, [sds] * 6))
    for name in sbc.PRIORS:
        masses = np.array([row[name] for row in rows])
        assert np.all((masses >= 0) & (masses <= 1))
        assert sbc.coverage(masses) >= 4 / 6, (name, masses)


def test_the_tolerance_stops_at_its_floor(tmp_path):
    post = abc_smc(_model, {"mu": UniformPrior(-4.0, 4.0)}, OBSERVED, _distance, tmp_path / "floor.db",
                   population_size=100, generations=10, seed=3, min_epsilon=0.5)
    epsilons = post.generations["epsilon"].to_numpy()
    assert len(epsilons) < 10 and epsilons[-1] == 0.5 and np.all(epsilons >= 0.5)


def test_the_noise_floor_is_where_the_truth_is_rejected_one_time_in_twenty():
    from painsim.calibration.abc_smc import noise_floor

    rng = np.random.default_rng(5)
    for k in (1, 4, 25):
        rms = np.sqrt(np.mean(rng.normal(size=(100_000, k)) ** 2, axis=1))
        assert np.mean(rms > noise_floor(k)) == pytest.approx(0.05, abs=0.003)
    with pytest.raises(ValueError, match="n_targets"):
        noise_floor(0)


def test_a_wider_kernel_keeps_the_weights_of_fifteen_parameters_even():
    """benchmarks/abc_kernel_scale.py at a small size: with Silverman's kernel the effective
    sample size collapses in 15 dimensions (measured at population 100: 10.4 and 5.5 after
    generation 0), three times its covariance keeps more of it (25.3 and 35.5)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "abc_kernel_scale.py"
    spec = importlib.util.spec_from_file_location("abc_kernel_scale", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    narrow, wide = (bench.run(scale, population=100, generations=3, seed=1) for scale in (1.0, 3.0))
    assert wide["final_ess"] > 3 * narrow["final_ess"], (narrow["ess"], wide["ess"])
