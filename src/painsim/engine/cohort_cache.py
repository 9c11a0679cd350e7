"""Screened cohorts kept for reuse: a chronic cohort costs several years of its own
simulation to screen (7.6 on an idle machine: docs/performance.md), and it depends only on its population, model
parameters, size and seed (each candidate's course is a pure function of its id and the
seed). So :meth:`painsim.engine.Cohort.build` keeps each screened cohort it makes in a
process-wide, size-bounded cache and answers the same request again with a copy: the arms
of a scenario, the points of a sweep over care or loop gains, the web app's repeated
questions and the draws of a posterior that leave the model's parameters alone then screen
once per process (issue 17 item 3).

The cache is exact: a key holds everything the cohort depends on (the population and the
parameters as JSON, ``n``, ``seed`` and the screening limits), and the cohort returned is
bit for bit the one screening would build (tests/engine/test_cohort_cache.py). Entries
are evicted least recently used first when their arrays exceed :data:`DEFAULT_BUDGET_BYTES`
(``PAINSIM_COHORT_CACHE_MB`` overrides it; 0 switches the cache off).

>>> from painsim.engine import Cohort
>>> SCREENED_COHORTS.clear()
>>> first = Cohort.build("chronic", n=50, seed=1)
>>> again = Cohort.build("chronic", n=50, seed=1)          # from the cache, a copy
>>> bool((first.state == again.state).all()), SCREENED_COHORTS.hits
(True, 1)
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

DEFAULT_BUDGET_BYTES = 512 * 2**20
"""Largest total size of the cached cohorts' arrays (512 MiB: about 2.5 million patients)."""
BUDGET_VARIABLE = "PAINSIM_COHORT_CACHE_MB"


def cohort_bytes(cohort: Any) -> int:
    """The size of a cohort's arrays."""
    return int(sum(a.nbytes for a in (cohort.ids, cohort.traits, cohort.state, cohort.modifiers,
                                      cohort.duration_days)))


def budget_from_environment() -> int:
    """The cache's budget in bytes: ``PAINSIM_COHORT_CACHE_MB`` if set (a number of MiB, 0
    switches the cache off), else :data:`DEFAULT_BUDGET_BYTES`. A value that is not a
    non-negative number raises ValueError naming the variable."""
    text = os.environ.get(BUDGET_VARIABLE)
    if text is None or not text.strip():
        return DEFAULT_BUDGET_BYTES
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = -1.0
    if not megabytes >= 0:
        raise ValueError(f"{BUDGET_VARIABLE}={text!r}: give the cache's size in MiB, a number >= 0 (0 switches it off)")
    return int(megabytes * 2**20)


class CohortCache:
    """A thread-safe least-recently-used cache of cohorts with a budget in bytes."""

    def __init__(self, budget_bytes: int | None = None):
        self._budget = budget_bytes
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def budget_bytes(self) -> int:
        return budget_from_environment() if self._budget is None else self._budget

    @property
    def size_bytes(self) -> int:
        """Bytes of the cohorts held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Any | None:
        """A copy of the cohort kept under ``key``, or None."""
        with self._lock:
            cohort = self._entries.get(key)
            if cohort is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return cohort.copy()

    def put(self, key: tuple, cohort: Any) -> None:
        """Keep a copy of ``cohort`` under ``key`` (not when it alone exceeds the budget)."""
        size, budget = cohort_bytes(cohort), self.budget_bytes
        if size > budget:
            return
        kept = cohort.copy()
        with self._lock:
            if key in self._entries:
                self._bytes -= cohort_bytes(self._entries.pop(key))
            self._entries[key] = kept
            self._bytes += size
            while self._bytes > budget:
                _, oldest = self._entries.popitem(last=False)
                self._bytes -= cohort_bytes(oldest)

    def clear(self) -> None:
        """Forget every cohort and reset the counts."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.hits = self.misses = 0


def screened_key(population: Any, n: int, seed: int, params: Any, limits: Any) -> tuple:
    """Everything a screened cohort depends on."""
    return (population.model_dump_json(), params.model_dump_json(), int(n), int(seed), repr(limits))


SCREENED_COHORTS = CohortCache()
"""The process's cache of screened cohorts (used by :meth:`painsim.engine.Cohort.build`)."""
