"""The examples in the diary modules' docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ("painsim.diary.reading", "painsim.diary.inference", "painsim.diary.forecast",
           "painsim.diary.validation", "painsim.app.diary")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
