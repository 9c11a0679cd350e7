"""Imported once by the forkserver of the web app's job processes (:mod:`painsim.web.jobs`).

Every job's process is forked from that server, so what is imported and compiled here is
not paid for again by each job: painsim's modules, matplotlib's Agg backend, and the
simulation kernel (loaded from numba's cache by one tiny simulation).
"""

from __future__ import annotations

import contextlib


def _warm_up() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    import painsim.web.massage
    import painsim.web.patient
    import painsim.web.trials  # noqa: F401
    from painsim.engine import Cohort, Population, Record, simulate

    cohort = Cohort.build(Population(name="warm-up", entry="acute"), n=2, seed=0)
    simulate(cohort, 2, Record.summaries())


# if the warm-up fails, a job pays for the imports itself (and reports its own errors)
with contextlib.suppress(Exception):
    _warm_up()
