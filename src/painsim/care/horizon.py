"""Does a care plan fit the horizon of a run? One check for scenarios, trial specs and the web."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def check_plans_fit_horizon(plans: Mapping[str, Any], horizon_days: int, params: Any = None,
                            where: str = "arms.") -> None:
    """Raise ValueError when a plan of ``plans`` (name -> CarePlan) does not fit ``horizon_days``.

    Each plan is compiled over the horizon with ``params`` (CareParams; default: the
    calibrated ones), as a run would. The message names the field, ``{where}{name}.{treatment}:
    ...`` (``arms.massage.massage: a session is scheduled on day 40, outside the horizon of
    30 days (days 0-29)``), so it reads as the path of the key to change in the file.
    """
    for name, plan in plans.items():
        try:
            plan.compile(horizon_days, params)
        except (ValueError, OverflowError) as err:  # OverflowError: session days beyond int64
            raise ValueError(f"{where}{name}.{err}") from None
