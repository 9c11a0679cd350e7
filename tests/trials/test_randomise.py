import numpy as np
import pytest

from painsim.trials.randomise import allocate, block_sequence, strata_of


def test_permuted_blocks_are_balanced_after_every_block():
    rng = np.random.default_rng(1)
    arms = block_sequence(600, [1, 1, 1], [3, 6, 9], rng)
    counts = np.zeros(3, dtype=int)
    ends = 0
    for k, arm in enumerate(arms):
        counts[arm] += 1
        # within any run the imbalance never exceeds the largest block's share
        assert counts.max() - counts.min() <= 3
        if counts.min() == counts.max():
            ends += 1
            assert (k + 1) % 3 == 0
    assert ends >= 600 // 9


def test_block_ratio_and_exact_totals():
    arms = allocate("blocks", [200, 100], [2, 1], [3, 6], np.random.default_rng(2))
    assert arms.size == 300
    assert np.bincount(arms).tolist() == [200, 100]
    arms = allocate("blocks", [132, 136, 133], [1, 1, 1], [3, 6], np.random.default_rng(3))
    assert np.bincount(arms).tolist() == [132, 136, 133]
    assert np.all(np.abs(np.diff(np.bincount(arms[:390]))) <= 3)  # balanced while all arms recruit
    arms = allocate("complete", [132, 136, 133], [1, 1, 1], [3], np.random.default_rng(3))
    assert np.bincount(arms).tolist() == [132, 136, 133]


def test_simple_randomisation_is_independent_with_the_given_probabilities():
    arms = allocate("simple", [3000, 1000], [1, 1], [2], np.random.default_rng(4))
    assert abs(np.mean(arms == 0) - 0.75) < 0.02
    assert np.bincount(arms).sum() == 4000


def test_stratified_blocks_balance_within_each_stratum():
    rng = np.random.default_rng(5)
    baseline = {"rmdq": rng.uniform(3, 24, 500), "pain": rng.uniform(3, 10, 500)}
    strata = strata_of(baseline, {"rmdq": [12], "pain": [6, 8]})
    assert set(np.unique(strata)) == set(range(6))
    assert np.all(strata[(baseline["rmdq"] < 12) & (baseline["pain"] < 6)] == 0)
    assert np.all(strata[(baseline["rmdq"] >= 12) & (baseline["pain"] >= 8)] == 5)
    arms = allocate("stratified", [250, 250], [1, 1], [2, 4], rng, strata)
    for stratum in range(6):
        members = arms[strata == stratum]
        imbalance = abs(int(np.sum(members == 0)) - int(np.sum(members == 1)))
        assert imbalance <= 2  # at most half of the largest block is left open per stratum


def test_allocation_is_reproducible_and_checked():
    a = allocate("blocks", [50, 50], [1, 1], [4], np.random.default_rng([9, 1]))
    b = allocate("blocks", [50, 50], [1, 1], [4], np.random.default_rng([9, 1]))
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="unknown randomisation scheme"):
        allocate("urn", [5, 5], [1, 1], [2], np.random.default_rng(0))
    with pytest.raises(ValueError, match="one stratum per participant"):
        allocate("stratified", [5, 5], [1, 1], [2], np.random.default_rng(0))


def test_trial_allocation_follows_the_spec(three_arm_data):
    frame = three_arm_data.frame
    assert len(frame) == 120
    for stratum in frame["stratum"].unique():
        counts = frame.loc[frame["stratum"] == stratum, "arm"].value_counts()
        assert counts.max() - counts.min() <= 3
    low = frame["baseline_rmdq"] < 12
    assert (frame.loc[low, "stratum"] == 0).all() and (frame.loc[~low, "stratum"] == 1).all()
