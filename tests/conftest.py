import painsim  # noqa: F401  (first, before numpy loads: pins the BLAS kernels, painsim._blas)

# isort: split
import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """No test writes to the user's own results store: the default store is a temporary one."""
    if "PAINSIM_STORE" not in __import__("os").environ:
        monkeypatch.setenv("PAINSIM_STORE", str(tmp_path_factory.mktemp("store")))


@pytest.fixture(scope="session")
def chronic_small():
    import painsim.engine as pe

    return pe.Cohort.build("chronic", n=600, seed=2024)
