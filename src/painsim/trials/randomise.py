"""Allocation of participants to arms, in enrolment order.

* ``simple``: each participant independently, with probabilities proportional to the arms' n;
* ``complete``: a random permutation of exactly n labels per arm (random allocation rule);
* ``blocks``: permuted blocks; each block holds every arm ``ratio`` times per multiple of
  the ratio sum, its size drawn from ``block_sizes``; once an arm has its n, blocks hold
  only the arms that still need participants (so every arm gets exactly its n);
* ``stratified``: permuted blocks run separately within each stratum of baseline pain/RMDQ
  cut points; each stratum's last block is cut where enrolment ends, so arm sizes can
  differ from their n by up to half a block per stratum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def strata_of(baseline: Mapping[str, np.ndarray], cuts: Mapping[str, Sequence[float]]) -> np.ndarray:
    """Stratum number (0..k-1) of each participant from baseline values and cut points
    (a value equal to a cut point falls in the upper stratum)."""
    names = sorted(cuts)
    n = len(next(iter(baseline.values())))
    stratum = np.zeros(n, dtype=np.int64)
    for name in names:
        level = np.searchsorted(np.asarray(cuts[name], dtype=float), np.asarray(baseline[name]), side="right")
        stratum = stratum * (len(cuts[name]) + 1) + level
    return stratum


def block_sequence(n: int, ratios: Sequence[int], block_sizes: Sequence[int], rng: np.random.Generator,
                   targets: Sequence[int] | None = None) -> np.ndarray:
    """Arm indices for ``n`` consecutive participants in permuted blocks.

    With ``targets`` (participants per arm, summing to ``n``) no arm gets more than its
    target: a block that would overshoot is cut to what each arm still needs (so the arms
    get exactly their targets); without, the last block is simply cut at ``n``.
    """
    ratios = np.asarray(ratios, dtype=np.int64)
    remaining = None if targets is None else np.asarray(targets, dtype=np.int64).copy()
    out: list[np.ndarray] = []
    total = 0
    while total < n:
        size = int(rng.choice(np.asarray(block_sizes)))
        counts = ratios * (size // int(ratios.sum()))
        if remaining is not None:
            counts = np.minimum(counts, remaining)
            if counts.sum() == 0:  # arms with a zero ratio share still need participants
                counts = remaining.copy()
            remaining -= counts
        block = rng.permutation(np.repeat(np.arange(ratios.size), counts))
        out.append(block)
        total += block.size
    return np.concatenate(out)[:n]


def allocate(scheme: str, n_per_arm: Sequence[int], ratios: Sequence[int], block_sizes: Sequence[int],
             rng: np.random.Generator, strata: np.ndarray | None = None) -> np.ndarray:
    """Arm index (0..arms-1) of each of the ``sum(n_per_arm)`` participants, in enrolment order."""
    n_per_arm = np.asarray(n_per_arm, dtype=np.int64)
    total = int(n_per_arm.sum())
    if scheme == "simple":
        return rng.choice(n_per_arm.size, size=total, p=n_per_arm / total).astype(np.int64)
    if scheme == "complete":
        return rng.permutation(np.repeat(np.arange(n_per_arm.size), n_per_arm)).astype(np.int64)
    if scheme == "blocks":
        return block_sequence(total, ratios, block_sizes, rng, targets=n_per_arm)
    if scheme == "stratified":
        if strata is None or len(strata) != total:
            raise ValueError("stratified randomisation needs one stratum per participant")
        arms = np.empty(total, dtype=np.int64)
        for stratum in np.unique(strata):
            members = np.flatnonzero(strata == stratum)
            arms[members] = block_sequence(members.size, ratios, block_sizes, rng)
        return arms
    raise ValueError(f"unknown randomisation scheme {scheme!r}; allowed: simple, complete, blocks, stratified")
