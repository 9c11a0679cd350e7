"""Run the docstring examples of painsim.evidence as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "painsim.evidence",
    "painsim.evidence._zeroin",
    "painsim.evidence.certainty",
    "painsim.evidence.diagnostics",
    "painsim.evidence.effect_sizes",
    "painsim.evidence.heterogeneity",
    "painsim.evidence.io",
    "painsim.evidence.plots",
    "painsim.evidence.report",
    "painsim.evidence.rma",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
