"""The ``painsim meta`` command: output, JSON contract and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.evidence import escalc, rma

DATA = Path(__file__).parent / "data"
runner = CliRunner()

REQUIRED_KEYS = {
    "k",
    "measure",
    "method",
    "test",
    "estimate",
    "se",
    "ci_lb",
    "ci_ub",
    "pi_lb",
    "pi_ub",
    "tau2",
    "tau2_ci_lb",
    "tau2_ci_ub",
    "i2",
    "h2",
    "q",
    "q_p",
}


def run(*args: str):
    return runner.invoke(app, ["meta", *args])


def test_json_contract_matches_library_and_metafor(vectors):
    res = run(
        str(DATA / "bcg.csv"), "--measure", "RR", "--method", "REML", "--test", "knha", "--json"
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) >= REQUIRED_KEYS
    assert (out["k"], out["measure"], out["method"], out["test"]) == (13, "RR", "REML", "knha")
    ref = next(
        c
        for c in vectors["rma"]
        if c["dataset"] == "bcg"
        and c["measure"] == "RR"
        and c["method"] == "REML"
        and c["test"] == "knha"
    )["result"]
    for key, rkey in (
        ("estimate", "beta"),
        ("se", "se"),
        ("ci_lb", "ci_lb"),
        ("ci_ub", "ci_ub"),
        ("pi_lb", "pi_lb"),
        ("pi_ub", "pi_ub"),
        ("tau2", "tau2"),
        ("tau2_ci_lb", "tau2_ci_lb"),
        ("tau2_ci_ub", "tau2_ci_ub"),
        ("i2", "i2"),
        ("h2", "h2"),
        ("q", "q"),
        ("q_p", "q_p"),
    ):
        expected = ref[rkey][0] if isinstance(ref[rkey], list) else ref[rkey]
        assert out[key] == pytest.approx(expected, rel=1e-6), key
    assert len(out["studies"]) == 13
    assert sum(s["weight"] for s in out["studies"]) == pytest.approx(100.0)
    assert out["certainty"]["overall"] in ("high", "moderate", "low", "very low")


@pytest.mark.parametrize(
    ("fname", "measure"),
    [
        ("normand1999.csv", "SMD"),
        ("normand1999.csv", "MD"),
        ("hackshaw1998.csv", "GEN"),
        ("bcg.csv", "OR"),
        ("bcg.csv", "RD"),
        ("zerocells.csv", "OR"),
    ],
)
def test_every_measure_runs(fname, measure):
    res = run(str(DATA / fname), "--measure", measure, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    fit = rma(escalc(measure, pd.read_csv(DATA / fname)))
    assert out["estimate"] == pytest.approx(fit.estimate, rel=1e-12)


def test_fe_json_has_null_prediction_interval_and_tau2_ci():
    res = run(str(DATA / "hackshaw1998.csv"), "--method", "FE", "--json")
    out = json.loads(res.stdout)
    assert out["pi_lb"] is None and out["tau2_ci_lb"] is None and out["tau2"] == 0.0


def test_rich_table_output():
    res = run(
        str(DATA / "bcg.csv"),
        "-m",
        "RR",
        "--method",
        "DL",
        "--subgroup",
        "alloc",
        "--leave1out",
        "--trimfill",
    )
    assert res.exit_code == 0, res.output
    for text in (
        "Random-Effects Model (k = 13; tau^2 estimator: DL)",
        "Aronson 1948",
        "Q(df = 12) = 152.2330",
        "Test for subgroup differences",
        "Leave-one-out",
        "Trim-and-fill",
        "Certainty",
        "Egger",
    ):
        assert text in res.stdout, text


def test_plots_written(tmp_path):
    forest, funnel = tmp_path / "forest.png", tmp_path / "funnel.png"
    res = run(str(DATA / "bcg.csv"), "-m", "RR", "--forest", str(forest), "--funnel", str(funnel))
    assert res.exit_code == 0, res.output
    for p in (forest, funnel):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_size > 20_000


def _error(res) -> str:
    assert res.exit_code == 2, (res.exit_code, res.output)
    err = res.stderr.strip()
    assert "Traceback" not in res.output
    assert len(err.splitlines()) == 1, err
    return err


def test_missing_file(tmp_path):
    err = _error(run(str(tmp_path / "nope.csv"), "--measure", "GEN"))
    assert "file not found" in err


def test_missing_columns_are_named_with_requirements(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("study,m1i,sd1i,n1i,m2i\nA,1,2,10,1\nB,2,2,12,1\n")
    err = _error(run(str(f), "--measure", "SMD"))
    assert "missing column(s) sd2i, n2i" in err
    assert "m1i, sd1i, n1i, m2i, sd2i, n2i" in err


def test_non_numeric_value_reports_row(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("yi,vi\n0.1,0.01\n0.2,abc\n0.3,0.02\n")
    err = _error(run(str(f)))
    assert "column 'vi', row 2" in err and "'abc'" in err


@pytest.mark.parametrize(
    ("content", "measure", "fragment"),
    [
        ("yi,vi\n0.1,0.01\n0.2,-0.02\n", "GEN", "column 'vi', row 2: sampling variance"),
        (
            "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,-1,10,0,1,10\n1,1,10,0,1,10\n",
            "MD",
            "column 'sd1i', row 1: standard deviation",
        ),
        (
            "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,0,1,10\n1,1,0,0,1,10\n",
            "SMD",
            "column 'n1i', row 2: group size",
        ),
        ("ai,bi,ci,di\n1,2,3,4\n1,-2,3,4\n", "OR", "column 'bi', row 2: count"),
        ("yi,vi\n0.1,0.01\n", "GEN", "need at least 2 studies"),
        ("yi,vi\n0.1,0.01\n0.2,\n", "GEN", "column 'vi', row 2: missing value"),
        ("yi,vi\nNA,0.01\n0.2,0.1\n", "GEN", "column 'yi', row 1: missing value"),
        ("yi,vi\n0.1,0.01\n0.2,inf\n", "GEN", "column 'vi', row 2: 'inf' is not a finite"),
        ("", "GEN", "file is empty"),
    ],
)
def test_bad_values(tmp_path, content, measure, fragment):
    f = tmp_path / "x.csv"
    f.write_text(content)
    assert fragment in _error(run(str(f), "--measure", measure))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--measure", "XYZ"], "--measure must be one of"),
        (["--method", "foo"], "--method must be one of"),
        (["--test", "t"], "--test must be one of"),
        (["--forest", "/nonexistent-dir/x.png"], "directory does not exist"),
        (["--subgroup", "nothere"], "--subgroup column 'nothere' not found"),
    ],
)
def test_bad_options(args, fragment):
    assert fragment in _error(run(str(DATA / "hackshaw1998.csv"), *args))


def test_options_are_case_insensitive():
    res = run(
        str(DATA / "bcg.csv"), "--measure", "rr", "--method", "reml", "--test", "KNHA", "--json"
    )
    assert res.exit_code == 0
    assert json.loads(res.stdout)["method"] == "REML"


def test_degenerate_identical_studies_do_not_crash(tmp_path):
    f = tmp_path / "same.csv"
    f.write_text("yi,vi\n0.2,0.01\n0.2,0.01\n0.2,0.01\n")
    res = run(str(f), "--test", "knha", "--json", "--funnel", str(tmp_path / "fu.png"))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["estimate"] == pytest.approx(0.2)
    assert out["q"] == 0.0 and out["i2"] == 0.0
    assert out["egger"] is None  # Egger's model is not identifiable with equal SEs


def test_meta_regression_via_cli_matches_metafor(vectors):
    res = run(str(DATA / "bcg.csv"), "-m", "RR", "--mods", "ablat,year", "--test", "knha", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    ref = next(
        c
        for c in vectors["metareg"]
        if c["method"] == "REML" and c["test"] == "knha" and c["mods"] == ["ablat", "year"]
    )["result"]
    assert [c["name"] for c in out["coefficients"]] == ["intrcpt", "ablat", "year"]
    for c, b, se in zip(out["coefficients"], ref["beta"], ref["se"], strict=True):
        assert c["estimate"] == pytest.approx(b, rel=1e-6)
        assert c["se"] == pytest.approx(se, rel=1e-6)
    assert out["qm"] == pytest.approx(ref["qm"], rel=1e-6)
    assert out["qm_p"] == pytest.approx(ref["qm_p"], rel=1e-6)
    assert out["r2"] == pytest.approx(ref["r2"], rel=1e-6)
    assert out["certainty"] is None and out["egger"] is None


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--mods", "alloc"], "column 'alloc', row 1: 'random' is not a number"),
        (["--mods", "nope"], "--mods column(s) nope not found"),
        (["--mods", "ablat", "--forest", "x.png"], "--forest cannot be combined with --mods"),
        (["--mods", ","], "--mods needs one or more column names"),
    ],
)
def test_bad_mods(args, fragment):
    assert fragment in _error(run(str(DATA / "bcg.csv"), "-m", "RR", *args))
