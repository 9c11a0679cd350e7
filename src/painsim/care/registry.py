"""The one registry of treatments: built-ins, then plug-ins from the ``painsim.care`` entry points.

Registration checks a treatment's declarations and refuses, naming the treatment, the
field and what is allowed: parameters without bounds, meaning or source; unknown levers,
states, operations, attendance models, exposures or timings; gains that name no
parameter. Everything that lists treatments (scenario and trial TOML keys, the JSON Schema,
the docs table, the web app's care-plan form, CLI help) reads this registry.

A third-party package adds a treatment without editing painsim::

    # pyproject.toml of the plug-in package
    [project.entry-points."painsim.care"]
    heat_wrap = "painsim_heat_wrap:HeatWrap"
"""

from __future__ import annotations

import difflib
import math
import re
import zlib
from collections.abc import Iterator
from importlib.metadata import entry_points

from painsim.care.treatment import Treatment
from painsim.engine.levers import (
    ATTENDANCE_MODELS,
    EXPOSURES,
    KICK_OPS,
    KICK_TARGETS,
    LEVER_INDEX,
    LEVERS,
    TIMINGS,
)

ENTRY_POINT_GROUP = "painsim.care"
PLUGIN_STREAM_BASE = 1_000_000  # random-number processes of plug-ins: above every built-in process
RESERVED_NAMES = frozenset({"relationship", "care", "arms", "name"})


class PluginError(ValueError):
    """A treatment that cannot be registered; the message names it, the field and what is allowed."""


def did_you_mean(name: str, choices) -> str:
    """`` (did you mean 'x'?)`` when ``name`` is close to one of ``choices``, else ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Registry:
    """Treatments by name, in registration order (the order of plans, forms and docs)."""

    def __init__(self) -> None:
        self._treatments: dict[str, type[Treatment]] = {}
        self._streams: dict[int, str] = {}
        self._builtin: set[str] = set()
        self.frozen = False

    def __repr__(self) -> str:
        # Stable text for the docs: the contents depend on the installed plug-ins.
        return "Registry(treatments: see .names)"

    def __iter__(self) -> Iterator[type[Treatment]]:
        return iter(self._treatments.values())

    def __len__(self) -> int:
        return len(self._treatments)

    def __contains__(self, name: object) -> bool:
        return name in self._treatments

    @property
    def names(self) -> tuple[str, ...]:
        """Registered treatment names, in order."""
        return tuple(self._treatments)

    def get(self, name: str) -> type[Treatment]:
        """The treatment called ``name``; a KeyError lists the registered ones."""
        if name not in self._treatments:
            raise KeyError(f"unknown treatment {name!r}{did_you_mean(name, self._treatments)}; "
                           f"registered: {list(self._treatments)}")
        return self._treatments[name]

    def is_builtin(self, name: str) -> bool:
        """True for treatments shipped with painsim."""
        return name in self._builtin

    def stream(self, name: str) -> int:
        """The random-number process of the treatment's attendance draws."""
        cls = self.get(name)
        return cls.stream if cls.stream is not None else _plugin_stream(name)

    def parameter_names(self) -> dict[str, str]:
        """Every registered parameter name -> the treatment that declares it."""
        return {field: cls.name for cls in self for field in (cls.Params.model_fields if cls.Params else {})}

    def register(self, cls: type[Treatment], builtin: bool = False,
                 shared_parameters: frozenset[str] = frozenset()) -> type[Treatment]:
        """Check ``cls`` and add it; ``shared_parameters`` are parameter names that every
        treatment may use besides the registered ones (the visit hooks')."""
        if self.frozen:
            raise PluginError(f"treatment {getattr(cls, 'name', cls)!r}: the registry is complete (the care plan "
                              f"and parameter models are built); register plug-ins through the "
                              f"{ENTRY_POINT_GROUP!r} entry-point group")
        check_treatment(cls, self, shared_parameters)
        stream = cls.stream if cls.stream is not None else _plugin_stream(cls.name)
        owner = self._streams.get(stream)
        if owner is not None and not (cls.visit and self.get(owner).visit):  # two visits never share a plan
            raise PluginError(f"treatment {cls.name!r}: random stream {stream} is already used by {owner!r}; "
                              "choose another 'stream' (or leave it unset)")
        self._streams.setdefault(stream, cls.name)
        self._treatments[cls.name] = cls
        if builtin:
            self._builtin.add(cls.name)
        return cls

    def load_entry_points(self, shared_parameters: frozenset[str] = frozenset()) -> list[str]:
        """Register the treatments of installed plug-in packages; returns their names."""
        loaded = []
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                obj = ep.load()
            except Exception as err:  # a broken plug-in must say which one it is
                raise PluginError(f"plug-in entry point {ep.name!r} ({ep.value}) of group {ENTRY_POINT_GROUP!r} "
                                  f"failed to load: {type(err).__name__}: {err}. Fix or uninstall the package "
                                  "that provides it") from err
            for cls in obj if isinstance(obj, list | tuple) else [obj]:
                if not (isinstance(cls, type) and issubclass(cls, Treatment)):
                    raise PluginError(f"plug-in entry point {ep.name!r} ({ep.value}) must name a "
                                      f"painsim.care.Treatment subclass, got {cls!r}")
                self.register(cls, shared_parameters=shared_parameters)
                loaded.append(cls.name)
        return loaded


def _plugin_stream(name: str) -> int:
    return PLUGIN_STREAM_BASE + zlib.crc32(name.encode()) % (1 << 20)


def check_treatment(cls: type[Treatment], registry: Registry,
                    shared_parameters: frozenset[str] = frozenset()) -> None:
    """Raise PluginError naming the treatment, the field and what is allowed when a
    declaration of ``cls`` is invalid."""
    name = getattr(cls, "name", "")
    who = f"treatment {name or cls.__name__!r}"
    if not (isinstance(cls, type) and issubclass(cls, Treatment)):
        raise PluginError(f"{who}: must be a subclass of painsim.care.Treatment")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise PluginError(f"{who}: 'name' must be a lower-case identifier (a TOML key), got {name!r}")
    if name in RESERVED_NAMES or name in registry:
        raise PluginError(f"{who}: the name is already taken; taken: {sorted(RESERVED_NAMES | set(registry.names))}")
    if not cls.label:
        raise PluginError(f"{who}: 'label' (a human-readable name) is required")
    _check_choice(who, "attendance", cls.attendance, ATTENDANCE_MODELS)
    _check_choice(who, "timing", cls.timing, TIMINGS)
    _check_choice(who, "exposure", cls.exposure, EXPOSURES)
    own = _check_params(who, cls)
    known = set(registry.parameter_names()) | own | set(shared_parameters)
    if cls.exposure == "impulse":
        if not cls.decay:
            raise PluginError(f"{who}: an 'impulse' exposure needs 'decay', the name of its daily decay parameter")
        _check_gain(who, "decay", cls.decay, known)
    if cls.effects and cls.exposure == "none":
        raise PluginError(f"{who}: 'effects' need an exposure; allowed: ['impulse', 'course']")
    for k, effect in enumerate(cls.effects):
        where = f"effects[{k}]"
        if effect.lever not in LEVER_INDEX:
            raise PluginError(f"{who}: {where}.lever {effect.lever!r} is not a lever"
                              f"{did_you_mean(effect.lever, LEVER_INDEX)}; levers: {list(LEVER_INDEX)}")
        allowed = LEVERS[LEVER_INDEX[effect.lever]].ops
        if effect.op not in allowed:
            raise PluginError(f"{who}: {where}.op {effect.op!r} does not apply to the {effect.lever!r} lever; "
                              f"allowed: {list(allowed)}")
        _check_gain(who, f"{where}.gain", effect.gain, known)
        if not (effect.cap > 0 and not math.isnan(effect.cap)):
            raise PluginError(f"{who}: {where}.cap must be > 0 (inf for no cap), got {effect.cap}")
    for k, kick in enumerate(cls.kicks):
        where = f"kicks[{k}]"
        if kick.state not in KICK_TARGETS:
            raise PluginError(f"{who}: {where}.state {kick.state!r} cannot be kicked"
                              f"{did_you_mean(kick.state, KICK_TARGETS)}; allowed: {list(KICK_TARGETS)}")
        _check_choice(who, f"{where}.op", kick.op, KICK_OPS)
        _check_gain(who, f"{where}.gain", kick.gain, known)
        if kick.state == "activity" and cls.timing != "after_observation":
            raise PluginError(f"{who}: {where}: an 'activity' kick needs timing 'after_observation' (before it, "
                              "the day's activity is computed afresh; use the 'activity' lever instead)")


def _check_choice(who: str, field: str, value: str, allowed) -> None:
    if value not in allowed:
        raise PluginError(f"{who}: {field} {value!r} is not allowed{did_you_mean(str(value), allowed)}; "
                          f"allowed: {list(allowed)}")


def _check_gain(who: str, field: str, gain: str, known: set[str]) -> None:
    if gain not in known:
        raise PluginError(f"{who}: {field} names parameter {gain!r}, which is not declared"
                          f"{did_you_mean(gain, known)}; declare it in the treatment's Params")


def _check_params(who: str, cls: type[Treatment]) -> set[str]:
    if cls.Params is None:
        return set()
    for field, info in cls.Params.model_fields.items():
        lower = [m.ge for m in info.metadata if getattr(m, "ge", None) is not None]
        upper = [m.le for m in info.metadata if getattr(m, "le", None) is not None]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if not lower or not upper:
            raise PluginError(f"{who}: parameter {field!r} needs both bounds (ge and le, e.g. "
                              f"parameter(0.2, ..., ge=0.0, le=1.0)); got ge={lower or None}, le={upper or None}")
        if not info.description:
            raise PluginError(f"{who}: parameter {field!r} needs a meaning (description)")
        if not extra.get("source"):
            raise PluginError(f"{who}: parameter {field!r} needs a source (or reason) for its default")
        if not isinstance(info.default, int | float) or not math.isfinite(info.default):
            raise PluginError(f"{who}: parameter {field!r} needs a finite numeric default, got {info.default!r}")
    return set(cls.Params.model_fields)
