"""Meta-analysis of an uploaded CSV for the Evidence page, as ``painsim meta`` does it.

The upload is parsed with the same reader and validators as the command line, the model
is fitted with :func:`painsim.evidence.rma` (equal to metafor's ``rma``), and the forest
and funnel plots are returned as PNG data URIs with the GRADE-style certainty hints.
"""

from __future__ import annotations

import base64
import io
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

from painsim.evidence.report import json_safe

MEASURES = ("GEN", "SMD", "MD", "RR", "OR", "RD")
METHODS = ("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")
TESTS = ("z", "knha")
MAX_UPLOAD_BYTES = 1_000_000
MAX_STUDIES = 500

_PLOT_LOCK = threading.Lock()  # matplotlib's pyplot state is not thread-safe


class EvidenceInputError(ValueError):
    """The upload or the options cannot be analysed; the message says why."""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def analyse_csv(data: bytes, measure: str, method: str, test: str = "z", level: float = 95.0) -> dict[str, Any]:
    """Fit the meta-analysis of the CSV ``data``; raise :class:`EvidenceInputError` on bad input."""
    import matplotlib

    matplotlib.use("Agg")
    from painsim.evidence.certainty import assess_certainty
    from painsim.evidence.diagnostics import regtest, trimfill
    from painsim.evidence.heterogeneity import ConvergenceError
    from painsim.evidence.io import InputError, effect_sizes_from_frame, read_table
    from painsim.evidence.plots import forest_plot, funnel_plot
    from painsim.evidence.rma import rma

    if len(data) > MAX_UPLOAD_BYTES:
        raise EvidenceInputError(f"the file is {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,} are accepted")
    if not 50.0 <= level < 100.0:
        raise EvidenceInputError(f"level must be in [50, 100) (got {level:g})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvidenceInputError("the file is not UTF-8 text; upload a CSV file") from None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            df = read_table(path)
            if len(df) > MAX_STUDIES:
                raise InputError(f"{len(df)} rows; at most {MAX_STUDIES} studies are accepted")
            es = effect_sizes_from_frame(df, measure, min_k=2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = rma(es, method=method, test=test, level=level)
                egger = None
                if fit.k >= 3:
                    try:
                        egger = regtest(fit)
                    except (ValueError, ConvergenceError, ArithmeticError):
                        egger = None
                cert = assess_certainty(fit, egger.pval if egger is not None else None)
                tf = None
                if fit.k >= 3:
                    try:
                        tf = trimfill(fit)
                    except (ValueError, RuntimeError, ArithmeticError):
                        tf = None
                with _PLOT_LOCK:
                    forest = _png(forest_plot(fit))
                    funnel = _png(funnel_plot(tf.fit, fill=tf.fill) if tf is not None and tf.k0 > 0
                                  else funnel_plot(fit))
        except InputError as err:
            raise EvidenceInputError(str(err).replace(str(path), "upload.csv")) from None
        except (ValueError, ConvergenceError, ArithmeticError) as err:
            raise EvidenceInputError(f"cannot fit the model: {err}") from None
    summary = fit.to_dict()
    return json_safe({
        "fit": summary,
        "studies": [{"study": lab, "yi": float(y), "vi": float(v), "weight": float(w)}
                    for lab, y, v, w in zip(es.labels, es.yi, es.vi, fit.weights, strict=True)],
        "egger": egger.to_dict() if egger is not None else None,
        "certainty": cert.to_dict(),
        "certainty_lines": cert.lines(),
        "trimfill": tf.to_dict() if tf is not None else None,
        "forest_png": forest,
        "funnel_png": funnel,
    })
