import numpy as np
import pandas as pd
import pytest

from painsim.store import Store

SCENARIO = '[cohort]\npopulation = "chronic"\nn = 200\n\n[simulate]\ndays = 56\n'


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")


@pytest.fixture
def frames():
    rng = np.random.default_rng(7)
    trajectories = pd.DataFrame({
        "day": np.repeat(np.arange(4), 3),
        "patient": np.tile(np.arange(3), 4),
        "pain": rng.uniform(0, 10, 12),
        "state": pd.Categorical(rng.choice(["acute", "chronic"], 12)),
    })
    patients = pd.DataFrame({"pain_end": rng.uniform(0, 10, 3), "recovered": [True, False, True]},
                            index=pd.Index([10, 11, 12], name="patient_id"))
    return {"trajectories": trajectories, "patients": patients}


def write_run(store, frames=None, *, seed=1, name="", summary=None, scenario=SCENARIO):
    with store.new_run(scenario, seed=seed, name=name, meta={"n": 200}) as run:
        for table, df in (frames or {}).items():
            run.write_table(table, df)
        run.set_summary(summary if summary is not None else {"pain_mean": 5.25, "n": 200})
    return run.run_id


@pytest.fixture(name="write_run")
def _write_run_fixture():
    return write_run


@pytest.fixture(name="SCENARIO")
def _scenario_fixture():
    return SCENARIO
