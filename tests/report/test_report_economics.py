"""The report of a stored cost-effectiveness analysis: the frontier table, the CE plane, the
acceptability curves and the disclaimer; a base-case-only analysis says how to get curves."""

from __future__ import annotations

import re

import pytest

from painsim.app.economics import run_and_store_cea
from painsim.report import render_report
from painsim.scenario import parse_scenario
from painsim.store import Store
from painsim.texts import DISCLAIMER

TEXT = """name = "report_cea"
n = 40
seed = 9
horizon_days = 60
[population]
entry = "chronic"
chronic_min_days = 90
[arms.no_care]
[arms.massage]
massage = { schedule = { count = 3, every_days = 7 } }
"""


def _report(tmp_path, psa):
    root = tmp_path / "store"
    result = run_and_store_cea(parse_scenario(TEXT), TEXT, store=root, psa=psa, wtp="0:60000:20000")
    return render_report(Store(root).get(result.run_id)), result


@pytest.mark.parametrize("psa", [0, 3])
def test_the_report_of_an_analysis(tmp_path, psa):
    html, result = _report(tmp_path, psa)
    section = html.split('<section id="economics">')[1].split("</section>")[0]
    assert "Is it worth it?" in section and "ICER" in section
    for arm in ("no_care", "massage"):
        assert f'<td class="left">{arm}</td>' in section
    assert f"{result.base.loc['massage', 'cost']:,.0f}" in section
    images = len(re.findall(r'<img src="data:image/png;base64,', section))
    assert images == (2 if psa else 1)
    assert ("Acceptability curves" in section) == bool(psa)
    assert ("painsim cea --psa N" in section) == (not psa)
    assert DISCLAIMER in html
    assert 'id="answer"' not in html  # a scenario run's sections are not shown for an analysis
