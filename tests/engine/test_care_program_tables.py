"""The kernel's effect tables: effects grouped by lever in plan order, gains signed by their
operation, impulse channels listed with their kept share (the layout the fast care path reads)."""

import numpy as np

from painsim.engine.levers import LEVER_INDEX, LEVERS
from painsim.engine.program import EF_GAIN, EI_CHANNEL, EI_LEVER, NEUTRAL_HOOKS, CareProgram, Channel


def _program() -> CareProgram:
    days = np.array([0, 7], dtype=np.int64)
    first = Channel("first", days, exposure="impulse", decay=0.25,
                    effects=(("inhibition", "subtract", 0.5, 1.0), ("nociception", "reduce", 0.2, 1.0)))
    second = Channel("second", days, exposure="course", course_start=0.0, course_end=14.0,
                     effects=(("nociception", "increase", 0.1, 2.0), ("inhibition", "add", 0.3, 1.0)))
    return CareProgram.build((first, second), NEUTRAL_HOOKS)


def test_effects_grouped_by_lever_in_plan_order_with_signed_gains() -> None:
    prog = _program()
    noci, inhib = LEVER_INDEX["nociception"], LEVER_INDEX["inhibition"]
    gains = prog.eff_float[:, EF_GAIN]
    rows = [(int(r[EI_LEVER]), int(r[EI_CHANNEL]), float(g)) for r, g in zip(prog.eff_int, gains, strict=True)]
    assert rows == [(noci, 0, -0.2), (noci, 1, 0.1), (inhib, 0, -0.5), (inhib, 1, 0.3)]
    assert prog.lever_start.tolist() == [0, 2, 2] + [4] * (len(LEVERS) + 1 - 3)


def test_impulse_channels_and_kept_share() -> None:
    prog = _program()
    assert prog.impulse_channels.tolist() == [0]
    assert prog.impulse_keep.tolist() == [1.0 - 0.25]


class _Program:
    """A care source that hands the kernel a ready program."""

    def __init__(self, program: CareProgram) -> None:
        self.program = program

    def compile(self, horizon: int, params=None) -> CareProgram:
        return self.program


def _impulse(effects) -> Channel:
    return Channel("impulse", np.array([0, 5, 10], dtype=np.int64), exposure="impulse", decay=0.2, dose=1.0,
                   effects=effects)


def test_levers_with_several_effects_agree_with_one_effect_each() -> None:
    """A lever with up to HELD_EFFECTS effects is read from scalars held for the run, a lever
    with more from the tables every day: extra effects of gain 0 (exactly neutral) switch a
    plan to the second held effect and then to the table path, and the results must not
    change by a bit."""
    import painsim as ps
    from painsim.engine.care_phases import HELD_EFFECTS

    assert HELD_EFFECTS == 2
    one = (("nociception", "reduce", 0.3, 1.0), ("inhibition", "add", 0.2, 1.5))
    two = (*one, ("nociception", "increase", 0.0, 1.0), ("inhibition", "subtract", 0.0, 1.0))
    three = (*two, ("nociception", "reduce", 0.0, 2.0))
    cohort = ps.Cohort.build("acute", n=40, seed=3)
    runs = []
    for effects in (one, two, three):
        program = CareProgram.build((_impulse(effects),), NEUTRAL_HOOKS)
        runs.append(ps.simulate(cohort, 30, ps.Record.summaries(), care=_Program(program)))
    for run in runs[1:]:
        assert np.array_equal(runs[0].summaries, run.summaries)
        assert np.array_equal(runs[0].cohort.state, run.cohort.state)
    none = ps.simulate(cohort, 30, ps.Record.summaries())
    assert not np.array_equal(none.summaries, runs[0].summaries)  # the effects act


def test_course_and_impulse_effects_on_one_lever_held_and_from_tables_agree() -> None:
    """Each channel's exposure is computed once a day (an impulse channel's impulse, a course
    channel's level): the same lever effects give the same bits whether the lever's effects
    are held as scalars or read from the tables (a third, neutral effect), and the course
    effect acts only within its window."""
    import painsim as ps

    course = Channel("course", np.array([3], dtype=np.int64), exposure="course", course_start=4.0,
                     course_end=12.0, retention=0.4, effects=(("inhibition", "add", 0.3, 1.0),
                                                              ("conditioning_rate", "increase", 0.5, 1.0)))
    impulse = _impulse((("inhibition", "add", 0.2, 1.5),))
    cohort = ps.Cohort.build("acute", n=40, seed=4)
    runs = []
    for extra in ((), (("inhibition", "add", 0.0, 1.0),)):
        third = Channel("third", np.array([1], dtype=np.int64), exposure="impulse", decay=0.5, dose=1.0,
                        effects=extra)
        program = CareProgram.build((impulse, course, third), NEUTRAL_HOOKS)
        runs.append(ps.simulate(cohort, 30, ps.Record.summaries(), care=_Program(program)))
    assert np.array_equal(runs[0].summaries, runs[1].summaries)
    assert np.array_equal(runs[0].cohort.state, runs[1].cohort.state)
    impulse_only = ps.simulate(cohort, 30, ps.Record.summaries(),
                               care=_Program(CareProgram.build((impulse,), NEUTRAL_HOOKS)))
    assert not np.array_equal(impulse_only.summaries, runs[0].summaries)  # the course acts


def test_calendar_lists_every_session_by_day_then_channel() -> None:
    """The kernel walks the calendar on session days: one row (day, channel, session number)
    per scheduled session, sorted by day and, within a day, by channel."""
    weekly = Channel("weekly", np.array([0, 7, 14], dtype=np.int64))
    twice = Channel("twice", np.array([3, 7], dtype=np.int64))
    prog = CareProgram.build((weekly, twice), NEUTRAL_HOOKS)
    assert prog.calendar.tolist() == [[0, 0, 0], [3, 1, 0], [7, 0, 1], [7, 1, 1], [14, 0, 2]]
    assert prog.kernel_args()[-1] is prog.calendar


def test_a_channel_whose_session_days_do_not_increase_is_refused() -> None:
    import pytest

    for days in ([5, 5], [7, 3], [-1, 2]):
        with pytest.raises(ValueError, match="channel 'bad': session days must be >= 0 and strictly increasing"):
            CareProgram.build((Channel("bad", np.array(days, dtype=np.int64)),), NEUTRAL_HOOKS)


def test_course_lever_table_applies_the_course_effects_in_plan_order() -> None:
    """The patient-independent part of each lever, per day, against the operations written out:
    a course channel's level is 0 before its window, 1 during it, its retention after; impulse
    effects are left to the day loop."""
    from painsim.engine.care_phases import LEVER_MULTIPLY, course_levers

    first = Channel("first", np.array([0], dtype=np.int64), exposure="impulse", decay=0.25,
                    effects=(("nociception", "reduce", 0.2, 1.0),))
    course = Channel("course", np.array([2], dtype=np.int64), exposure="course", course_start=3.0, course_end=6.0,
                     retention=0.25, effects=(("nociception", "increase", 0.1, 2.0), ("inhibition", "add", 0.3, 0.2),
                                              ("nociception", "reduce", 0.5, 1.0)))
    prog = CareProgram.build((first, course), NEUTRAL_HOOKS)
    table = course_levers(9, prog.eff_int, prog.eff_float, prog.lever_start, LEVER_MULTIPLY)
    noci, inhib = LEVER_INDEX["nociception"], LEVER_INDEX["inhibition"]
    for d in range(9):
        level = 0.0 if d < 3 else (1.0 if d < 6 else 0.25)
        assert table[d, noci] == (1.0 + 0.1 * min(2.0, level)) * (1.0 - 0.5 * min(1.0, level))
        assert table[d, inhib] == 0.3 * min(0.2, level)
        others = [lever for lever in range(len(LEVERS)) if lever not in (noci, inhib)]
        assert table[d, others].tolist() == [1.0 if LEVER_MULTIPLY[lever] else 0.0 for lever in others]


def test_course_listed_before_the_impulse_on_one_lever_held_and_from_tables_agree() -> None:
    """The held path applies a lever's course part first and its impulse effects after; with
    the course channel listed first in the plan (the reverse of the test above) the held and
    the table path must still give the same bits."""
    import painsim as ps

    course = Channel("course", np.array([2], dtype=np.int64), exposure="course", course_start=2.0,
                     course_end=20.0, retention=0.5, effects=(("nociception", "reduce", 0.3, 1.0),
                                                              ("inhibition", "subtract", 0.1, 1.0)))
    impulse = _impulse((("nociception", "reduce", 0.25, 1.0), ("inhibition", "add", 0.2, 1.5)))
    cohort = ps.Cohort.build("acute", n=40, seed=5)
    runs = []
    for extra in ((), (("nociception", "increase", 0.0, 1.0),)):
        third = Channel("third", np.array([1], dtype=np.int64), exposure="course", course_start=0.0,
                        course_end=5.0, effects=extra)
        program = CareProgram.build((course, impulse, third), NEUTRAL_HOOKS)
        runs.append(ps.simulate(cohort, 30, ps.Record.summaries(), care=_Program(program)))
    assert np.array_equal(runs[0].summaries, runs[1].summaries)
    assert np.array_equal(runs[0].cohort.state, runs[1].cohort.state)
