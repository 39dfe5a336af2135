"""Model quality on labelled current data, and prediction drift before labels arrive."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor import _html
from jupyter_mlops.monitor.drift import drift
from jupyter_mlops.monitor.profile import check_frame
from jupyter_mlops.tracking.fluent import active_run

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.monitor.report import DriftReport
    from jupyter_mlops.store import Store
    from jupyter_mlops.tracking.run import Run

CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
REGRESSION = ("mae", "rmse", "r2")
#: Metrics where lower is better: degradation is a relative rise.
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse"})
#: Names a registered model version may carry its metrics under.
ALIASES: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy", "accuracy_score"),
    "precision": ("precision", "precision_score"),
    "recall": ("recall", "recall_score"),
    "f1": ("f1", "f1_score"),
    "roc_auc": ("roc_auc", "roc_auc_score", "auc"),
    "log_loss": ("log_loss",),
    "mae": ("mae", "mean_absolute_error"),
    "rmse": ("rmse", "root_mean_squared_error"),
    "r2": ("r2", "r2_score"),
}


@dataclass
class MetricRow:
    """One metric, current against reference."""

    metric: str
    current: float | None
    reference: float | None
    change: float | None
    degraded: bool | None


@dataclass
class PerformanceReport:
    """The result of :func:`performance`: per-metric comparison and an overall verdict."""

    task: str
    rows: list[MetricRow]
    threshold: float
    reference_source: str
    n_current: int

    @property
    def degraded(self) -> bool:
        """Whether any metric degraded beyond the threshold."""
        return any(r.degraded for r in self.rows)

    @property
    def current(self) -> dict[str, float | None]:
        return {r.metric: r.current for r in self.rows}

    def to_frame(self) -> pd.DataFrame:
        """One row per metric."""
        # start-up: pandas costs ~300 ms; `import jupyter_mlops.monitor` does without it.
        import pandas as pd

        return pd.DataFrame(
            [vars(r) for r in self.rows],
            columns=["metric", "current", "reference", "change", "degraded"],
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "task": self.task,
            "degraded": self.degraded,
            "threshold": self.threshold,
            "reference_source": self.reference_source,
            "n_current": self.n_current,
            "metrics": [vars(r) for r in self.rows],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def metrics(self) -> dict[str, float]:
        """What :meth:`log` records: ``perf.<metric>`` and ``perf.degraded``."""
        out = {f"perf.{r.metric}": r.current for r in self.rows if r.current is not None}
        clean = {k: v for k, v in out.items() if math.isfinite(v)}
        clean["perf.degraded"] = float(self.degraded)
        return clean

    def log(self, run: Run) -> None:
        """Log the metrics into ``run``."""
        run.log_metrics(self.metrics())

    def _repr_html_(self) -> str:
        verdict = "Degraded" if self.degraded else "No degradation"
        summary = (
            f"<b>{verdict}</b> ({html.escape(self.task)}, threshold {self.threshold:g} relative; "
            f"reference: {html.escape(self.reference_source)}; {self.n_current:,} rows)"
        )
        rows = [
            [
                html.escape(r.metric),
                _html.fmt(r.current),
                _html.fmt(r.reference),
                "" if r.change is None else f"{r.change:+.2%}",
                ""
                if r.degraded is None
                else f'<span class="{"yes" if r.degraded else "no"}">'
                f"{'degraded' if r.degraded else 'ok'}</span>",
            ]
            for r in self.rows
        ]
        return _html.section(summary, ["metric", "current", "reference", "change", "verdict"], rows)

    def __repr__(self) -> str:
        return f"<PerformanceReport {self.task} degraded={self.degraded}>"


def _resolve(model_or_uri: Any, store: Store | None) -> tuple[Any, dict[str, float | None]]:
    if isinstance(model_or_uri, str):
        # start-up: the model registry (~90 ms) only when given a models:/ URI.
        from jupyter_mlops import models

        version = models.get(model_or_uri, store=store)
        model = models.load(model_or_uri, store=store)
        return model, version.metrics
    if not hasattr(model_or_uri, "predict"):
        raise MlopsUsageError(
            f"Give a fitted model or a models:/ URI, not {type(model_or_uri).__name__}."
        )
    return model_or_uri, {}


def _is_classifier(model: Any) -> bool:
    return getattr(model, "_estimator_type", None) == "classifier" or hasattr(
        model, "predict_proba"
    )


def _features(model: Any, frame: pd.DataFrame, target: str | None) -> pd.DataFrame:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise MlopsUsageError(f"The data lacks model input columns: {', '.join(missing)}.")
        return frame[list(names)]
    return frame.drop(columns=[target]) if target is not None else frame


def compute_metrics(model: Any, frame: pd.DataFrame, target: str, task: str) -> dict[str, float]:
    """The task's metrics of ``model`` on the labelled ``frame``."""
    # start-up: sklearn.metrics costs ~500 ms; only computing metrics needs it.
    from sklearn import metrics as m

    if target not in frame.columns:
        raise MlopsUsageError(f"The target column {target!r} is not in the data.")
    labelled = frame[frame[target].notna()]
    if len(labelled) == 0:
        raise MlopsUsageError(f"The target column {target!r} has no labels.")
    x, y = _features(model, labelled, target), labelled[target].to_numpy()
    pred = model.predict(x)
    if task == "regression":
        return {
            "mae": float(m.mean_absolute_error(y, pred)),
            "rmse": float(np.sqrt(m.mean_squared_error(y, pred))),
            "r2": float(m.r2_score(y, pred)) if len(y) > 1 else float("nan"),
        }
    classes = list(getattr(model, "classes_", np.unique(y)))
    binary = len(classes) == 2
    avg = "binary" if binary else "macro"
    pos = {"pos_label": classes[1]} if binary else {}
    out = {
        "accuracy": float(m.accuracy_score(y, pred)),
        "precision": float(m.precision_score(y, pred, average=avg, zero_division=0, **pos)),
        "recall": float(m.recall_score(y, pred, average=avg, zero_division=0, **pos)),
        "f1": float(m.f1_score(y, pred, average=avg, zero_division=0, **pos)),
    }
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(x)
        present = len(np.unique(y)) > 1
        if present:
            scores = proba[:, 1] if binary else proba
            kwargs: dict[str, Any] = {} if binary else {"multi_class": "ovr", "labels": classes}
            out["roc_auc"] = float(m.roc_auc_score(y, scores, **kwargs))
        out["log_loss"] = float(m.log_loss(y, proba, labels=classes))
    return out


def _compare(metric: str, cur: float | None, ref: float | None, threshold: float) -> MetricRow:
    if cur is None or ref is None or not math.isfinite(cur) or not math.isfinite(ref):
        return MetricRow(metric, cur, ref, None, None)
    delta = cur - ref
    worse = delta if metric in LOWER_IS_BETTER else -delta
    change = (
        delta / abs(ref) if ref != 0 else (0.0 if delta == 0 else math.copysign(math.inf, delta))
    )
    rel_worse = worse / abs(ref) if ref != 0 else (math.inf if worse > 0 else 0.0)
    return MetricRow(metric, cur, ref, change, bool(rel_worse > threshold))


def performance(
    model_or_uri: Any,
    current_df: pd.DataFrame,
    target: str,
    reference: pd.DataFrame | None = None,
    *,
    task: str | None = None,
    threshold: float = 0.05,
    log: bool = True,
    store: Store | None = None,
) -> PerformanceReport:
    """Compare a model's quality on labelled current data with the reference.

    Classification: accuracy, precision, recall, F1 (binary: positive class ``classes_[1]``;
    else macro), ROC AUC and log loss (with ``predict_proba``). Regression: MAE, RMSE, R2. A
    metric degrades when it drops by more than ``threshold`` relative to the reference (errors:
    rises). Inside a tracked run the metrics are logged as ``perf.<metric>`` and
    ``perf.degraded``.

    Args:
        model_or_uri: A fitted model or a ``models:/`` URI.
        current_df: Current features with the target column.
        target: The target column.
        reference: A labelled reference frame; default: the registered version's metrics.
        task: ``"classification"`` or ``"regression"``; inferred from the model by default.
        threshold: The relative change counted as degradation.
        log: Log into the active run, if any.
        store: The store to load a ``models:/`` URI from.

    Raises:
        MlopsUsageError: empty data, a missing target, a bad task or threshold.
    """
    check_frame(current_df, "current")
    if task is not None and task not in ("classification", "regression"):
        raise MlopsUsageError(f"task must be 'classification' or 'regression', not {task!r}.")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise MlopsUsageError(f"threshold must be a non-negative number, not {threshold!r}.")
    model, registered = _resolve(model_or_uri, store)
    task = task or ("classification" if _is_classifier(model) else "regression")
    current = compute_metrics(model, current_df, target, task)
    if reference is not None:
        check_frame(reference, "reference")
        ref_metrics: dict[str, float | None] = dict(compute_metrics(model, reference, target, task))
        source = f"reference data ({len(reference):,} rows)"
    elif registered:
        ref_metrics = {}
        for name in current:
            for alias in ALIASES[name]:
                for key, value in registered.items():
                    if key == alias or key.endswith(f".{alias}") or key.endswith(f"_{alias}"):
                        ref_metrics.setdefault(name, value)
        source = f"registered metrics of {model_or_uri}"
    else:
        raise MlopsUsageError(
            "Give reference data, or a models:/ URI whose version has registered metrics."
        )
    order = CLASSIFICATION if task == "classification" else REGRESSION
    rows = [
        _compare(name, current.get(name), ref_metrics.get(name), float(threshold))
        for name in order
        if name in current or name in ref_metrics
    ]
    report = PerformanceReport(task, rows, float(threshold), source, len(current_df))
    if log:
        run = active_run()
        if run is not None:
            report.log(run)
    return report


def model_outputs(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """The model's outputs as a frame: class probabilities for classifiers, else predictions."""
    # start-up: pandas costs ~300 ms; `import jupyter_mlops.monitor` does without it.
    import pandas as pd

    x = _features(model, frame, None)
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(x), dtype=np.float64)
        classes = list(getattr(model, "classes_", range(proba.shape[1])))
        if proba.shape[1] == 2:
            return pd.DataFrame({f"proba_{classes[1]}": proba[:, 1]}, index=frame.index)
        return pd.DataFrame(
            {f"proba_{c}": proba[:, i] for i, c in enumerate(classes)}, index=frame.index
        )
    pred = np.asarray(model.predict(x))
    if pred.ndim == 2:
        return pd.DataFrame({f"prediction_{i}": pred[:, i] for i in range(pred.shape[1])})
    return pd.DataFrame({"prediction": pred}, index=frame.index)


def prediction_drift(
    model_or_uri: Any,
    reference_X: pd.DataFrame,
    current_X: pd.DataFrame,
    *,
    policy: str = "standard",
    log: bool = True,
    store: Store | None = None,
) -> DriftReport:
    """Drift of the model's outputs (``predict_proba`` for classifiers, else ``predict``).

    For when labels have not arrived yet: the same tests and report as :func:`drift`, over
    the columns ``proba_<class>`` (binary: the positive class only) or ``prediction``.
    """
    check_frame(reference_X, "reference")
    check_frame(current_X, "current")
    model, _ = _resolve(model_or_uri, store)
    return drift(
        model_outputs(model, reference_X), model_outputs(model, current_X), policy=policy, log=log
    )
