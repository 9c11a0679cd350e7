"""Shared fixtures for the evidence-synthesis tests."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def vectors() -> dict:
    """Frozen metafor 3.8 results (tests/evidence/data/make_vectors.R)."""
    return json.loads((DATA / "metafor_vectors.json").read_text())


@pytest.fixture(scope="session")
def datasets() -> dict[str, pd.DataFrame]:
    """The CSV datasets the vectors were computed from."""
    return {
        name: pd.read_csv(DATA / f"{name}.csv")
        for name in ("bcg", "normand1999", "hackshaw1998", "zerocells")
    }
