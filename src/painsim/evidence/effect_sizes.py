"""Effect sizes computed exactly as metafor's ``escalc()`` (metafor 3.8).

Supported measures
------------------
``SMD``
    Standardised mean difference with Hedges' exact small-sample correction
    (Hedges 1981; Hedges & Olkin 1985): ``yi = c(m) * (m1 - m2) / sp`` with
    ``m = n1 + n2 - 2``, ``c(m) = exp(lgamma(m/2) - log(sqrt(m/2)) - lgamma((m-1)/2))``
    and the large-sample variance (metafor's default ``vtype="LS"``)
    ``vi = 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))``.
``MD``
    Raw mean difference ``m1 - m2`` with ``vi = sd1^2/n1 + sd2^2/n2``.
``RR``, ``OR``
    Log risk ratio and log odds ratio from the 2x2 table (ai, bi | ci, di).
``RD``
    Risk difference with ``vi = p1 (1-p1)/n1 + p2 (1-p2)/n2``.
``GEN``
    Generic: the caller supplies ``yi`` and ``vi`` directly.

Zero cells follow metafor's default (``add=1/2, to="only0"``): 1/2 is added
to all four cells of every study that has a zero in any cell (for RR, OR and
RD), and double-zero studies are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

MEASURES: tuple[str, ...] = ("GEN", "SMD", "MD", "RR", "OR", "RD")

#: Columns each measure needs (named as in metafor).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "GEN": ("yi", "vi"),
    "SMD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "MD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "RR": ("ai", "bi", "ci", "di"),
    "OR": ("ai", "bi", "ci", "di"),
    "RD": ("ai", "bi", "ci", "di"),
}

#: Measures analysed on the log scale (exponentiate for presentation).
LOG_MEASURES: frozenset[str] = frozenset({"RR", "OR"})

MEASURE_LABELS: dict[str, str] = {
    "GEN": "Effect size",
    "SMD": "Standardised mean difference (Hedges' g)",
    "MD": "Mean difference",
    "RR": "Log risk ratio",
    "OR": "Log odds ratio",
    "RD": "Risk difference",
}


@dataclass(frozen=True)
class EffectSizes:
    """Study-level effect sizes and sampling variances.

    Attributes
    ----------
    measure
        One of :data:`MEASURES`.
    yi
        Effect sizes on the analysis scale (log scale for RR and OR).
    vi
        Sampling variances.
    labels
        Study labels (``"Study 1"``, ... when none were given).
    ni
        Total sample sizes where known (``None`` for GEN).
    """

    measure: str
    yi: NDArray[np.float64]
    vi: NDArray[np.float64]
    labels: tuple[str, ...]
    ni: NDArray[np.float64] | None = None
    extra: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def k(self) -> int:
        """Number of studies."""
        return int(self.yi.size)

    @property
    def sei(self) -> NDArray[np.float64]:
        """Standard errors ``sqrt(vi)``."""
        return np.sqrt(self.vi)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation (lists of floats)."""
        return {
            "measure": self.measure,
            "study": list(self.labels),
            "yi": self.yi.tolist(),
            "vi": self.vi.tolist(),
        }


def hedges_correction(mi: ArrayLike) -> NDArray[np.float64]:
    """Exact small-sample bias correction ``c(m)`` of Hedges (1981).

    ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``, computed on the log
    scale as metafor's ``.cmicalc``; ``NaN`` for ``m <= 1``.

    Examples
    --------
    >>> float(hedges_correction(20)[()])  # doctest: +ELLIPSIS
    0.9619...
    """
    m = np.asarray(mi, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.exp(gammaln(m / 2.0) - np.log(np.sqrt(m / 2.0)) - gammaln((m - 1.0) / 2.0))
    return np.where(m <= 1.0, np.nan, out)


def _arr(data: Mapping[str, Any], name: str) -> NDArray[np.float64]:
    if name not in data:
        raise KeyError(name)
    return np.asarray(data[name], dtype=float).ravel()


def escalc(
    measure: str,
    data: Mapping[str, Any] | None = None,
    *,
    labels: Sequence[str] | None = None,
    add: float = 0.5,
    **arrays: ArrayLike,
) -> EffectSizes:
    """Compute effect sizes as metafor's ``escalc(measure, ...)``.

    Parameters
    ----------
    measure
        ``"SMD"``, ``"MD"``, ``"RR"``, ``"OR"``, ``"RD"`` or ``"GEN"``.
    data
        Mapping (dict, pandas DataFrame) holding the columns named in
        :data:`REQUIRED_COLUMNS`; optionally a ``study`` column for labels.
    labels
        Study labels (override ``data["study"]``).
    add
        Amount added to every cell of a study with a zero cell (RR, OR, RD).
    **arrays
        The columns given directly as keyword arrays (alternative to ``data``).

    Returns
    -------
    EffectSizes

    Examples
    --------
    >>> es = escalc("OR", ai=[4, 6], bi=[119, 300], ci=[11, 29], di=[128, 274])
    >>> [round(float(v), 4) for v in es.yi]
    [-0.9387, -1.6662]
    >>> es = escalc("SMD", m1i=[10.0], sd1i=[2.0], n1i=[20], m2i=[9.0], sd2i=[2.0], n2i=[20])
    >>> round(float(es.yi[0]), 5)
    0.49006
    """
    measure = measure.upper()
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    source: dict[str, Any] = {}
    if data is not None:
        source.update({str(key): data[key] for key in data.keys()})  # noqa: SIM118
    source.update(arrays)
    missing = [c for c in REQUIRED_COLUMNS[measure] if c not in source]
    if missing:
        raise ValueError(
            f"measure {measure} needs columns {', '.join(REQUIRED_COLUMNS[measure])}; "
            f"missing: {', '.join(missing)}"
        )
    cols = {c: _arr(source, c) for c in REQUIRED_COLUMNS[measure]}
    sizes = {v.size for v in cols.values()}
    if len(sizes) != 1:
        raise ValueError("supplied data vectors are not all of the same length")
    k = sizes.pop()
    ni: NDArray[np.float64] | None = None
    extra: dict[str, NDArray[np.float64]] = {}

    if measure == "GEN":
        yi, vi = cols["yi"], cols["vi"]
        if np.any(vi < 0):
            raise ValueError("one or more sampling variances are negative")
    elif measure in ("SMD", "MD"):
        m1, sd1, n1 = cols["m1i"], cols["sd1i"], cols["n1i"]
        m2, sd2, n2 = cols["m2i"], cols["sd2i"], cols["n2i"]
        if np.any(np.concatenate([sd1, sd2]) < 0):
            raise ValueError("one or more standard deviations are negative")
        if np.any(np.concatenate([n1, n2]) <= 0):
            raise ValueError("one or more group sizes are <= 0")
        ni = n1 + n2
        if measure == "MD":
            yi = m1 - m2
            vi = sd1**2 / n1 + sd2**2 / n2
        else:
            mi = ni - 2.0
            sdpi = np.sqrt(((n1 - 1.0) * sd1**2 + (n2 - 1.0) * sd2**2) / mi)
            cmi = hedges_correction(mi)
            yi = cmi * (m1 - m2) / sdpi
            vi = 1.0 / n1 + 1.0 / n2 + yi**2 / (2.0 * ni)
            extra["d_uncorrected"] = (m1 - m2) / sdpi
    else:
        ai, bi, ci, di = cols["ai"], cols["bi"], cols["ci"], cols["di"]
        if np.any(np.concatenate([ai, bi, ci, di]) < 0):
            raise ValueError("one or more counts are negative")
        ni = ai + bi + ci + di
        zero = (ai == 0) | (bi == 0) | (ci == 0) | (di == 0)
        ai, bi, ci, di = (np.where(zero, x + add, x) for x in (ai, bi, ci, di))
        n1 = ai + bi
        n2 = ci + di
        p1 = ai / n1
        p2 = ci / n2
        with np.errstate(divide="ignore", invalid="ignore"):
            if measure == "RR":
                yi = np.log(p1) - np.log(p2)
                vi = 1.0 / ai - 1.0 / n1 + 1.0 / ci - 1.0 / n2
            elif measure == "OR":
                yi = np.log(p1 / (1.0 - p1)) - np.log(p2 / (1.0 - p2))
                vi = 1.0 / ai + 1.0 / bi + 1.0 / ci + 1.0 / di
            else:
                yi = p1 - p2
                vi = p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2
        extra["zero_cell_corrected"] = zero.astype(float)

    if labels is None and "study" in source:
        labels = [str(s) for s in np.asarray(source["study"]).ravel()]
    if labels is None:
        labels = [f"Study {i + 1}" for i in range(k)]
    if len(labels) != k:
        raise ValueError("number of labels does not match the number of studies")
    return EffectSizes(
        measure=measure,
        yi=np.asarray(yi, dtype=float),
        vi=np.asarray(vi, dtype=float),
        labels=tuple(str(s) for s in labels),
        ni=ni,
        extra=extra,
    )
