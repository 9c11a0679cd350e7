"""A care plan: the treatments one arm receives and its relationship, compiled for the kernel.

``CarePlan`` is composed from the registry: one optional field per registered treatment
(its TOML table) and ``relationship``. :meth:`compile` turns a plan into the
:class:`painsim.engine.program.CareProgram` the kernel reads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from painsim.care.registry import Registry
from painsim.care.relationship import Relationship
from painsim.care.treatment import Treatment
from painsim.engine.program import CareProgram, VisitHooks


class _CarePlanBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    registry: ClassVar[Any] = None  # the Registry the composed class was built from

    @model_validator(mode="after")
    def _one_kind_of_visit(self) -> _CarePlanBase:
        visits = [t.name for t in self.treatments() if t.visit]
        if len(visits) > 1:
            raise ValueError(f"a plan has at most one kind of visit (relief is followed after one): "
                             f"got {' and '.join(visits)}")
        return self

    def __repr_args__(self):
        # Only the treatments the plan has (its repr must not depend on installed plug-ins).
        return [(name, value) for name, value in super().__repr_args__() if value is not None]

    def treatments(self) -> list[Treatment]:
        """The treatments of this plan, in registry order."""
        return [value for name in type(self).registry.names if (value := getattr(self, name)) is not None]

    @property
    def is_empty(self) -> bool:
        """True when the plan adds no care (usual care or nothing)."""
        return not any(t.compiles() for t in self.treatments())

    def compile(self, horizon: int, params: Any = None) -> CareProgram:
        """Check the schedules against the horizon and build the kernel's view of the plan."""
        from painsim.care import CareParams

        params = params if params is not None else CareParams()
        registry = type(self).registry
        channels = []
        for treatment in self.treatments():
            treatment.check_horizon(horizon)
            if treatment.compiles():
                channels.append(treatment.channel(params, registry.stream(treatment.name)))
        visit_days = next((ch.session_days for ch in channels if ch.visit), None)
        course_end = float(visit_days.max()) if visit_days is not None and visit_days.size else -1.0
        return CareProgram.build(channels, self.visit_hooks(params, course_end))

    def visit_hooks(self, params: Any, course_end: float) -> VisitHooks:
        """The visit-hook parameters of this plan: gains, its relationship, the course end."""
        rel = self.relationship
        framing = params.framing_fix if rel.framing == "fix" else params.framing_manage
        return VisitHooks(
            attend_base=params.attend_base, attend_alliance=params.attend_alliance,
            attend_relief=params.attend_relief, attend_disappointment=params.attend_disappointment,
            attend_cost=params.attend_cost, framing_weight=params.framing_weight, framing_level=framing,
            alliance=rel.alliance, expected_relief=params.expected_relief,
            expectation_learning=params.expectation_learning,
            disappointment_self_efficacy=params.disappointment_self_efficacy,
            alliance_self_efficacy=params.alliance_self_efficacy, relief_relative=params.relief_relative,
            relief_absolute=params.relief_absolute, relief_window=params.relief_window, course_end=course_end,
        )  # fmt: skip


def build_care_plan(registry: Registry) -> type[BaseModel]:
    """The CarePlan model of ``registry``: one optional field per treatment, and relationship."""
    fields: dict[str, Any] = {
        cls.name: (cls | None, Field(None, description=f"{cls.label}: {cls.describe()['summary']}"))
        for cls in registry
    }
    fields["relationship"] = (Relationship, Field(default_factory=Relationship))
    model = create_model("CarePlan", __base__=_CarePlanBase, __module__="painsim.care", __doc__=_PLAN_DOC,
                         **fields)
    model.registry = registry
    return model


_PLAN_DOC = """The care one arm receives: at most one of each registered treatment, and a relationship.

    Examples
    --------
    >>> from painsim.care import CarePlan, Massage, Relationship
    >>> plan = CarePlan(massage=Massage(), relationship=Relationship(alliance=0.8))
    >>> plan.compile(horizon=365).n_sessions
    10
    """
