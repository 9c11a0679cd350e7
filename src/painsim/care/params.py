"""Gains of the care mechanisms: the visit hooks' and every registered treatment's.

``CareParams`` is composed from the registry (built-ins and plug-ins), so each treatment
declares its own parameters in its own file; docs/care.md is generated from them.
None of them is a probability of responding: massage gives a relief impulse whose effect
on pain depends on the client's state, traits, expectation and alliance; whether that
impulse becomes relief, and for how long, emerges from the loops.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, create_model

from painsim.care.registry import Registry
from painsim.care.relationship import VisitParams
from painsim.engine.params import parameter_table


class _CareParamsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    owners: ClassVar[dict[str, str]] = {}

    @classmethod
    def table(cls) -> list[dict[str, Any]]:
        """One row per parameter: name, default, meaning, source, unit, and who declares it."""
        rows = parameter_table(cls)
        owners = cls.owners
        for row in rows:
            row["treatment"] = owners.get(row["name"], "visit hooks")
        return rows


def build_care_params(registry: Registry) -> type[BaseModel]:
    """The CareParams model of ``registry``: visit-hook parameters, then each treatment's."""
    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in VisitParams.model_fields.items()}
    owners: dict[str, str] = {}
    for cls in registry:
        for name, info in (cls.Params.model_fields if cls.Params else {}).items():
            if name in fields:
                raise ValueError(f"treatment {cls.name!r}: parameter {name!r} is already declared by "
                                 f"{owners.get(name, 'the visit hooks')!r}")
            fields[name] = (info.annotation, info)
            owners[name] = cls.name
    model = create_model("CareParams", __base__=_CareParamsBase, __module__="painsim.care",
                         __doc__="Gains of the care mechanisms (defaults: the calibrated model).", **fields)
    model.owners = owners
    return model
