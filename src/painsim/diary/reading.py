"""Reading a client's pain diary (CSV), checked row by row.

A diary is a CSV file with a header row. ``date`` (ISO, ``YYYY-MM-DD``) and ``pain`` (0-10,
the day's rating on the numeric rating scale, whole or half points; empty for a day without
a rating) are required; ``sleep``, ``stress`` and ``activity`` (0-10) are optional, and one
column per treatment of the care registry with sessions (``massage``, ``sham``,
``education``, ...: sessions that day, 0 or 1) says when the client had care. Every error
names the file, the row (counting the header as row 1), the column, what was given and what
is allowed; nothing is stored by reading.

Examples
--------
>>> text = "date,pain\\n" + "".join(f"2026-01-{d:02d},{4 + d % 3}\\n" for d in range(1, 15))
>>> diary = read_diary(text.encode(), name="mine.csv", today="2026-02-01")
>>> diary.n_days, diary.n_ratings, diary.pain[:3].tolist()
(14, 14, [5.0, 6.0, 4.0])
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from painsim.tomlfiles import decode_utf8

#: Largest diary file read (bytes): a year of daily rows with every column is about 30 kB.
MAX_DIARY_BYTES = 200_000
#: Fewest pain ratings a diary must have: one week of daily ratings.
MIN_RATINGS = 7
#: Longest diary (days from its first to its last date): two years.
MAX_DIARY_DAYS = 730
#: Longest run of days without a row between two rows: a weekly diary has gaps of 6 days.
MAX_GAP_DAYS = 14
#: The rating columns: name -> (lowest, highest). ``pain`` is required; sleep quality
#: (10 = slept well), stress and activity are optional, read and shown but not yet in the
#: likelihood (docs/diary.md, "What the fit uses").
RATING_COLUMNS: dict[str, tuple[float, float]] = {"pain": (0.0, 10.0), "sleep": (0.0, 10.0),
                                                  "stress": (0.0, 10.0), "activity": (0.0, 10.0)}
#: Most sessions of one treatment recorded on one day.
MAX_SESSIONS_PER_DAY = 1


class DiaryError(ValueError):
    """The diary cannot be read; the message names the file, row and column and says why."""


def session_treatments() -> tuple[str, ...]:
    """The treatments a diary can record sessions of: those of the care registry (plug-ins
    included) whose sessions follow an explicit schedule of days (a ``schedule`` field)."""
    from painsim.care import REGISTRY

    return tuple(cls.name for cls in REGISTRY if "schedule" in cls.model_fields)


def allowed_columns() -> tuple[str, ...]:
    """Every column a diary may have: ``date``, the rating columns, the session columns."""
    return ("date", *RATING_COLUMNS, *session_treatments())


@dataclass(frozen=True)
class Diary:
    """A checked diary, one entry per calendar day from its first to its last date.

    ``pain`` (and each of ``ratings``) holds NaN on days without a rating; ``sessions``
    maps a treatment to the day numbers (0 = the first date) of its sessions; ``step`` is
    the resolution of the pain ratings (1 for whole points, 0.5 when halves are used), read
    by the measurement model as the rounding of a rating.
    """

    name: str
    start: dt.date
    pain: np.ndarray
    ratings: Mapping[str, np.ndarray] = field(default_factory=dict)
    sessions: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    step: float = 1.0

    @property
    def n_days(self) -> int:
        """Calendar days from the first to the last date."""
        return int(self.pain.size)

    @property
    def n_ratings(self) -> int:
        """Days with a pain rating."""
        return int(np.isfinite(self.pain).sum())

    @property
    def end(self) -> dt.date:
        """The last date of the diary."""
        return self.start + dt.timedelta(days=self.n_days - 1)

    def baseline(self, days: int = 14) -> float:
        """Mean pain rating over the last ``days`` days (the persistence forecast; NaN
        ratings skipped; all ratings when the diary has none in that window)."""
        tail = self.pain[-days:]
        tail = tail[np.isfinite(tail)]
        return float(np.mean(tail if tail.size else self.pain[np.isfinite(self.pain)]))

    def weekly_pain(self) -> np.ndarray:
        """Mean rating of each week (from the first date; NaN for a week without one)."""
        weeks = -(-self.n_days // 7)
        padded = np.full(weeks * 7, np.nan)
        padded[: self.n_days] = self.pain
        blocks = padded.reshape(weeks, 7)
        counts = np.isfinite(blocks).sum(axis=1)
        sums = np.nansum(blocks, axis=1)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def diary_from_ratings(pain: np.ndarray | list[float], *, start: dt.date | str = "2026-01-01",
                       sessions: Mapping[str, tuple[int, ...]] | None = None, name: str = "diary",
                       step: float = 1.0) -> Diary:
    """A :class:`Diary` from daily ratings (NaN: no rating), for synthetic diaries and tests.

    Examples
    --------
    >>> diary_from_ratings([5, 6, float("nan"), 4, 5, 5, 6, 7]).n_ratings
    7
    """
    start = dt.date.fromisoformat(start) if isinstance(start, str) else start
    return Diary(name=name, start=start, pain=np.asarray(pain, dtype=np.float64), sessions=dict(sessions or {}),
                 step=step)


def read_diary(source: str | Path | bytes, *, name: str | None = None, today: dt.date | str | None = None,
               max_bytes: int = MAX_DIARY_BYTES) -> Diary:
    """Read and check a diary from a path or the bytes of an upload (``name``: what the
    messages call it). ``today`` (default: the local date) bounds the dates from above.

    Raises :class:`DiaryError` naming the file, row and column: a file larger than
    ``max_bytes``, not UTF-8, without a header or a required column, an unknown column,
    a date that is not ISO, in the future, repeated, out of order or after a gap of more
    than :data:`MAX_GAP_DAYS` days, a value that is not a number or outside its range,
    fewer than :data:`MIN_RATINGS` pain ratings (or none), a diary longer than
    :data:`MAX_DIARY_DAYS` days.
    """
    if isinstance(source, bytes | bytearray):
        data, label = bytes(source), name or "upload.csv"
        if len(data) > max_bytes:
            raise DiaryError(f"{label}: the diary is larger than the limit of {max_bytes:,} bytes")
    else:
        label = name or str(source)
        try:
            with Path(source).open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as err:
            raise DiaryError(f"{label}: cannot read the diary ({err.strerror or err})") from None
        if len(data) > max_bytes:
            raise DiaryError(f"{label}: the diary is larger than the limit of {max_bytes:,} bytes")
    text = decode_utf8(data, label, DiaryError, "diary")
    today = _as_date(today) if today is not None else dt.date.today()
    return _parse(text, label, today)


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _parse(text: str, label: str, today: dt.date) -> Diary:
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise DiaryError(f"{label}: the diary is empty; it needs a header row with date and pain")
    header = [cell.strip().lower() for cell in rows[0]]
    allowed = allowed_columns()
    for k, column in enumerate(header):
        if column not in allowed:
            raise DiaryError(f"{label}: row 1, column {k + 1}: unknown column {column!r}; allowed: "
                             f"{', '.join(allowed)}")
        if header.index(column) != k:
            raise DiaryError(f"{label}: row 1: column {column!r} appears twice")
    for required in ("date", "pain"):
        if required not in header:
            raise DiaryError(f"{label}: row 1: the header has no {required!r} column (it has: {', '.join(header)})")
    dates: list[dt.date] = []
    values: dict[str, list[float]] = {c: [] for c in header if c != "date"}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines between rows are harmless
        if len(row) > len(header):
            raise DiaryError(f"{label}: row {number}: {len(row)} cells but the header has {len(header)} columns")
        cells = dict(zip(header, [c.strip() for c in row] + [""] * (len(header) - len(row)), strict=True))
        date = _date(cells["date"], label, number, today, dates)
        dates.append(date)
        for column in values:
            values[column].append(_value(cells[column], column, label, number))
    if not dates:
        raise DiaryError(f"{label}: the diary has a header but no rows")
    span = (dates[-1] - dates[0]).days + 1
    if span > MAX_DIARY_DAYS:
        raise DiaryError(f"{label}: the diary covers {span:,} days ({dates[0]} to {dates[-1]}); at most "
                         f"{MAX_DIARY_DAYS:,} are read: keep the most recent ones")
    offsets = np.array([(d - dates[0]).days for d in dates], dtype=np.int64)
    daily: dict[str, np.ndarray] = {}
    for column, column_values in values.items():
        array = np.full(span, np.nan)
        array[offsets] = column_values
        daily[column] = array
    pain = daily.pop("pain")
    n_ratings = int(np.isfinite(pain).sum())
    if n_ratings == 0:
        raise DiaryError(f"{label}: column 'pain' has no rating in any of its {len(dates)} rows; the diary needs "
                         f"at least {MIN_RATINGS} pain ratings")
    if n_ratings < MIN_RATINGS:
        raise DiaryError(f"{label}: the diary has {n_ratings} pain rating(s); at least {MIN_RATINGS} are needed "
                         "(a week of daily ratings)")
    rated = pain[np.isfinite(pain)]
    step = 1.0 if np.all(rated == np.round(rated)) else 0.5
    treatments = session_treatments()
    sessions = {t: tuple(int(d) for d in np.flatnonzero(np.nan_to_num(daily.pop(t)) > 0))
                for t in treatments if t in daily}
    ratings = {c: a for c, a in daily.items() if c in RATING_COLUMNS}
    return Diary(name=label, start=dates[0], pain=pain, ratings=ratings,
                 sessions={t: d for t, d in sessions.items() if d}, step=step)


def _date(cell: str, label: str, number: int, today: dt.date, earlier: list[dt.date]) -> dt.date:
    where = f"{label}: row {number}, column 'date'"
    try:
        date = dt.date.fromisoformat(cell)
    except ValueError:
        raise DiaryError(f"{where}: {cell!r} is not a date; write dates as YYYY-MM-DD (e.g. 2026-03-14)") from None
    if date > today:
        raise DiaryError(f"{where}: {date} is in the future (today is {today})")
    if earlier:
        last = earlier[-1]
        if date == last:
            raise DiaryError(f"{where}: {date} appears twice (also on the row before); one row per day")
        if date < last:
            raise DiaryError(f"{where}: {date} comes after {last}: dates must be in order, oldest first")
        gap = (date - last).days - 1
        if gap > MAX_GAP_DAYS:
            raise DiaryError(f"{where}: {gap} days without a row between {last} and {date}; at most "
                             f"{MAX_GAP_DAYS} (start a new diary after a long break)")
    return date


def _value(cell: str, column: str, label: str, number: int) -> float:
    if cell == "":
        return math.nan
    where = f"{label}: row {number}, column {column!r}"
    try:
        value = float(cell)
    except ValueError:
        raise DiaryError(f"{where}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise DiaryError(f"{where}: {cell!r} is not a finite number")
    if column in RATING_COLUMNS:
        lo, hi = RATING_COLUMNS[column]
        if not lo <= value <= hi:
            raise DiaryError(f"{where}: {value:g} is out of range; ratings are {lo:g} to {hi:g}")
        if column == "pain" and value * 2 != round(value * 2):
            raise DiaryError(f"{where}: {value:g}: pain ratings are whole or half points (0, 0.5, 1, ... 10)")
        return value
    if value not in range(MAX_SESSIONS_PER_DAY + 1):
        raise DiaryError(f"{where}: {value:g} sessions; write 1 on a day with a session, 0 or nothing otherwise")
    return value
