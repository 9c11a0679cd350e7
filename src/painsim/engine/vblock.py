"""The layout of the vector kernel's block: one flat float64 array, a row per quantity, a column
per lane (patient).

Row ``r`` of lane ``j`` is at ``r * LANES + j``. The state rows keep their
:mod:`painsim.engine.variables` index; after them come the running summaries, the traits
as the loops read them, the patient's lever modifiers, two rows of the day's rare events
and, for a run with care, the rows the care phases hand to observation and the loops
(:mod:`painsim.engine.vcare`). The ``O_*`` names are the rows' offsets (``row * LANES``):
with constant offsets LLVM sees that rows never overlap, so the lane loops need no run-time
alias checks.
"""

from __future__ import annotations

from painsim.engine.variables import (
    S_A,
    S_ACT,
    S_C,
    S_D,
    S_E,
    S_F,
    S_FIRST,
    S_G,
    S_H,
    S_I,
    S_K,
    S_N,
    S_NREC,
    S_P,
    S_PO,
    S_PS,
    S_REC,
    S_RUN,
    S_S,
    S_SPELL,
    S_T,
    S_U,
    S_V,
    S_VS,
    S_W,
    S_X,
    S_Z,
    STATE,
)  # fmt: skip

LANES = 32
"""Patients per block: four AVX-512 vectors of float64, or eight AVX2 vectors (the block's
state, 32 lanes x 75 rows x 8 bytes = 19 KiB, stays in the L1 cache)."""

N_STATE = len(STATE)
(B_PAIN, B_PAIN28, B_DIS, B_DIS28, B_HIGH, B_WORST, B_QFIRST, B_QNREC, B_WEEKMAX,
 B_SENS, B_SLEEPV, B_STRESSR, B_CAT, B_SE0, B_SUPPORT0, B_WORK0, B_MONEY, B_RESIL, B_CARE0, B_FLOOR,
 B_WINDUPK, B_KNOW0, B_REINJ,
 B_MNOCI, B_MGUARD, B_MINHIB, B_MTHREAT, B_MFEAR, B_MSLEEP, B_MSTRESS, B_MACT, B_MSE, B_MCOND,
 B_MINOR, B_RARE,
 # care: the levers of the day as observation and the loops take them, the patient's resources
 # (the attendance model's), and whether a session after observation is due today
 B_LNOCI, B_LGUARD, B_LTHREAT, B_LFEAR, B_LSTRESS, B_LCOND, B_CINHIB, B_CSLEEP, B_CACT, B_CSE,
 B_RES, B_DUE,
 B_ROWS) = range(N_STATE, N_STATE + 48)  # fmt: skip

O_T, O_G, O_C, O_H, O_I, O_S, O_K = (r * LANES for r in (S_T, S_G, S_C, S_H, S_I, S_S, S_K))
O_A, O_F, O_E, O_X, O_N, O_W, O_U, O_Z = (r * LANES for r in (S_A, S_F, S_E, S_X, S_N, S_W, S_U, S_Z))
O_SPELL, O_V, O_VS, O_P, O_PO, O_D, O_ACT = (r * LANES for r in (S_SPELL, S_V, S_VS, S_P, S_PO, S_D, S_ACT))
O_PS, O_RUN, O_REC, O_NREC, O_FIRST = (r * LANES for r in (S_PS, S_RUN, S_REC, S_NREC, S_FIRST))
O_PAIN, O_PAIN28, O_DIS, O_DIS28, O_HIGH, O_WORST = (r * LANES for r in (B_PAIN, B_PAIN28, B_DIS, B_DIS28, B_HIGH,
                                                                        B_WORST))
O_QFIRST, O_QNREC, O_WEEKMAX, O_MINOR, O_RARE = (r * LANES for r in (B_QFIRST, B_QNREC, B_WEEKMAX, B_MINOR,
                                                                     B_RARE))
O_SENS, O_SLEEPV, O_STRESSR, O_CAT, O_SE0, O_SUPPORT0 = (r * LANES for r in (B_SENS, B_SLEEPV, B_STRESSR, B_CAT,
                                                                              B_SE0, B_SUPPORT0))
O_WORK0, O_MONEY, O_RESIL, O_CARE0, O_FLOOR, O_WINDUPK, O_KNOW0, O_REINJ = (
    r * LANES for r in (B_WORK0, B_MONEY, B_RESIL, B_CARE0, B_FLOOR, B_WINDUPK, B_KNOW0, B_REINJ))
O_MNOCI, O_MGUARD, O_MINHIB, O_MTHREAT, O_MFEAR = (r * LANES for r in (B_MNOCI, B_MGUARD, B_MINHIB, B_MTHREAT,
                                                                       B_MFEAR))
O_MSLEEP, O_MSTRESS, O_MACT, O_MSE, O_MCOND = (r * LANES for r in (B_MSLEEP, B_MSTRESS, B_MACT, B_MSE, B_MCOND))
O_LNOCI, O_LGUARD, O_LTHREAT, O_LFEAR, O_LSTRESS, O_LCOND = (r * LANES for r in (B_LNOCI, B_LGUARD, B_LTHREAT,
                                                                                 B_LFEAR, B_LSTRESS, B_LCOND))
O_CINHIB, O_CSLEEP, O_CACT, O_CSE, O_RES, O_DUE = (r * LANES for r in (B_CINHIB, B_CSLEEP, B_CACT, B_CSE, B_RES,
                                                                       B_DUE))
