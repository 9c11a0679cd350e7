import pytest

SMALL_SCENARIO = """
name = "small"
n = 200
seed = 5
horizon_days = 365
[population]
entry = "chronic"
[arms.no_care]
"""


@pytest.fixture(scope="session")
def cluster_client():
    """A real LocalCluster: two worker processes, one thread each, no dashboard."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


@pytest.fixture(scope="session")
def small_scenario():
    from painsim.scenario import parse_scenario

    return parse_scenario(SMALL_SCENARIO)
