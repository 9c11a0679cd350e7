"""The diary CSV: every bad input is refused with the file, row, column and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.diary import DiaryError, read_diary
from painsim.diary.reading import MAX_GAP_DAYS, MIN_RATINGS

TODAY = "2026-06-01"


def csv(rows: list[str], header: str = "date,pain") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def days(n: int, pain: str = "5", start: int = 1) -> list[str]:
    return [f"2026-01-{d:02d},{pain}" for d in range(start, start + n)]


def test_a_good_diary_is_read_day_by_day_with_gaps_as_missing():
    rows = days(5) + [f"2026-01-{d:02d},{d % 10}" for d in (8, 9, 10)]  # a gap of two days
    diary = read_diary(csv(rows), name="d.csv", today=TODAY)
    assert diary.n_days == 10 and diary.n_ratings == 8
    assert np.isnan(diary.pain[5]) and np.isnan(diary.pain[6]) and diary.pain[9] == 0
    assert diary.step == 1.0


def test_optional_columns_and_sessions():
    rows = [f"2026-01-{d:02d},{5},{6},{3},{1 if d in (2, 9) else ''}" for d in range(1, 11)]
    diary = read_diary(csv(rows, "date,pain,sleep,stress,massage"), today=TODAY)
    assert diary.sessions == {"massage": (1, 8)}
    assert set(diary.ratings) == {"sleep", "stress"} and diary.ratings["sleep"][0] == 6


def test_half_points_set_the_step():
    assert read_diary(csv(days(7, "4.5")), today=TODAY).step == 0.5


@pytest.mark.parametrize(("rows", "header", "expected"), [
    (days(MIN_RATINGS - 1), "date,pain", f"6 pain rating(s); at least {MIN_RATINGS}"),
    ([f"2026-01-{d:02d}," for d in range(1, 10)], "date,pain", "column 'pain' has no rating"),
    ([*days(6), "2026-07-01,5"], "date,pain", "row 8, column 'date': 2026-07-01 is in the future"),
    ([*days(6), "2026-01-03,5"], "date,pain", "row 8, column 'date': 2026-01-03 comes after 2026-01-06"),
    ([*days(6), "2026-01-06,5"], "date,pain", "2026-01-06 appears twice"),
    ([*days(6), "2026-01-07,11"], "date,pain", "row 8, column 'pain': 11 is out of range; ratings are 0 to 10"),
    ([*days(6), "2026-01-07,-1"], "date,pain", "-1 is out of range"),
    ([*days(6), "2026-01-07,4.3"], "date,pain", "whole or half points"),
    ([*days(6), "2026-01-07,bad"], "date,pain", "row 8, column 'pain': 'bad' is not a number"),
    ([*days(6), "2026-01-07,nan"], "date,pain", "not a finite number"),
    ([*days(6), "07/01/2026,5"], "date,pain", "row 8, column 'date': '07/01/2026' is not a date"),
    (days(3) + days(4, start=5 + MAX_GAP_DAYS), "date,pain", f"{MAX_GAP_DAYS + 1} days without a row"),
    (days(7), "date,pain,mood", "unknown column 'mood'"),
    (days(7), "pain,sleep", "the header has no 'date' column"),
    ([r + ",2" for r in days(7)], "date,pain,massage", "2 sessions"),
    ([r + ",5,5" for r in days(7)], "date,pain", "row 2: 4 cells but the header has 2 columns"),
])
def test_bad_diaries_are_refused_with_row_and_column(rows, header, expected):
    with pytest.raises(DiaryError) as err:
        read_diary(csv(rows, header), name="d.csv", today=TODAY)
    assert expected in str(err.value) and str(err.value).startswith("d.csv")


def test_too_large_empty_and_not_utf8(tmp_path):
    with pytest.raises(DiaryError, match="larger than the limit of 100 bytes"):
        read_diary(csv(days(20)), today=TODAY, max_bytes=100)
    big = tmp_path / "big.csv"
    big.write_bytes(csv(days(20)))
    with pytest.raises(DiaryError, match=r"big\.csv: the diary is larger"):
        read_diary(big, today=TODAY, max_bytes=100)
    with pytest.raises(DiaryError, match="empty"):
        read_diary(b"", today=TODAY)
    with pytest.raises(DiaryError, match="not UTF-8"):
        read_diary(b"date,pain\n\xff\xfe", today=TODAY)
    with pytest.raises(DiaryError, match="cannot read"):
        read_diary(tmp_path / "missing.csv", today=TODAY)


def test_the_example_diary_reads():
    from pathlib import Path

    diary = read_diary(Path(__file__).resolve().parents[2] / "examples" / "diary" / "example_diary.csv",
                       today=TODAY.replace("2026-06", "2026-12"))
    assert diary.n_days == 56 and diary.n_ratings == 54 and diary.sessions == {"massage": (35, 42, 49)}
