"""The HTML report of a stored run (``painsim report RUN``): one self-contained file.

>>> from painsim.store import Store                        # doctest: +SKIP
>>> from painsim.report import write_report                # doctest: +SKIP
>>> write_report(Store().get("20261129"), "report.html")   # doctest: +SKIP
"""

from painsim.report.html import DISCLAIMER, render_report, write_report

__all__ = ["DISCLAIMER", "render_report", "write_report"]
