"""Every list of choices a user picks from, read from the one place it is declared.

The values come from their home modules (the estimators from ``painsim.evidence``, the
missing-data methods from ``painsim.trials.spec``, the treatments from the care registry,
the sensitivity methods from ``painsim.calibration.sensitivity``, the export formats from
``painsim.store``, ...); this module only adds the words a person reads next to them. CLI help and
validation and the web API (``GET /api/choices``) read :func:`choices`; nothing copies a list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import get_args

from painsim.app.errors import AppInputError

#: Words shown next to the tau^2 estimators of painsim.evidence.heterogeneity.METHODS.
_METHOD_LABELS = {
    "FE": "fixed (common) effect: no tau^2",
    "DL": "DerSimonian-Laird",
    "HE": "Hedges",
    "SJ": "Sidik-Jonkman",
    "ML": "maximum likelihood",
    "REML": "restricted maximum likelihood",
    "EB": "empirical Bayes",
    "PM": "Paule-Mandel",
}
_TEST_LABELS = {"z": "z (normal)", "knha": "Hartung-Knapp (t)"}
_POOLING_LABELS = {
    "SMD": "standardised mean difference from each trial's observed means and SDs",
    "MD": "mean difference from each trial's observed means and SDs",
    "ADJ": "each trial's adjusted difference and its standard error",
}
_MISSING_LABELS = {
    "mi": "multiple imputation",
    "mixed": "mixed model for repeated measures",
    "complete_case": "complete cases only",
}
#: How each trial outcome is shown (its name and scale).
_OUTCOME_LABELS = {"rmdq": "RMDQ (0-24)", "pain": "pain (0-10)"}
_RESPONDER_LABELS = {"non_responder": "non-responder", "transient": "transient", "lasting": "lasting"}
_SENSITIVITY_LABELS = {
    "sobol": "first- and total-order indices",
    "morris": "elementary effects mu*, sigma",
}
_PERSPECTIVE_LABELS = {
    "payer": "care and other health care for back pain",
    "societal": "payer costs and productivity lost to disability (human-capital method)",
}
_EXPORT_LABELS = {
    "parquet": "copies the tables as they are",
    "csv": "converts the tables to CSV",
}


class ChoiceError(AppInputError):
    """A value that is not one of its list of choices; the message says what is allowed."""


@dataclass(frozen=True)
class Choice:
    """One allowed value: what to write (``value``) and what it means (``label``)."""

    value: str
    label: str


def _effect_size_measures() -> list[Choice]:
    from painsim.evidence.effect_sizes import MEASURE_LABELS, MEASURES

    return [Choice(m, MEASURE_LABELS.get(m, m)) for m in MEASURES]


def _tau2_methods() -> list[Choice]:
    from painsim.evidence.heterogeneity import METHODS

    return [Choice(m, _METHOD_LABELS.get(m, m)) for m in METHODS]


def _tests() -> list[Choice]:
    from painsim.evidence.rma import TESTS

    return [Choice(t, _TEST_LABELS.get(t, t)) for t in TESTS]


def _pooling_measures() -> list[Choice]:
    from painsim.trials.pooling import MEASURES

    return [Choice(m, _POOLING_LABELS.get(m, m)) for m in MEASURES]


def _follow_up_windows() -> list[Choice]:
    from painsim.trials.pooling import WINDOWS

    return [Choice(name, definition) for name, definition in WINDOWS.items()]


def _missing_data() -> list[Choice]:
    from painsim.trials.spec import MISSING

    return [Choice(m, _MISSING_LABELS.get(m, m)) for m in MISSING]


def _outcomes() -> list[Choice]:
    from painsim.trials.spec import OUTCOMES

    return [Choice(name, _OUTCOME_LABELS.get(name, name)) for name in OUTCOMES]


def _responder_classes() -> list[Choice]:
    from painsim.outcomes.care_outcomes import CLASSES

    return [Choice(name, _RESPONDER_LABELS.get(name, name)) for name in CLASSES]


def _sensitivity_methods() -> list[Choice]:
    from painsim.calibration.sensitivity import Method

    return [Choice(m, _SENSITIVITY_LABELS.get(m, m)) for m in get_args(Method)]


_CALIBRATION_LABELS = {
    "optimise": "one best parameter set (Optuna TPE)",
    "abc-smc": "a posterior of weighted parameter sets (ABC-SMC, pyabc)",
}


def _calibration_methods() -> list[Choice]:
    from painsim.calibration.fitting import METHODS

    return [Choice(m, _CALIBRATION_LABELS.get(m, m)) for m in METHODS]


def _sensitivity_outputs() -> list[Choice]:
    from painsim.calibration.sensitivity import OUTPUTS

    return [Choice(name, meaning) for name, meaning in OUTPUTS.items()]


def _export_formats() -> list[Choice]:
    from painsim.store import EXPORT_FORMATS

    return [Choice(f, _EXPORT_LABELS.get(f, f)) for f in EXPORT_FORMATS]


def _treatments() -> list[Choice]:
    from painsim.care import REGISTRY

    return [Choice(name, REGISTRY.get(name).label or name) for name in REGISTRY.names]


def _populations() -> list[Choice]:
    from painsim.engine.population import NAMED_POPULATIONS, Population

    names = {entry: make().name for entry, make in NAMED_POPULATIONS.items()}
    return [Choice(entry, names.get(entry, entry)) for entry in get_args(Population.model_fields["entry"].annotation)]


def _loops() -> list[Choice]:
    from painsim.engine.loops import LOOP_NAMES, LOOPS

    labels = {loop.name: loop.label for loop in LOOPS}
    return [Choice(name, labels.get(name, name)) for name in LOOP_NAMES]


def _perspectives() -> list[Choice]:
    from painsim.economics.spec import PERSPECTIVES

    return [Choice(p, _PERSPECTIVE_LABELS.get(p, p)) for p in PERSPECTIVES]


def _utility_mappings() -> list[Choice]:
    from painsim.economics.utilities import MAPPINGS

    return [Choice(name, m.label) for name, m in MAPPINGS.items()]


_LISTS = {
    "effect_size_measures": _effect_size_measures,
    "tau2_methods": _tau2_methods,
    "tests": _tests,
    "pooling_measures": _pooling_measures,
    "follow_up_windows": _follow_up_windows,
    "missing_data": _missing_data,
    "outcomes": _outcomes,
    "responder_classes": _responder_classes,
    "treatments": _treatments,
    "populations": _populations,
    "loops": _loops,
    "calibration_methods": _calibration_methods,
    "sensitivity_methods": _sensitivity_methods,
    "sensitivity_outputs": _sensitivity_outputs,
    "export_formats": _export_formats,
    "perspectives": _perspectives,
    "utility_mappings": _utility_mappings,
}
#: The names of the lists :func:`choices` returns.
CHOICE_LISTS: tuple[str, ...] = tuple(_LISTS)


def choices() -> dict[str, list[Choice]]:
    """Every list of choices by name (:data:`CHOICE_LISTS`), each in its declared order."""
    return {name: read() for name, read in _LISTS.items()}


def choices_json() -> dict[str, list[dict[str, str]]]:
    """:func:`choices` as plain JSON (``{"tau2_methods": [{"value": "FE", "label": ...}]}``)."""
    return {name: [asdict(c) for c in items] for name, items in choices().items()}


def values(name: str) -> tuple[str, ...]:
    """The allowed values of the list ``name`` (one of :data:`CHOICE_LISTS`)."""
    if name not in _LISTS:
        raise KeyError(f"unknown list of choices {name!r}; lists: {', '.join(CHOICE_LISTS)}")
    return tuple(c.value for c in _LISTS[name]())


def check_choice(name: str, value: str, option: str) -> str:
    """``value`` matched case-insensitively against the list ``name``; the declared spelling.

    Raise :class:`ChoiceError` "``option`` must be one of ... (got ...)" otherwise."""
    allowed = values(name)
    for candidate in allowed:
        if value.lower() == candidate.lower():
            return candidate
    raise ChoiceError(f"{option} must be one of {', '.join(allowed)} (got {value!r})")
