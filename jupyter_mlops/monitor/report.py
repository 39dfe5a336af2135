"""The drift report: per-column results, the data set verdict, and its faces."""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlops.monitor import _html

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.tracking.run import Run


@dataclass
class ColumnResult:
    """One test on one column (a column may have two rows: distribution and missing share).

    ``drifted`` is None when the column was not tested; ``reason`` then says why.
    ``score`` is the p-value for hypothesis tests and the statistic for distances.
    """

    column: str
    kind: str | None
    test: str | None
    statistic: float | None = None
    p_value: float | None = None
    score: float | None = None
    threshold: float | None = None
    drifted: bool | None = None
    reason: str | None = None
    n_reference: int | None = None
    n_current: int | None = None
    missing_reference: float | None = None
    missing_current: float | None = None
    chart: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def tested(self) -> bool:
        return self.drifted is not None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


#: The per-column table's header (the report and the notebook panel share it).
COLUMNS = ["column", "type", "test", "statistic", "p-value", "threshold", "drift", "chart"]


def column_cells(r: ColumnResult) -> list[str]:
    """One column's row of the drift table, as HTML cells (verdict styled, chart inline)."""
    if r.drifted is None:
        verdict = f'<span class="na">not tested: {html.escape(r.reason or "")}</span>'
    else:
        cls = "yes" if r.drifted else "no"
        verdict = f'<span class="{cls}">{"drift" if r.drifted else "no drift"}</span>'
    chart = ""
    if r.chart and r.test != "missing_share":
        chart = _html.bars_svg(r.chart["labels"], r.chart["reference"], r.chart["current"])
    return [
        html.escape(str(r.column)),
        _html.fmt(r.kind),
        _html.fmt(r.test),
        _html.fmt(r.statistic),
        _html.fmt(r.p_value),
        _html.fmt(r.threshold),
        verdict,
        chart,
    ]


@dataclass
class DriftReport:
    """The result of :func:`jupyter_mlops.monitor.drift`.

    A column counts as drifted when any of its tests (distribution, and missing share under the
    strict policy) flags drift; the data set drifts when the share of drifted columns among the
    tested ones is at least ``drift_share``.
    """

    results: list[ColumnResult]
    drift_share: float
    policy: str
    n_reference: int
    n_current: int

    @property
    def columns(self) -> list[str]:
        """Every column in the report, in order."""
        return list(dict.fromkeys(r.column for r in self.results))

    @property
    def tested_columns(self) -> list[str]:
        return list(dict.fromkeys(r.column for r in self.results if r.tested))

    @property
    def drifted_columns(self) -> list[str]:
        """Columns with at least one test flagging drift."""
        return list(dict.fromkeys(r.column for r in self.results if r.drifted))

    @property
    def share(self) -> float:
        """Drifted columns over tested columns (0.0 when nothing was tested)."""
        tested = len(self.tested_columns)
        return len(self.drifted_columns) / tested if tested else 0.0

    @property
    def dataset_drift(self) -> bool:
        """Whether the share of drifted columns reaches ``drift_share``."""
        return bool(self.tested_columns) and self.share >= self.drift_share

    def __getitem__(self, column: str) -> ColumnResult:
        """The distribution-test row of ``column``."""
        for r in self.results:
            if r.column == column and r.test != "missing_share":
                return r
        raise KeyError(column)

    def to_frame(self) -> pd.DataFrame:
        """One row per (column, test)."""
        # start-up: pandas costs ~300 ms; `import jupyter_mlops.monitor` does without it.
        import pandas as pd

        rows = [{k: v for k, v in asdict(r).items() if k != "chart"} for r in self.results]
        return pd.DataFrame(
            rows, columns=[f for f in ColumnResult.__dataclass_fields__ if f != "chart"]
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (infinite statistics as the strings ``"inf"``)."""
        return {
            "dataset_drift": self.dataset_drift,
            "share": self.share,
            "drift_share": self.drift_share,
            "policy": self.policy,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "drifted_columns": self.drifted_columns,
            "columns": [
                {k: _clean(v) for k, v in asdict(r).items() if k != "chart"} for r in self.results
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON."""
        return json.dumps(self.to_dict(), indent=indent)

    def metrics(self) -> dict[str, float]:
        """What :meth:`log` records: ``drift.share``, ``drift.dataset_drift``, per-column scores."""
        out = {"drift.share": self.share, "drift.dataset_drift": float(self.dataset_drift)}
        for r in self.results:
            if r.tested and r.score is not None and math.isfinite(r.score):
                suffix = ".missing_share" if r.test == "missing_share" else ""
                out[f"drift.{r.column}{suffix}.score"[:250]] = r.score
        return out

    def log(self, run: Run) -> None:
        """Log the metrics and the HTML report (``drift/report.html``) into ``run``."""
        run.log_metrics(self.metrics())
        # Which columns drifted is a list, not a number: a tag, so alerts of scheduled
        # monitors (which only see the run) can name them.
        run.set_tag("drift.drifted_columns", json.dumps(self.drifted_columns))
        run.log_artifact(
            self.to_html().encode(), "drift/report.html", kind="report", media_type="text/html"
        )

    def _summary(self) -> str:
        verdict = "Drift detected" if self.dataset_drift else "No data set drift"
        return (
            f"<b>{verdict}</b>: {len(self.drifted_columns)} of {len(self.tested_columns)} tested "
            f"columns drifted (share {self.share:.2f}, threshold {self.drift_share:g}); "
            f"policy {html.escape(self.policy)}; {self.n_reference:,} reference rows, "
            f"{self.n_current:,} current rows. {_html.legend()}"
        )

    def _body(self) -> str:
        return _html.section(self._summary(), COLUMNS, [column_cells(r) for r in self.results])

    def to_html(self) -> str:
        """A self-contained HTML page (inline SVG charts; opens with no network)."""
        return _html.page("Drift report", self._body())

    def _repr_html_(self) -> str:
        return self._body()

    def __repr__(self) -> str:
        verdict = "drift" if self.dataset_drift else "no drift"
        return (
            f"<DriftReport {verdict}: {len(self.drifted_columns)}/{len(self.tested_columns)} "
            f"columns drifted, policy={self.policy}>"
        )
