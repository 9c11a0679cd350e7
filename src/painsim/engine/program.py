"""A care program: the care of one arm as the kernel reads it (arrays, no treatment names).

:mod:`painsim.care` compiles a care plan into a :class:`CareProgram`: one
:class:`Channel` per treatment of the plan, each with its session days, attendance model,
exposure, lever effects and state kicks, plus the parameters of the therapist-visit hooks.
The engine knows channels, levers and hooks (``engine.levers``), never a treatment.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np

from painsim.engine.levers import (
    ATTENDANCE_MODELS,
    EFFECT_OPS,
    EXPOSURES,
    KICK_OPS,
    KICK_TARGETS,
    LEVER_INDEX,
    LEVERS,
    OP_ADD,
    OP_REDUCE,
    TIMINGS,
)

VISIT_HOOK_FIELDS: tuple[str, ...] = (
    "attend_base", "attend_alliance", "attend_relief", "attend_disappointment", "attend_cost",
    "framing_weight", "framing_level", "alliance", "expected_relief", "expectation_learning",
    "disappointment_self_efficacy", "alliance_self_efficacy", "relief_relative", "relief_absolute",
    "relief_window", "course_end",
)  # fmt: skip
VisitHooks = namedtuple("VisitHooks", VISIT_HOOK_FIELDS)  # type: ignore[misc]
"""Parameters of the therapist-visit hooks (relationship, expectation, attendance, relief)."""

# Columns of the per-channel integer and float tables.
CH_INT: tuple[str, ...] = ("first_session", "n_sessions", "attendance", "visit", "exposure", "timing", "stream")
CH_FLOAT: tuple[str, ...] = ("dose", "cost", "decay", "course_start", "course_end", "retention", "adherence",
                             "boost")
(CI_FIRST, CI_COUNT, CI_ATTEND, CI_VISIT, CI_EXPOSURE, CI_TIMING, CI_STREAM) = range(len(CH_INT))
(CF_DOSE, CF_COST, CF_DECAY, CF_START, CF_END, CF_RETAIN, CF_ADHERE, CF_BOOST) = range(len(CH_FLOAT))
# Columns of the flat per-effect tables: each effect carries what the kernel reads every day
# (its channel's exposure and course window, its lever, its gain signed by the operation),
# so that the daily loop makes no second lookup in the channel table.
EFF_INT: tuple[str, ...] = ("channel", "lever", "exposure")
EFF_FLOAT: tuple[str, ...] = ("signed_gain", "cap", "course_start", "course_end", "retention")
(EI_CHANNEL, EI_LEVER, EI_EXPOSURE) = range(len(EFF_INT))
(EF_GAIN, EF_CAP, EF_START, EF_END, EF_RETAIN) = range(len(EFF_FLOAT))


@dataclass(frozen=True)
class Channel:
    """One treatment of a plan, in the kernel's terms.

    ``effects`` are ``(lever, op, gain, cap)`` tuples and ``kicks`` ``(state, op, gain)``
    tuples, with names from :mod:`painsim.engine.levers`. ``stream`` is the random-number
    process of its attendance draws (engine.rng).
    """

    name: str
    session_days: np.ndarray
    attendance: str = "always"
    visit: bool = False
    exposure: str = "none"
    timing: str = "after_observation"
    stream: int = 0
    dose: float = 0.0
    cost: float = 0.0
    decay: float = 0.0
    course_start: float = -1.0
    course_end: float = -1.0
    retention: float = 0.0
    adherence: float = 1.0
    boost: float = 1.0
    effects: tuple[tuple[str, str, float, float], ...] = ()
    kicks: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True)
class CareProgram:
    """The compiled care of one arm: channel tables, effect and kick tables, visit hooks."""

    channels: tuple[Channel, ...]
    hooks: VisitHooks
    session_days: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    ch_int: np.ndarray = field(default_factory=lambda: np.empty((0, len(CH_INT)), dtype=np.int64))
    ch_float: np.ndarray = field(default_factory=lambda: np.empty((0, len(CH_FLOAT))))
    eff_int: np.ndarray = field(default_factory=lambda: np.empty((0, len(EFF_INT)), dtype=np.int64))
    eff_float: np.ndarray = field(default_factory=lambda: np.empty((0, len(EFF_FLOAT))))
    lever_start: np.ndarray = field(default_factory=lambda: np.zeros(len(LEVERS) + 1, dtype=np.int64))
    impulse_channels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    impulse_keep: np.ndarray = field(default_factory=lambda: np.empty(0))
    course_channels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    course_window: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    kick_int: np.ndarray = field(default_factory=lambda: np.empty((0, 3), dtype=np.int64))
    kick_float: np.ndarray = field(default_factory=lambda: np.empty(0))
    calendar: np.ndarray = field(default_factory=lambda: np.empty((0, 3), dtype=np.int64))
    """Every scheduled session as a row ``(day, channel, session number within the channel)``,
    sorted by day and channel: on a day with sessions the kernel reads that day's rows
    instead of asking every channel whether it has one."""

    @classmethod
    def build(cls, channels: tuple[Channel, ...] | list[Channel], hooks: VisitHooks) -> CareProgram:
        """Pack ``channels`` into the kernel's tables (checks names and the single visit channel)."""
        channels = tuple(channels)
        visits = [ch.name for ch in channels if ch.visit]
        if len(visits) > 1:
            raise ValueError(f"a plan has at most one visit treatment (relief is tracked for one), got {visits}")
        days, ch_int, ch_float, eff_int, eff_float, kick_int, kick_float = [], [], [], [], [], [], []
        first = 0
        for j, ch in enumerate(channels):
            sessions = np.asarray(ch.session_days, dtype=np.int64)
            if sessions.size and (sessions[0] < 0 or np.any(np.diff(sessions) <= 0)):
                raise ValueError(f"channel {ch.name!r}: session days must be >= 0 and strictly increasing")
            days.append(sessions)
            ch_int.append([first, sessions.size, _code(ATTENDANCE_MODELS, ch.attendance, ch.name, "attendance"),
                           int(ch.visit), _code(EXPOSURES, ch.exposure, ch.name, "exposure"),
                           _code(TIMINGS, ch.timing, ch.name, "timing"), ch.stream])
            ch_float.append([ch.dose, ch.cost, ch.decay, ch.course_start, ch.course_end, ch.retention,
                             ch.adherence, ch.boost])
            first += sessions.size
            exposure = _code(EXPOSURES, ch.exposure, ch.name, "exposure")
            for lever, op, gain, cap in ch.effects:
                code = _code(LEVER_INDEX, lever, ch.name, "lever")
                eff_int.append([j, code, exposure])
                eff_float.append([_signed_gain(code, _code(EFFECT_OPS, op, ch.name, "op"), gain), cap,
                                  ch.course_start, ch.course_end, ch.retention])
            for target, op, gain in ch.kicks:
                kick_int.append([j, _code(KICK_TARGETS, target, ch.name, "kick target"),
                                 _code(KICK_OPS, op, ch.name, "kick op")])
                kick_float.append(gain)
        impulse = [j for j, ch in enumerate(channels) if ch.exposure == "impulse"]
        course = [j for j, ch in enumerate(channels) if ch.exposure == "course"]
        # Effects grouped by lever, in plan order within a lever (a stable sort): the kernel
        # applies each lever's effects in that order, so the numbers are those of applying
        # every effect in plan order (effects on different levers do not interact).
        by_lever = sorted(range(len(eff_int)), key=lambda e: eff_int[e][EI_LEVER])
        eff_int, eff_float = [eff_int[e] for e in by_lever], [eff_float[e] for e in by_lever]
        lever_start = np.searchsorted(np.array([row[EI_LEVER] for row in eff_int], dtype=np.int64),
                                      np.arange(len(LEVERS) + 1), side="left").astype(np.int64)
        calendar = sorted((int(day), j, k) for j, sessions in enumerate(days) for k, day in enumerate(sessions))
        return cls(
            channels=channels, hooks=hooks,
            session_days=np.concatenate(days) if days else np.empty(0, dtype=np.int64),
            ch_int=np.array(ch_int, dtype=np.int64).reshape(-1, len(CH_INT)),
            ch_float=np.array(ch_float, dtype=np.float64).reshape(-1, len(CH_FLOAT)),
            eff_int=np.array(eff_int, dtype=np.int64).reshape(-1, len(EFF_INT)),
            eff_float=np.array(eff_float, dtype=np.float64).reshape(-1, len(EFF_FLOAT)),
            lever_start=lever_start,
            impulse_channels=np.array(impulse, dtype=np.int64),
            impulse_keep=np.array([1.0 - channels[j].decay for j in impulse], dtype=np.float64),
            course_channels=np.array(course, dtype=np.int64),
            course_window=np.array([[channels[j].course_start, channels[j].course_end, channels[j].retention]
                                    for j in course], dtype=np.float64).reshape(-1, 3),
            kick_int=np.array(kick_int, dtype=np.int64).reshape(-1, 3),
            kick_float=np.array(kick_float, dtype=np.float64),
            calendar=np.array(calendar, dtype=np.int64).reshape(-1, 3),
        )  # fmt: skip

    @property
    def visit_channel(self) -> int:
        """Position of the visit channel (relief tracked), or -1."""
        return next((j for j, ch in enumerate(self.channels) if ch.visit), -1)

    @property
    def visit_days(self) -> np.ndarray:
        """Scheduled days of the visit channel's sessions (empty without one)."""
        j = self.visit_channel
        return self.channels[j].session_days if j >= 0 else np.empty(0, dtype=np.int64)

    @property
    def n_sessions(self) -> int:
        """Number of scheduled visit sessions (massage, sham or another visit treatment)."""
        return int(self.visit_days.size)

    @property
    def is_empty(self) -> bool:
        """True when the program has no channel (no care to simulate)."""
        return not self.channels

    def kernel_args(self) -> tuple:
        """The tuple of tables the kernel reads, in its order."""
        return (self.session_days, self.ch_int, self.ch_float, self.eff_int, self.eff_float,
                self.kick_int, self.kick_float, np.int64(self.visit_channel), self.hooks,
                self.impulse_channels, self.impulse_keep, self.lever_start, self.course_channels,
                self.course_window, self.calendar)


def _signed_gain(lever: int, op: int, gain: float) -> float:
    """The gain with the sign of its operation: a multiplicative lever is multiplied by
    1 + signed gain x min(cap, x) (reduce: 1 - g min(cap, x)), an additive one gets signed
    gain x min(cap, x) added (subtract: - g min(cap, x)); negation is exact, so this is the
    same number as applying the operation in the kernel."""
    if LEVERS[lever].kind == "multiply":
        return -gain if op == OP_REDUCE else gain
    return gain if op == OP_ADD else -gain


def _code(names, name: str, channel: str, what: str) -> int:
    keys = list(names)
    if name not in keys:
        raise ValueError(f"channel {channel!r}: unknown {what} {name!r}; allowed: {keys}")
    return keys.index(name)


NEUTRAL_HOOKS = VisitHooks(*([0.0] * (len(VISIT_HOOK_FIELDS) - 1)), -1.0)
EMPTY_PROGRAM = CareProgram.build((), NEUTRAL_HOOKS)
"""No care: the kernel's care phases do nothing."""
