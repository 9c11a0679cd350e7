"""Education's effect on pain is short-term (Wood & Hendrick 2019, Eur J Pain 23:234: an
effect in the short term, none in the long term): what education teaches fades back to the
person's own knowledge (docs/model.md, ``knowledge_decay``)."""

from pathlib import Path

import pytest

from painsim.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def weekly_pain():
    result = run_scenario(load_scenario(ROOT / "examples" / "education_fades.toml"), n=1500, seed=3)
    return {arm: r.trajectories["pain"] for arm, r in result.arms.items()}


def _effect(weekly_pain, weeks):
    return float(weekly_pain["education"][weeks].mean() - weekly_pain["no_care"][weeks].mean())


def test_education_helps_in_the_short_term(weekly_pain):
    assert _effect(weekly_pain, slice(8, 13)) <= -0.3


def test_education_effect_is_mostly_gone_at_two_years(weekly_pain):
    short, long = _effect(weekly_pain, slice(8, 13)), _effect(weekly_pain, slice(96, 104))
    assert abs(long) <= abs(short) / 3  # "no long-term effect": at most a third is left
