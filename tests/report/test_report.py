"""painsim report: a self-contained HTML report of a stored run (API and CLI)."""

import re

import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.report import DISCLAIMER, render_report, write_report
from painsim.store import Store

SCENARIO = """\
# a tiny scenario for the report tests
name = "tiny_report"
title = "Tiny <report> & test"
n = 200
seed = 3
horizon_days = 120

[population]
entry = "chronic"

[record]
every = 7
patients = 80

[arms.no_care]

[arms.massage_weekly]
massage = { schedule = { count = 6, every_days = 7 } }

[arms.exercise_only]
exercise = { weeks = 8, sessions_per_week = 2, supervised = true, adherence = 0.7 }
"""
ARMS = ("no_care", "massage_weekly", "exercise_only")


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A tiny run stored through the CLI, exactly as ``painsim run`` stores it."""
    folder = tmp_path_factory.mktemp("report")
    scenario = folder / "tiny.toml"
    scenario.write_text(SCENARIO)
    store = folder / "store"
    result = CliRunner().invoke(app, ["run", str(scenario), "--json", "--out", str(folder / "out"),
                                      "--store", str(store), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    run = Store(store).runs().run_id.iloc[0]
    return Store(store).get(run), store


@pytest.fixture(scope="module")
def html(stored):
    return render_report(stored[0])


def test_report_is_self_contained(html):
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    sources = re.findall(r"""<img[^>]*\ssrc="([^"]*)\"""", html)
    assert len(sources) >= 7  # pain, disability, relief, responders, attendance, cost, diagram
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    hrefs = re.findall(r"""href="([^"]*)\"""", html)
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_report_contents(stored, html):
    run = stored[0]
    assert DISCLAIMER in html
    assert html.index(DISCLAIMER) < html.index('id="answer"')  # near the top
    assert run.run_id in html
    for arm in ARMS:
        assert arm in html
    assert "Tiny &lt;report&gt; &amp; test" in html  # the title, escaped
    assert "<pre>" in html and 'name = &quot;tiny_report&quot;' in html
    assert "massage = { schedule = { count = 6, every_days = 7 } }" in html
    for section in ("answer", "how-to-read", "pain", "disability", "relief", "responders", "attendance", "cost",
                    "diagram", "scenario"):
        assert f'<section id="{section}">' in html
    # horizon 120 days: pain at day 0 and 70, not 365 or 729
    assert "day 70" in html and "day 365" not in html
    assert "<dt>patients per arm</dt><dd>200</dd>" in html


def test_write_report_and_cli(stored, tmp_path):
    run, store = stored
    path = write_report(run, tmp_path / "deep" / "report.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    out = tmp_path / "cli.html"
    result = CliRunner().invoke(app, ["report", run.run_id[:15], "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    assert out.stat().st_size > 50_000 and run.run_id in out.read_text(encoding="utf-8")


def test_cli_default_path(stored, tmp_path, monkeypatch):
    run, store = stored
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PAINSIM_STORE", str(store))
    result = CliRunner().invoke(app, ["report", run.run_id])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "painsim-output" / f"{run.run_id}.html").is_file()


def test_cli_unknown_run_is_one_paragraph(stored, tmp_path):
    _, store = stored
    result = CliRunner().invoke(app, ["report", "19990101-nope", "--store", str(store),
                                      "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    message = result.output.strip()
    assert message.startswith("error:") and "19990101-nope" in message and "painsim runs" in message
    assert "Traceback" not in result.output and "\n\n" not in message
    assert not (tmp_path / "x.html").exists()


def test_cli_unwritable_output_is_one_paragraph(stored, tmp_path):
    run, store = stored
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(app, ["report", run.run_id, "--store", str(store),
                                      "--out", str(blocker / "r.html")])
    assert result.exit_code == 2  # an unusable output place, found before the report is rendered
    assert result.output.startswith("error: --out: folder") and str(blocker) in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


class _Partial:
    """A stored run seen without some of its tables and with a summary lacking care outcomes."""

    def __init__(self, run, tables):
        self.run_id, self.metadata, self.scenario_text = run.run_id, run.metadata, run.scenario_text
        self.tables, self._run = list(tables), run
        self.summary = {arm: {k: v for k, v in values.items() if k in ("n", "pain_mean", "rmdq_mean")}
                        for arm, values in run.summary.items()}

    def table(self, name):
        assert name in self.tables
        return self._run.table(name)


def test_report_without_trajectories_sessions_or_care(stored):
    html = render_report(_Partial(stored[0], ["daily"]))
    assert DISCLAIMER in html and all(arm in html for arm in ARMS)
    assert "cohort mean" in html  # pain and disability fall back to the daily means
    assert "This run has no sessions" in html and "This run has no responder classes" in html
    assert "This run has no costs" in html
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', html)) == 3  # pain, disability, diagram


def test_cli_damaged_table_exits_2_naming_run_and_table(stored, tmp_path):
    import shutil

    run, store = stored
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    (copy / "runs" / run.run_id / "daily.parquet").write_bytes(b"not parquet" * 100)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", run.run_id, "--store", str(copy), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert run.run_id in result.output and "'daily'" in result.output and "Traceback" not in result.output
    assert not out.exists()
