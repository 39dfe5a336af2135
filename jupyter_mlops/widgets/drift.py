"""The drift report as a panel: the data set verdict, then one row per column test with its
verdict (drift in red) and a small histogram of reference against current."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel

if TYPE_CHECKING:
    # jupyter_mlops.monitor loads scipy: imported where a report is drawn, not with the package.
    from jupyter_mlops.monitor.report import ColumnResult, DriftReport

ORDERS = ("as tested", "most drifted first", "column name")


def _strength(r: ColumnResult) -> float:
    """How strongly a row says drift: drifted rows first, then by distance from the threshold."""
    if r.drifted is None:
        return -2.0
    score = r.score if r.score is not None else 0.0
    threshold = r.threshold if r.threshold is not None else 0.0
    # A hypothesis test drifts harder as its p-value falls; a distance as it grows.
    gap = threshold - score if r.p_value is not None else score - threshold
    return (1.0 if r.drifted else -1.0) + gap


def drift_rows(
    report: DriftReport, *, only_drifted: bool = False, order: str = "as tested"
) -> list[ColumnResult]:
    """The report's rows to show, filtered and ordered."""
    if order not in ORDERS:
        raise MlopsUsageError(f"Unknown order {order!r}; expected one of {', '.join(ORDERS)}.")
    rows = [r for r in report.results if r.drifted or not only_drifted]
    if order == "most drifted first":
        rows.sort(key=_strength, reverse=True)
    elif order == "column name":
        rows.sort(key=lambda r: str(r.column))
    return rows


def drift_html(report: DriftReport, rows: list[ColumnResult] | None = None) -> str:
    """The verdict line and the per-column table (the drift report's own styles and charts)."""
    # start-up: the drift report's pieces load pandas; a panel imports them when it draws
    from jupyter_mlops.monitor import _html as mh
    from jupyter_mlops.monitor.report import COLUMNS, column_cells

    cells = [column_cells(r) for r in (report.results if rows is None else rows)]
    if not cells:
        return mh.section(report._summary(), COLUMNS, []) + h.note("No column to show.")
    return mh.section(report._summary(), COLUMNS, cells)


class DriftPanel(Panel):
    """A drift report (``mlops.widgets.drift(report)``): filter to drifted columns, reorder."""

    kind = "drift"

    def __init__(self, report: DriftReport) -> None:
        super().__init__()
        self.report = report
        self.only_drifted = w.Checkbox(value=False, description="Only drifted columns")
        self.order = w.Dropdown(options=ORDERS, value=ORDERS[0], description="Order")
        self.table = w.HTML()
        self.only_drifted.observe(lambda _c: self._render(), names="value")
        self.order.observe(lambda _c: self._render(), names="value")
        self.widget.children = [w.HBox([self.only_drifted, self.order]), self.table]
        self._render()

    def _render(self) -> None:
        rows = drift_rows(self.report, only_drifted=self.only_drifted.value, order=self.order.value)
        self.table.value = drift_html(self.report, rows)

    def to_html(self) -> str:
        return h.panel("Drift report", drift_html(self.report), kind="drift-panel")

    def __repr__(self) -> str:
        return repr(self.report)


def drift(report: DriftReport) -> DriftPanel:
    """Show a drift report, e.g. ``mlops.widgets.drift(mlops.monitor.drift(ref, cur))``.

    Raises:
        MlopsUsageError: ``report`` is not a drift report.
    """
    from jupyter_mlops.monitor.report import DriftReport  # start-up: loads pandas

    if not isinstance(report, DriftReport):
        raise MlopsUsageError(
            f"Give a drift report from mlops.monitor.drift(reference, current), "
            f"not {type(report).__name__}."
        )
    return DriftPanel(report)
