"""Reading and validating meta-analysis CSV files.

Columns are named as in metafor: ``yi, vi`` (GEN); ``m1i, sd1i, n1i, m2i,
sd2i, n2i`` (SMD, MD); ``ai, bi, ci, di`` (RR, OR, RD); an optional
``study`` column holds labels.  Every problem is reported as an
:class:`InputError` with a one-line message naming the column and the data
row (1-based, header excluded).

What is read is bounded, so that every file gets an answer in seconds and a few
hundred megabytes (docs/evidence.md, *Input limits*): at most
:data:`MAX_CSV_BYTES` bytes and :data:`MAX_STUDIES` rows, numbers within
``±``:data:`MAX_ABS_VALUE`, effect sizes within ``±``:data:`MAX_ABS_EFFECT`,
sampling variances from :data:`MIN_VARIANCE` to :data:`MAX_VARIANCE` and
within a factor of :data:`MAX_VARIANCE_RATIO` of each other.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from painsim.evidence.effect_sizes import MEASURES, REQUIRED_COLUMNS, EffectSizes, escalc
from painsim.tomlfiles import decode_utf8

#: Largest CSV file read (bytes), checked before reading.
MAX_CSV_BYTES = 10_000_000
#: Most studies (data rows) in one analysis; leave-one-out, subgroups and plots grow with it.
MAX_STUDIES = 2_000
#: Most studies drawn in a forest plot (one row each): the drawing time and memory grow with the rows.
MAX_FOREST_STUDIES = 500
#: Largest magnitude of any number in the file: beyond it squares and sums overflow.
MAX_ABS_VALUE = 1e100
#: Largest magnitude of an effect size, and the range of a sampling variance, with which
#: the weighted sums of every estimator stay finite.
MAX_ABS_EFFECT = 1e50
MIN_VARIANCE, MAX_VARIANCE = 1e-50, 1e50
#: Largest ratio of two studies' sampling variances: beyond it one study's weight swamps
#: the others' below double precision and the heterogeneity sums cancel to zero.
MAX_VARIANCE_RATIO = 1e10

_MISSING = frozenset({"", "NA", "NAN", "NULL", "NONE", "."})
#: Columns that count people or events: whole numbers only.
_WHOLE_NUMBER_COLUMNS = {"n1i": "group size", "n2i": "group size", "ai": "count", "bi": "count", "ci": "count",
                         "di": "count"}


class InputError(ValueError):
    """A problem with user-supplied data; the message is one line."""


def numeric_column(df: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as floats; :class:`InputError` names the first bad row."""
    raw = df[col]
    out = np.empty(len(raw), dtype=float)
    for i, val in enumerate(raw.tolist()):
        row = i + 1
        text = "" if val is None else str(val).strip()
        if text.upper() in _MISSING:
            raise InputError(f"column '{col}', row {row}: missing value")
        try:
            out[i] = float(text)
        except ValueError:
            raise InputError(f"column '{col}', row {row}: {text!r} is not a number") from None
        if not np.isfinite(out[i]):
            raise InputError(f"column '{col}', row {row}: {text!r} is not a finite number")
        if abs(out[i]) > MAX_ABS_VALUE:
            raise InputError(f"column '{col}', row {row}: {text!r} is outside the accepted range "
                             f"-{MAX_ABS_VALUE:g} to {MAX_ABS_VALUE:g}")
    return out


def _check(values: np.ndarray, col: str, bad: np.ndarray, problem: str) -> None:
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(f"column '{col}', row {row}: {problem} (got {values[row - 1]:g})")


def _check_computed(values: np.ndarray, measure: str, name: str, bad: np.ndarray, problem: str) -> None:
    """Like :func:`_check` for an effect size (``yi``) or variance (``vi``): for measure GEN
    they are columns of the file; otherwise the error names the columns they come from."""
    measure = measure.upper()
    if measure == "GEN":
        _check(values, name, bad, problem)
    elif np.any(bad):
        row = int(np.flatnonzero(bad)[0]) + 1
        columns = ", ".join(REQUIRED_COLUMNS[measure])
        raise InputError(f"row {row}: the {measure} {problem} (computed from columns {columns}; "
                         f"got {name} = {values[row - 1]:g})")


def validate_columns(df: pd.DataFrame, measure: str) -> dict[str, np.ndarray]:
    """Check that ``df`` has the columns ``measure`` needs, with valid values.

    Returns the columns as float arrays.

    Raises
    ------
    InputError
        Naming the missing columns (and everything the measure needs), or the
        first invalid value with its column and row.
    """
    measure = measure.upper()
    if measure not in MEASURES:
        raise InputError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    need = REQUIRED_COLUMNS[measure]
    present = {c.strip() for c in df.columns}
    missing = [c for c in need if c not in present]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; measure {measure} needs "
            f"{', '.join(need)} (optional: study)"
        )
    cols = {c: numeric_column(df, c) for c in need}
    for c in need:
        if c in _WHOLE_NUMBER_COLUMNS:
            _check(cols[c], c, cols[c] != np.floor(cols[c]), f"a {_WHOLE_NUMBER_COLUMNS[c]} must be a whole number")
    if measure == "GEN":
        _check(cols["vi"], "vi", cols["vi"] < 0, "sampling variance must not be negative")
        _check(cols["vi"], "vi", cols["vi"] == 0, "sampling variance must be positive: a study with no "
               "sampling variance cannot be weighted")
    elif measure in ("SMD", "MD"):
        for c in ("sd1i", "sd2i"):
            _check(cols[c], c, cols[c] < 0, "standard deviation must not be negative")
        for c in ("n1i", "n2i"):
            _check(cols[c], c, cols[c] < 1, "group size must be at least 1")
        if measure == "SMD":
            tot = cols["n1i"] + cols["n2i"]
            _check(tot, "n1i", tot < 3, "n1i + n2i must be at least 3 for the SMD")
            pooled = (cols["n1i"] - 1) * cols["sd1i"] ** 2 + (cols["n2i"] - 1) * cols["sd2i"] ** 2
            _check(pooled, "sd1i", pooled <= 0, "pooled standard deviation is zero")
    else:
        for c in ("ai", "bi", "ci", "di"):
            _check(cols[c], c, cols[c] < 0, "count must not be negative")
        n1 = cols["ai"] + cols["bi"]
        n2 = cols["ci"] + cols["di"]
        _check(n1, "ai", n1 <= 0, "group 1 is empty (ai + bi = 0)")
        _check(n2, "ci", n2 <= 0, "group 2 is empty (ci + di = 0)")
    return cols


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file as strings (validation happens per column later).

    Raises
    ------
    InputError
        When the file is missing, empty or not parseable.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"file not found: {p}")
    if not p.is_file():
        raise InputError(f"not a file: {p}")
    try:
        with p.open("rb") as handle:
            data = handle.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    if len(data) > MAX_CSV_BYTES:
        raise InputError(f"{p}: the file is larger than the limit of {MAX_CSV_BYTES:,} bytes "
                         f"(at most {MAX_STUDIES:,} studies are analysed)")
    text = decode_utf8(data, p, InputError, "CSV file")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                         nrows=MAX_STUDIES + 1)
    except pd.errors.EmptyDataError:
        raise InputError(f"{p}: file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        message = str(exc).strip()
        first = message.splitlines()[0] if message else type(exc).__name__
        raise InputError(f"{p}: cannot parse CSV ({first})") from None
    if len(df) > MAX_STUDIES:
        raise InputError(f"{p}: more than {MAX_STUDIES:,} studies (data rows); painsim meta analyses at most "
                         f"{MAX_STUDIES:,}")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def effect_sizes_from_frame(df: pd.DataFrame, measure: str, min_k: int = 2) -> EffectSizes:
    """Validate the columns of ``df`` and compute effect sizes for ``measure``.

    Raises
    ------
    InputError
        One-line description of what is wrong.
    """
    cols = validate_columns(df, measure)
    k = len(df)
    if k < min_k:
        raise InputError(f"need at least {min_k} studies, found k = {k}")
    labels = None
    if "study" in df.columns:
        labels = [str(s).strip() or f"Study {i + 1}" for i, s in enumerate(df["study"].tolist())]
    try:
        es = escalc(measure, cols, labels=labels)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    bad = ~(np.isfinite(es.yi) & np.isfinite(es.vi))
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(f"row {row}: effect size or variance is not finite")
    _check_computed(es.yi, measure, "yi", np.abs(es.yi) > MAX_ABS_EFFECT,
                    f"effect size is outside -{MAX_ABS_EFFECT:g} to {MAX_ABS_EFFECT:g}")
    _check_computed(es.vi, measure, "vi", es.vi <= 0, "sampling variance is zero, so the study cannot be weighted")
    _check_computed(es.vi, measure, "vi", (es.vi < MIN_VARIANCE) | (es.vi > MAX_VARIANCE),
                    f"sampling variance is outside {MIN_VARIANCE:g} to {MAX_VARIANCE:g}")
    smallest, largest = int(np.argmin(es.vi)), int(np.argmax(es.vi))
    if es.vi[largest] > MAX_VARIANCE_RATIO * es.vi[smallest]:
        raise InputError(f"rows {smallest + 1} and {largest + 1}: sampling variances {es.vi[smallest]:g} and "
                         f"{es.vi[largest]:g} differ by more than a factor of {MAX_VARIANCE_RATIO:g}, "
                         "the most painsim meta accepts")
    return es


def read_effect_sizes(path: str | Path, measure: str, min_k: int = 2) -> EffectSizes:
    """Read a CSV file and compute effect sizes for ``measure``.

    Parameters
    ----------
    path
        CSV file with a header row.
    measure
        Effect-size measure (see :data:`~painsim.evidence.effect_sizes.MEASURES`).
    min_k
        Minimum number of studies required.

    Raises
    ------
    InputError
        One-line description of what is wrong.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "x.csv")
    >>> _ = open(f, "w").write("study,yi,vi\\nA,0.1,0.01\\nB,0.3,0.02\\n")
    >>> read_effect_sizes(f, "GEN").k
    2
    """
    df = read_table(path)
    try:
        return effect_sizes_from_frame(df, measure, min_k)
    except InputError as exc:
        raise InputError(f"{Path(path).name}: {exc}") from None
