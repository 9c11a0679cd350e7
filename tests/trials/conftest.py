import pytest

from painsim.trials import analyse, parse_trial, run_trial

THREE_ARMS = """
name = "three_arms"
seed = 7
[arms.massage]
n = 40
massage = { schedule = { count = 6, every_days = 7 } }
[arms.sham]
n = 40
sham = { schedule = { count = 6, every_days = 7 } }
[arms.usual_care]
n = 40
usual_care = {}
[visits]
weeks = [6, 12]
[randomisation]
scheme = "stratified"
block_sizes = [3, 6]
strata = { rmdq = [12] }
[follow_up]
loss_per_visit = 0.05
loss_after_care_dropout = 0.3
missed_visit = 0.05
[analysis]
imputations = 5
"""


@pytest.fixture(scope="session")
def three_arm_spec():
    return parse_trial(THREE_ARMS)


@pytest.fixture(scope="session")
def three_arm_data(three_arm_spec):
    return run_trial(three_arm_spec)


@pytest.fixture(scope="session")
def three_arm_cc(three_arm_data):
    return analyse(three_arm_data, method="complete_case")
