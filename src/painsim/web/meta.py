"""The meta router: health, the causal-loop diagram, every list of choices the forms offer
(``GET /api/choices``), and the front end's page.

The front end copies no list: each ``<select>`` of index.html names its choice
(``data-choices="tau2_methods"``) and app.js fills it from ``/api/choices``. Library
choices come from the application layer (:func:`painsim.app.choices`, which reads the one
declaration of each); the web pages' own (horizons, patients per arm) from the page module
that validates them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from painsim.web.common import DISCLAIMER, version

router = APIRouter(tags=["meta"])


def static_dir() -> Path:
    return Path(str(resources.files("painsim.web").joinpath("static")))


def _choice(values, default: Any = None, labels: dict[Any, str] | None = None) -> dict[str, Any]:
    """One list of choices: its values, the default, and labels to show (value -> label)."""
    values = list(values)
    return {"values": values, "default": default if default is not None else values[0],
            "labels": {str(k): v for k, v in (labels or {}).items()}}


def choices() -> dict[str, dict[str, Any]]:
    """Every list of choices of the web forms: the application layer's lists
    (:func:`painsim.app.choices`, each read from its one declaration) and the web pages' own."""
    from painsim.app import choices as app_choices
    from painsim.evidence.effect_sizes import REQUIRED_COLUMNS
    from painsim.web import diary, evidence, massage, patient, worth

    defaults = {"effect_size_measures": evidence.DEFAULTS["measure"], "tau2_methods": evidence.DEFAULTS["method"],
                "tests": evidence.DEFAULTS["test"]}
    out = {name: _choice([c.value for c in items], defaults.get(name), {c.value: c.label for c in items})
           for name, items in app_choices().items()}
    out["effect_size_measures"]["columns"] = {m: list(REQUIRED_COLUMNS[m])
                                              for m in out["effect_size_measures"]["values"]}
    out.update({
        "patient_horizon_days": _choice(patient.HORIZONS, patient.DEFAULT_HORIZON, patient.HORIZONS),
        "patient_draws": _choice(patient.POSTERIOR_DRAWS, 0, patient.POSTERIOR_DRAWS),
        "massage_n": _choice(massage.PATIENTS_PER_ARM, massage.DEFAULT_N),
        "massage_horizon_days": _choice(massage.HORIZONS, massage.DEFAULT_HORIZON, massage.HORIZONS),
        "massage_draws": _choice(massage.POSTERIOR_DRAWS, massage.DEFAULT_DRAWS, massage.POSTERIOR_DRAWS),
        "worth_n": _choice(worth.PATIENTS_PER_ARM, worth.DEFAULT_N),
        "worth_psa": _choice(worth.PSA_DRAWS, worth.DEFAULT_PSA),
        "worth_wtp_max": _choice(worth.WTP_MAX, worth.DEFAULT_WTP_MAX, worth.WTP_MAX),
        "diary_particles": _choice(diary.PARTICLES, diary.DEFAULT_PARTICLES),
        "diary_draws": _choice(diary.POSTERIOR_DRAWS, 0, diary.POSTERIOR_DRAWS),
    })
    return out


@router.get("/api/health", summary="Liveness and version")
def health() -> dict[str, str]:
    return {"status": "ok", "version": version(), "disclaimer": DISCLAIMER}


@router.get("/api/choices", summary="Every list of choices of the forms: values, default, labels")
def list_choices() -> dict[str, dict[str, Any]]:
    return choices()


@router.get("/api/diagram", summary="The causal-loop diagram (nodes, edges, loops)")
def diagram() -> dict[str, Any]:
    from painsim.engine.diagram import GROUPS, POSITIONS
    from painsim.engine.loops import LOOPS, edges

    return {
        "nodes": [{"id": k, "x": x, "y": y, "group": GROUPS.get(k, "biology")} for k, (x, y) in POSITIONS.items()],
        "edges": [{"source": e.source, "target": e.target, "sign": e.sign,
                   "loops": [lp.name for lp in LOOPS if e in lp.edges]} for e in edges()],
        "loops": [{"name": lp.name, "label": lp.label, "kind": lp.kind} for lp in LOOPS],
    }


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(static_dir() / "index.html")
