import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def chronic_small():
    import painsim.engine as pe

    return pe.Cohort.build("chronic", n=600, seed=2024)
